/**
 * nn layers and losses against PyTorch (fixtures/nn_*.json from tooling/golden/nn.py):
 * conv2d (odd sizes, padding, stride, dilation, groups, bias or not, unbatched), max_pool2d
 * (stride, padding, dilation, ceil mode), linear, and the losses (MSE, L1, cross entropy
 * with indices / probabilities / ignoreIndex / labelSmoothing / weight / K-dim input, BCE
 * with logits with weight and posWeight), values and the gradients of sum(out · gradOutput)
 * with respect to every input. A backend without float64 gets the float32 cases and a
 * check of the clear float64 error.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectValues, tensorOf, tol, values } from './util.js';

const F = torch.nn.functional;

/** A tensor in the nn fixtures: dtype comes from the case. */
interface T {
  readonly shape: number[];
  readonly data: FixtureNumber[];
}

interface ConvCase {
  name: string;
  dtype: DType;
  stride: [number, number];
  padding: [number, number];
  dilation: [number, number];
  groups: number;
  kernelSize: [number, number];
  input: T;
  weight: T;
  bias: T | null;
  out: T;
  gradOutput: T;
  gradInput: T;
  gradWeight: T;
  gradBias: T | null;
  gradFn: string;
}

interface PoolCase {
  name: string;
  dtype: DType;
  kernelSize: [number, number];
  stride: [number, number] | null;
  padding: [number, number];
  dilation: [number, number];
  ceilMode: boolean;
  input: T;
  out: T;
  gradOutput: T;
  gradInput: T;
  gradFn: string;
}

interface LinearCase {
  name: string;
  dtype: DType;
  input: T;
  weight: T;
  bias: T | null;
  out: T;
  gradOutput: T;
  gradInput: T;
  gradWeight: T;
  gradBias: T | null;
}

interface LossCase {
  loss: 'mse' | 'l1' | 'crossEntropy' | 'bceWithLogits';
  name: string;
  dtype: DType;
  options: { reduction?: 'none' | 'mean' | 'sum'; ignoreIndex?: number; labelSmoothing?: number };
  input: T;
  target: T;
  out: T;
  gradOutput: T;
  gradInput: T;
  weight?: T;
  posWeight?: T;
}

interface EmbeddingCase {
  name: string;
  dtype: DType;
  paddingIdx: number | null;
  input: T;
  weight: T;
  out: T;
  gradOutput: T;
  gradWeight: T;
}

function make(t: T, dtype: DType, requiresGrad = false): Tensor {
  return tensorOf(t.data, t.shape, dtype, requiresGrad);
}

async function expectT(actual: Tensor | null, expected: T, dtype: DType, what: string): Promise<void> {
  expect(actual, `${what} should exist`).not.toBeNull();
  expect([...actual!.shape], `${what}: shape`).toEqual(expected.shape);
  await expectValues(actual!, expected.data, tol(dtype, 'loose'), what);
}

/** Runs `body` for each case whose dtype the backend has; float64 cases become one error check. */
function forCases<C extends { name: string; dtype: DType }>(
  ctx: ConformanceContext,
  cases: readonly C[],
  body: (c: C) => Promise<void>,
): void {
  for (const c of cases) {
    it(`${c.name} (${c.dtype})`, async () => {
      if (!ctx.supports(c.dtype)) {
        expectDTypeUnsupported(ctx, c.dtype);
        return;
      }
      await body(c);
    });
  }
}

export function registerNnTests(ctx: ConformanceContext): void {
  describe('conv2d', () => {
    const { cases } = loadFixture<{ cases: ConvCase[] }>('nn_conv2d');
    forCases(ctx, cases, async (c) => {
      const x = make(c.input, c.dtype, true);
      const w = make(c.weight, c.dtype, true);
      const b = c.bias ? make(c.bias, c.dtype, true) : null;
      const out = F.conv2d(x, w, {
        bias: b,
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
        groups: c.groups,
      });
      await expectT(out, c.out, c.dtype, 'out');
      if (c.input.shape.length === 4) expect(out.gradFn?.name).toBe(c.gradFn);
      out.backward(make(c.gradOutput, c.dtype));
      await expectT(x.grad, c.gradInput, c.dtype, 'gradInput');
      await expectT(w.grad, c.gradWeight, c.dtype, 'gradWeight');
      if (c.gradBias) await expectT(b!.grad, c.gradBias, c.dtype, 'gradBias');
    });

    it('nn.Conv2d runs the same computation with its own parameters', async () => {
      const c = cases.find((k) => k.name === 'groups2_rect_kernel' && k.dtype === 'float32')!;
      const conv = new torch.nn.Conv2d(c.input.shape[1]!, c.weight.shape[0]!, c.kernelSize, {
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
        groups: c.groups,
      });
      torch.noGrad(() => {
        conv.weight.copy_(make(c.weight, 'float32'));
        conv.bias!.copy_(make(c.bias!, 'float32'));
      });
      const out = conv.forward(make(c.input, 'float32'));
      await expectT(out, c.out, 'float32', 'out');
      out.backward(make(c.gradOutput, 'float32'));
      await expectT(conv.weight.grad, c.gradWeight, 'float32', 'weight.grad');
      await expectT(conv.bias!.grad, c.gradBias!, 'float32', 'bias.grad');
    });

    it('errors name the shapes', () => {
      const x = torch.zeros([2, 3, 5, 5]);
      expect(() => F.conv2d(x, torch.zeros([4, 2, 3, 3]))).toThrow(
        /\[4, 2, 3, 3\][\s\S]*\[2, 3, 5, 5\]|channels/,
      );
      expect(() => F.conv2d(x, torch.zeros([4, 3, 7, 7]))).toThrow(/Kernel size can't be greater/);
      expect(() => F.conv2d(torch.zeros([3, 5]), torch.zeros([4, 3, 3, 3]))).toThrow(/\[3, 5\]/);
      expect(() => F.conv2d(x, torch.zeros([4, 3, 3, 3]), { bias: torch.zeros([3]) })).toThrow(/bias/);
      expect(() => F.conv2d(x, torch.zeros([4, 3, 3, 3]), { stride: 0 })).toThrow(/stride/);
      expect(() => new torch.nn.Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    });

    it("padding 'same' keeps the spatial size, odd and even kernels", async () => {
      for (const k of [3, 4]) {
        const x = torch.randn([1, 2, 6, 7]);
        const w = torch.randn([3, 2, k, k]);
        const same = F.conv2d(x, w, { padding: 'same' });
        expect([...same.shape]).toEqual([1, 3, 6, 7]);
        if (k === 3) {
          const explicit = F.conv2d(x, w, { padding: 1 });
          await expectValues(same, Array.from(await explicit.data()), tol('float32', 'loose'), 'same vs 1');
        }
      }
    });
  });

  describe('max_pool2d', () => {
    const { cases } = loadFixture<{ cases: PoolCase[] }>('nn_maxpool2d');
    forCases(ctx, cases, async (c) => {
      const x = make(c.input, c.dtype, true);
      const out = F.maxPool2d(x, c.kernelSize, {
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
        ceilMode: c.ceilMode,
      });
      await expectT(out, c.out, c.dtype, 'out');
      expect(out.gradFn?.name).toBe(c.gradFn);
      out.backward(make(c.gradOutput, c.dtype));
      await expectT(x.grad, c.gradInput, c.dtype, 'gradInput');
    });

    it('nn.MaxPool2d with default stride equals its kernel size', async () => {
      const c = cases.find((k) => k.name === 'k2_default_stride' && k.dtype === 'float32')!;
      const out = new torch.nn.MaxPool2d(2).forward(make(c.input, 'float32'));
      await expectT(out, c.out, 'float32', 'out');
    });

    it('errors: padding over half the kernel, output too small', () => {
      expect(() => F.maxPool2d(torch.zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/half/);
      expect(() => F.maxPool2d(torch.zeros([1, 1, 2, 2]), 3)).toThrow(/too small/);
      expect(() => F.maxPool2d(torch.zeros([4, 4]), 2)).toThrow(/\[4, 4\]/);
    });
  });

  describe('linear', () => {
    const { cases } = loadFixture<{ cases: LinearCase[] }>('nn_linear');
    forCases(ctx, cases, async (c) => {
      const x = make(c.input, c.dtype, true);
      const w = make(c.weight, c.dtype, true);
      const b = c.bias ? make(c.bias, c.dtype, true) : null;
      const out = F.linear(x, w, b);
      await expectT(out, c.out, c.dtype, 'out');
      out.backward(make(c.gradOutput, c.dtype));
      await expectT(x.grad, c.gradInput, c.dtype, 'gradInput');
      await expectT(w.grad, c.gradWeight, c.dtype, 'gradWeight');
      if (c.gradBias) await expectT(b!.grad, c.gradBias, c.dtype, 'gradBias');
    });

    // Each ReLU after the first Linear gets its backward inside the next Linear's input
    // gradient; 1-6-1 is seed 002's shape (outer products), 3-4-5-2 a layer with both.
    for (const sizes of [
      [3, 4, 2],
      [1, 6, 1],
      [3, 4, 5, 2],
    ]) {
      it(`in a Sequential ${sizes.join('-')}, Linear then ReLU run as one call with the ops’ values, gradients and nodes`, async () => {
        torch.manualSeed(3);
        const layers = sizes.slice(1).map((n, i) => new torch.nn.Linear(sizes[i]!, n));
        const seq = new torch.nn.Sequential(
          ...layers.flatMap((l, i) => (i + 1 < layers.length ? [l, new torch.nn.ReLU()] : [l])),
        );
        const params = layers.flatMap((l) => [l.weight, l.bias!]);
        const data = torch.randn([7, sizes[0]!]);
        const run = async (forward: (x: Tensor) => Tensor) => {
          const x = data.clone().requiresGrad_();
          const y = forward(x);
          y.square().sum().backward();
          const grads = await Promise.all([x, ...params].map((t) => t.grad!.data()));
          for (const p of params) p.grad = null;
          return { y, values: await y.data(), grads };
        };
        const fused = await run((x) => seq.forward(x));
        const separate = await run((x) =>
          layers.reduce((h, l, i) => (i + 1 < layers.length ? F.relu(l.forward(h)) : l.forward(h)), x),
        );
        expect(Array.from(fused.values)).toEqual(Array.from(separate.values));
        fused.grads.forEach((g, i) => {
          expect(Array.from(g), `gradient ${i}`).toEqual(Array.from(separate.grads[i]!));
        });
        // The chain of nodes from the output, following each node's first node input.
        const names = (t: Tensor) => {
          const out: string[] = [];
          for (let n = t.gradFn; n; ) {
            out.push(n.name);
            const e = n.next.find((e) => e !== null && 'node' in e) as { node: typeof n } | undefined;
            n = e?.node ?? null;
          }
          return out;
        };
        const want = layers.flatMap((_, i) =>
          i + 1 < layers.length ? ['AddmmBackward0', 'ReluBackward0'] : ['AddmmBackward0'],
        );
        expect(names(fused.y)).toEqual(want);
        expect(names(fused.y)).toEqual(names(separate.y));
      });
    }

    it('a wrong input size names both shapes', () => {
      const lin = new torch.nn.Linear(3, 2);
      expect(() => lin.forward(torch.zeros([4, 5]))).toThrow(/\[4, 5\][\s\S]*\[2, 3\]/);
    });
  });

  describe('embedding', () => {
    const { cases } = loadFixture<{ cases: EmbeddingCase[] }>('nn_embedding');
    forCases(ctx, cases, async (c) => {
      const idx = make(c.input, 'int32');
      const w = make(c.weight, c.dtype, true);
      const out = F.embedding(idx, w, { paddingIdx: c.paddingIdx });
      await expectT(out, c.out, c.dtype, 'out');
      expect(out.gradFn?.name).toBe('EmbeddingBackward0');
      out.backward(make(c.gradOutput, c.dtype));
      await expectT(w.grad, c.gradWeight, c.dtype, 'gradWeight');
    });

    it('nn.Embedding starts N(0, 1) with the padding row zero; bad indices are clear errors', async () => {
      torch.manualSeed(3);
      const emb = new torch.nn.Embedding(50, 8, { paddingIdx: 4 });
      const v = await values(emb.weight);
      expect(v.slice(32, 40)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      expect(Math.abs(mean)).toBeLessThan(0.15);
      expect(sd).toBeGreaterThan(0.85);
      expect(sd).toBeLessThan(1.15);
      expect(() => emb.forward(torch.tensor([1, 2]))).toThrow(/int32/);
      expect(() => new torch.nn.Embedding(5, 2, { paddingIdx: 5 })).toThrow(/5/);
    });
  });

  describe('losses', () => {
    const { cases } = loadFixture<{ cases: LossCase[] }>('nn_losses');
    forCases(ctx, cases, async (c) => {
      const x = make(c.input, c.dtype, true);
      const sameShape =
        c.target.shape.length === c.input.shape.length &&
        c.target.shape.every((d, i) => d === c.input.shape[i]);
      const targetDType: DType = c.loss === 'crossEntropy' && !sameShape ? 'int32' : c.dtype;
      const y = make(c.target, targetDType);
      const weight = c.weight ? make(c.weight, c.dtype) : null;
      const posWeight = c.posWeight ? make(c.posWeight, c.dtype) : null;
      let out: Tensor;
      let viaModule: Tensor;
      switch (c.loss) {
        case 'mse':
          out = F.mseLoss(x, y, c.options);
          viaModule = new torch.nn.MSELoss(c.options).forward(x, y);
          break;
        case 'l1':
          out = F.l1Loss(x, y, c.options);
          viaModule = new torch.nn.L1Loss(c.options).forward(x, y);
          break;
        case 'crossEntropy':
          out = F.crossEntropy(x, y, { ...c.options, weight });
          viaModule = new torch.nn.CrossEntropyLoss({ ...c.options, weight }).forward(x, y);
          break;
        case 'bceWithLogits':
          out = F.binaryCrossEntropyWithLogits(x, y, { ...c.options, weight, posWeight });
          viaModule = new torch.nn.BCEWithLogitsLoss({ ...c.options, weight, posWeight }).forward(x, y);
          break;
      }
      await expectT(out, c.out, c.dtype, 'loss');
      await expectT(viaModule, c.out, c.dtype, 'loss (module)');
      out.backward(make(c.gradOutput, c.dtype));
      await expectT(x.grad, c.gradInput, c.dtype, 'gradInput');
    });

    it('cross entropy errors: bad target dtype, shape, reduction, smoothing', () => {
      const x = torch.zeros([3, 4]);
      expect(() => F.crossEntropy(x, torch.tensor([0, 1], { dtype: 'int32' }))).toThrow(/\[3\][\s\S]*\[2\]/);
      expect(() => F.crossEntropy(x, torch.zeros([3]))).toThrow(/int32|shape/);
      expect(() =>
        F.crossEntropy(x, torch.tensor([0, 1, 2], { dtype: 'int32' }), { reduction: 'avg' as 'mean' }),
      ).toThrow(/avg/);
      expect(() =>
        F.crossEntropy(x, torch.tensor([0, 1, 2], { dtype: 'int32' }), { labelSmoothing: 1.5 }),
      ).toThrow(/label_smoothing/);
      expect(() => F.binaryCrossEntropyWithLogits(x, torch.zeros([3, 2]))).toThrow(/\[3, 2\][\s\S]*\[3, 4\]/);
    });

    it('cross entropy: every target ignored gives NaN with mean, as PyTorch', async () => {
      const x = torch.randn([2, 3], { requiresGrad: true });
      const t = torch.tensor([-100, -100], { dtype: 'int32' });
      const l = F.crossEntropy(x, t);
      expect(Number.isNaN((await l.data())[0])).toBe(true);
    });
  });
}
