/**
 * nn layers, part 1, against PyTorch (fixtures/nn_layers_*.json from
 * tooling/golden/nn_layers.py): LayerNorm / GroupNorm / BatchNorm1d / BatchNorm2d and their
 * functional forms (running statistics over train/eval steps, buffers, cumulative
 * average), Conv1d and ConvTranspose2d, AvgPool2d / AdaptiveAvgPool2d / MaxPool1d /
 * AvgPool1d, the NLL / BCE / Huber / SmoothL1 / KLDiv losses, nn.init (PyTorch's values
 * after manualSeed for the uniform-based initialisers, default init of the new layers),
 * the module plumbing (buffers, ModuleDict, ParameterList, names as PyTorch's) and
 * nn.utils' parameter vectors. Each functional case runs the `F.*` form and the module
 * form (PyTorch's weights loaded with `loadStateDict`), checking values and the gradients
 * of sum(out · gradOutput) of every input and parameter, in float32 and float64 (a backend
 * without float64 gets the float32 cases and a check of the clear float64 error).
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectValues, fromSpec, type TensorSpec, tol, values } from './util.js';

const nn = torch.nn;
const F = torch.nn.functional;
type Module = InstanceType<typeof nn.Module>;

interface FnCase {
  op: string;
  name: string;
  dtype: DType;
  options: Record<string, any>;
  inputs: Record<string, TensorSpec | null>;
  out: TensorSpec;
  gradOutput: TensorSpec;
  grads: Record<string, TensorSpec>;
  gradFn: string;
  after?: Record<string, TensorSpec | null>;
}

interface BnStep {
  mode: 'train' | 'eval';
  input: TensorSpec;
  out: TensorSpec;
  gradOutput: TensorSpec;
  gradInput: TensorSpec;
  gradWeight?: TensorSpec;
  gradBias?: TensorSpec;
  runningMean?: TensorSpec;
  runningVar?: TensorSpec;
  numBatchesTracked?: number;
}

interface BnCase {
  name: string;
  module: 'BatchNorm1d' | 'BatchNorm2d';
  dtype: DType;
  numFeatures: number;
  ctor: { eps?: number; momentum?: number | null; affine?: boolean; trackRunningStats?: boolean };
  init: { weight?: TensorSpec; bias?: TensorSpec };
  steps: BnStep[];
  stateDictKeys: string[];
  repr: string;
}

type Reprs = Record<string, string[]>;

/**
 * The gradient node names checked against PyTorch's. The ops not listed are composites
 * whose last node differs from PyTorch's own kernel (nll_loss, huber/smooth_l1: PyTorch
 * has fused kernels; conv1d and the 1-D pools: PyTorch's own conv1d/max_pool1d nodes) —
 * their values and gradients are checked all the same. `accept` lists stepwise's name
 * where PyTorch takes another path for a special case (adaptive pooling to 1×1 is a mean
 * in PyTorch).
 */
const GRAD_FN: Record<string, { accept?: string[] }> = {
  layerNorm: {},
  groupNorm: {},
  batchNorm: {},
  convTranspose2d: {},
  avgPool2d: {},
  adaptiveAvgPool2d: { accept: ['AdaptiveAvgPool2DBackward0'] },
  bceLoss: {},
  klDivLoss: {},
};

function make(spec: TensorSpec | null | undefined, requiresGrad = false): Tensor | null {
  return spec ? fromSpec(spec, requiresGrad && spec.dtype !== 'int32') : null;
}

async function expectT(actual: Tensor | null | undefined, expected: TensorSpec, what: string): Promise<void> {
  expect(actual, `${what} should exist`).toBeTruthy();
  expect([...actual!.shape], `${what}: shape`).toEqual([...expected.shape]);
  await expectValues(actual!, expected.data, tol(expected.dtype, 'loose'), what);
}

/** Runs `body` for each case whose dtype the backend has; float64 cases become one error check. */
function forCases<C extends { name: string; dtype: DType }>(
  ctx: ConformanceContext,
  cases: readonly C[],
  label: (c: C) => string,
  body: (c: C) => Promise<void>,
): void {
  for (const c of cases) {
    it(`${label(c)} (${c.dtype})`, async () => {
      if (!ctx.supports(c.dtype)) {
        expectDTypeUnsupported(ctx, c.dtype);
        return;
      }
      await body(c);
    });
  }
}

/** The functional form of a case. */
function callFunctional(c: FnCase, t: Record<string, Tensor | null>): Tensor {
  const o = c.options;
  const x = t.input!;
  switch (c.op) {
    case 'layerNorm':
      return F.layerNorm(x, o.normalizedShape, { weight: t.weight, bias: t.bias, eps: o.eps });
    case 'groupNorm':
      return F.groupNorm(x, o.numGroups, { weight: t.weight, bias: t.bias, eps: o.eps });
    case 'batchNorm':
      return F.batchNorm(x, t.runningMean ?? null, t.runningVar ?? null, {
        weight: t.weight,
        bias: t.bias,
        training: o.training,
        momentum: o.momentum,
        eps: o.eps,
      });
    case 'conv1d':
      return F.conv1d(x, t.weight!, {
        bias: t.bias,
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: o.groups,
      });
    case 'convTranspose2d':
      return F.convTranspose2d(x, t.weight!, {
        bias: t.bias,
        stride: o.stride,
        padding: o.padding,
        outputPadding: o.outputPadding,
        groups: o.groups,
        dilation: o.dilation,
      });
    case 'avgPool2d':
      return F.avgPool2d(x, o.kernelSize, {
        stride: o.stride,
        padding: o.padding,
        ceilMode: o.ceilMode,
        countIncludePad: o.countIncludePad,
        divisorOverride: o.divisorOverride,
      });
    case 'adaptiveAvgPool2d':
      return F.adaptiveAvgPool2d(x, o.outputSize);
    case 'maxPool1d':
      return F.maxPool1d(x, o.kernelSize, {
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        ceilMode: o.ceilMode,
      });
    case 'avgPool1d':
      return F.avgPool1d(x, o.kernelSize, {
        stride: o.stride,
        padding: o.padding,
        ceilMode: o.ceilMode,
        countIncludePad: o.countIncludePad,
      });
    case 'nllLoss':
      return F.nllLoss(x, t.target!, { ...o, weight: t.weight });
    case 'bceLoss':
      return F.binaryCrossEntropy(x, t.target!, { ...o, weight: t.weight });
    case 'huberLoss':
      return F.huberLoss(x, t.target!, o);
    case 'smoothL1Loss':
      return F.smoothL1Loss(x, t.target!, o);
    case 'klDivLoss':
      return F.klDiv(x, t.target!, o);
    default:
      throw new Error(`nnLayers: unknown op ${c.op}`);
  }
}

/**
 * The module form of a case: the module built with PyTorch's constructor arguments and
 * `params` (PyTorch's weights, loaded with `loadStateDict`, strict), or null for
 * `batchNorm` (its module form has its own multi-step cases).
 */
function moduleFor(c: FnCase, params: Record<string, Tensor>): Module | null {
  const o = c.options;
  const f = { dtype: c.dtype };
  let m: Module;
  switch (c.op) {
    case 'layerNorm':
      m = new nn.LayerNorm(o.normalizedShape, {
        eps: o.eps,
        elementwiseAffine: o.elementwiseAffine,
        bias: o.bias,
        ...f,
      });
      break;
    case 'groupNorm':
      m = new nn.GroupNorm(o.numGroups, o.numChannels, { eps: o.eps, affine: o.affine, ...f });
      break;
    case 'conv1d':
      m = new nn.Conv1d(o.inChannels, o.outChannels, o.kernelSize, {
        stride: o.stride,
        padding: o.padding,
        dilation: o.dilation,
        groups: o.groups,
        bias: c.inputs.bias !== null,
        ...f,
      });
      break;
    case 'convTranspose2d':
      m = new nn.ConvTranspose2d(o.inChannels, o.outChannels, o.kernelSize, {
        stride: o.stride,
        padding: o.padding,
        outputPadding: o.outputSize ? 0 : o.outputPadding,
        groups: o.groups,
        dilation: o.dilation,
        bias: c.inputs.bias !== null,
        ...f,
      });
      break;
    case 'avgPool2d':
      m = new nn.AvgPool2d(o.kernelSize, o);
      break;
    case 'adaptiveAvgPool2d':
      m = new nn.AdaptiveAvgPool2d(o.outputSize);
      break;
    case 'maxPool1d':
      m = new nn.MaxPool1d(o.kernelSize, o);
      break;
    case 'avgPool1d':
      m = new nn.AvgPool1d(o.kernelSize, o);
      break;
    case 'nllLoss':
      m = new nn.NLLLoss({ ...o, weight: params.weight ?? null });
      return m;
    case 'bceLoss':
      m = new nn.BCELoss({ ...o, weight: params.weight ?? null });
      return m;
    case 'huberLoss':
      return new nn.HuberLoss(o);
    case 'smoothL1Loss':
      return new nn.SmoothL1Loss(o);
    case 'klDivLoss':
      return new nn.KLDivLoss(o);
    default:
      return null;
  }
  m.loadStateDict(params);
  return m;
}

const LOSSES = new Set(['nllLoss', 'bceLoss', 'huberLoss', 'smoothL1Loss', 'klDivLoss']);

async function runFnCase(c: FnCase): Promise<void> {
  const t: Record<string, Tensor | null> = {};
  for (const [k, spec] of Object.entries(c.inputs)) t[k] = make(spec, k in c.grads);
  const out = callFunctional(c, t);
  await expectT(out, c.out, 'out');
  const check = GRAD_FN[c.op];
  if (check) expect([c.gradFn, ...(check.accept ?? [])], 'gradFn').toContain(out.gradFn?.name);
  out.backward(make(c.gradOutput)!);
  for (const [k, g] of Object.entries(c.grads)) await expectT(t[k]!.grad, g, `grad of ${k}`);
  for (const [k, v] of Object.entries(c.after ?? {})) if (v) await expectT(t[k], v, `${k} after`);

  // The module form, with PyTorch's parameters loaded.
  const params: Record<string, Tensor> = {};
  if (!LOSSES.has(c.op)) {
    for (const k of ['weight', 'bias']) if (c.inputs[k]) params[k] = make(c.inputs[k])!;
  } else if (c.inputs.weight) params.weight = make(c.inputs.weight)!;
  const m = moduleFor(c, params);
  if (!m) return;
  const x = make(c.inputs.input, true)!;
  const mOut =
    c.op === 'convTranspose2d' && c.options.outputSize
      ? (m as InstanceType<typeof nn.ConvTranspose2d>).forward(x, c.options.outputSize)
      : LOSSES.has(c.op)
        ? m.forward(x, make(c.inputs.target))
        : m.forward(x);
  await expectT(mOut, c.out, 'module out');
  mOut.backward(make(c.gradOutput)!);
  await expectT(x.grad, c.grads.input!, 'module: grad of input');
  if (!LOSSES.has(c.op)) {
    const named = Object.fromEntries(m.namedParameters());
    for (const k of ['weight', 'bias']) {
      if (c.grads[k]) await expectT(named[k]?.grad, c.grads[k]!, `module: ${k}.grad`);
    }
  }
}

const label = (c: FnCase) => `${c.op} ${c.name}`;

export function registerNnLayersTests(ctx: ConformanceContext): void {
  const norm = loadFixture<{ cases: FnCase[]; batchNorm: BnCase[]; reprs: Reprs }>('nn_layers_norm');
  const conv = loadFixture<{ cases: FnCase[]; reprs: Reprs }>('nn_layers_conv');
  const pool = loadFixture<{ cases: FnCase[]; reprs: Reprs }>('nn_layers_pool');
  const loss = loadFixture<{ cases: FnCase[] }>('nn_layers_loss');

  describe('normalisation', () => {
    forCases(ctx, norm.cases, label, runFnCase);

    forCases(
      ctx,
      norm.batchNorm,
      (c) => `${c.module} ${c.name}`,
      async (c) => {
        const Ctor = c.module === 'BatchNorm1d' ? nn.BatchNorm1d : nn.BatchNorm2d;
        const m = new Ctor(c.numFeatures, { ...c.ctor, dtype: c.dtype });
        expect(Object.keys(m.stateDict()), 'state dict keys').toEqual(c.stateDictKeys);
        expect(String(m)).toBe(c.repr);
        if (c.init.weight) {
          m.loadStateDict({ ...m.stateDict(), weight: make(c.init.weight)!, bias: make(c.init.bias)! });
        }
        for (const [i, s] of c.steps.entries()) {
          const what = `step ${i} (${s.mode})`;
          if (s.mode === 'train') m.train();
          else m.eval();
          m.zeroGrad();
          const x = make(s.input, true)!;
          const out = m.forward(x);
          await expectT(out, s.out, `${what}: out`);
          out.backward(make(s.gradOutput)!);
          await expectT(x.grad, s.gradInput, `${what}: input grad`);
          if (s.gradWeight) await expectT(m.weight!.grad, s.gradWeight, `${what}: weight.grad`);
          if (s.gradBias) await expectT(m.bias!.grad, s.gradBias, `${what}: bias.grad`);
          if (s.runningMean) await expectT(m.runningMean, s.runningMean, `${what}: running_mean`);
          if (s.runningVar) await expectT(m.runningVar, s.runningVar, `${what}: running_var`);
          if (s.numBatchesTracked !== undefined) {
            expect(m.numBatchesTracked!.dtype).toBe('int32');
            expect(await values(m.numBatchesTracked!), `${what}: num_batches_tracked`).toEqual([
              s.numBatchesTracked,
            ]);
          }
          if (!c.ctor.trackRunningStats && c.ctor.trackRunningStats !== undefined) {
            expect(m.runningMean).toBeNull();
          }
        }
      },
    );

    it('reprs as PyTorch prints them', () => {
      expect(String(new nn.LayerNorm(4))).toBe(norm.reprs.LayerNorm![0]);
      expect(String(new nn.LayerNorm([3, 4], { eps: 1e-3, elementwiseAffine: false }))).toBe(
        norm.reprs.LayerNorm![1],
      );
      expect(String(new nn.GroupNorm(2, 4))).toBe(norm.reprs.GroupNorm![0]);
      expect(String(new nn.GroupNorm(3, 6, { eps: 1e-3, affine: false }))).toBe(norm.reprs.GroupNorm![1]);
    });

    it('defaults: weight ones, bias zeros, running stats 0/1/0; LayerNorm bias: false has no bias', async () => {
      const ln = new nn.LayerNorm([2, 3]);
      expect(await values(ln.weight!)).toEqual([1, 1, 1, 1, 1, 1]);
      expect(await values(ln.bias!)).toEqual([0, 0, 0, 0, 0, 0]);
      expect([...new nn.LayerNorm(3, { bias: false }).namedParameters()].map(([k]) => k)).toEqual(['weight']);
      const bn = new nn.BatchNorm2d(3);
      expect(await values(bn.runningMean!)).toEqual([0, 0, 0]);
      expect(await values(bn.runningVar!)).toEqual([1, 1, 1]);
      expect(await values(bn.numBatchesTracked!)).toEqual([0]);
      expect([...bn.namedBuffers()].map(([k]) => k)).toEqual([
        'running_mean',
        'running_var',
        'num_batches_tracked',
      ]);
      expect([...bn.namedParameters()].map(([k]) => k)).toEqual(['weight', 'bias']);
    });

    it('eval mode leaves the running statistics alone; train mode moves them', async () => {
      const bn = new nn.BatchNorm1d(2);
      const x = torch.tensor([
        [1, 2],
        [3, 6],
        [5, 1],
      ]);
      bn.eval();
      bn.forward(x);
      expect(await values(bn.runningMean!)).toEqual([0, 0]);
      expect(await values(bn.numBatchesTracked!)).toEqual([0]);
      bn.train();
      bn.forward(x);
      await expectValues(bn.runningMean!, [0.3, 0.3], tol('float32'), 'running_mean');
      expect(await values(bn.numBatchesTracked!)).toEqual([1]);
      bn.resetRunningStats();
      expect(await values(bn.runningMean!)).toEqual([0, 0]);
    });

    it('errors name the shapes and parameters', () => {
      expect(() => F.layerNorm(torch.zeros([2, 5]), [4])).toThrow(/\[4\][\s\S]*\[2, 5\]/);
      expect(() => F.layerNorm(torch.zeros([2, 4]), [4], { weight: torch.zeros([3]) })).toThrow(
        /weight[\s\S]*\[3\]/,
      );
      expect(() => F.groupNorm(torch.zeros([2, 5, 3]), 2)).toThrow(
        /divisible by num_groups[\s\S]*\[2, 5, 3\]/,
      );
      expect(() => new nn.GroupNorm(3, 4)).toThrow(/divisible/);
      expect(() => new nn.BatchNorm2d(3).forward(torch.zeros([2, 3, 4]))).toThrow(/4D[\s\S]*3D/);
      expect(() => new nn.BatchNorm1d(3).forward(torch.zeros([2, 3, 4, 5]))).toThrow(/2D or 3D[\s\S]*4D/);
      expect(() => new nn.BatchNorm1d(3).forward(torch.zeros([1, 3]))).toThrow(
        /more than 1 value per channel[\s\S]*\[1, 3\]/,
      );
      expect(() => new nn.BatchNorm1d(3).forward(torch.zeros([4, 2]))).toThrow(/3[\s\S]*\[4, 2\]/);
      expect(() =>
        F.batchNorm(torch.zeros([4, 3]), torch.zeros([2]), torch.ones([3]), { training: true }),
      ).toThrow(/running_mean[\s\S]*3[\s\S]*2/);
      expect(() => F.layerNorm(torch.zeros([2, 3], { dtype: 'int32' }), [3])).toThrow(/int32/);
    });
  });

  describe('convolutions', () => {
    forCases(ctx, conv.cases, label, runFnCase);

    it('reprs as PyTorch prints them', () => {
      expect(String(new nn.Conv1d(2, 3, 3))).toBe(conv.reprs.Conv1d![0]);
      expect(
        String(new nn.Conv1d(4, 6, 5, { stride: 2, padding: 1, dilation: 2, groups: 2, bias: false })),
      ).toBe(conv.reprs.Conv1d![1]);
      expect(String(new nn.ConvTranspose2d(2, 3, 3))).toBe(conv.reprs.ConvTranspose2d![0]);
      expect(
        String(
          new nn.ConvTranspose2d(4, 2, [2, 3], {
            stride: 2,
            padding: 1,
            outputPadding: 1,
            groups: 2,
            bias: false,
            dilation: [1, 2],
          }),
        ),
      ).toBe(conv.reprs.ConvTranspose2d![1]);
    });

    it('errors name the shapes and arguments', () => {
      expect(() => F.conv1d(torch.zeros([2, 3, 8]), torch.zeros([4, 2, 3]))).toThrow(
        /\[4, 2, 3\][\s\S]*\[2, 3, 8\]/,
      );
      expect(() => F.conv1d(torch.zeros([2, 3, 8, 1]), torch.zeros([4, 3, 3]))).toThrow(/\[2, 3, 8, 1\]/);
      expect(() =>
        F.convTranspose2d(torch.zeros([1, 2, 3, 3]), torch.zeros([2, 2, 3, 3]), { outputPadding: 1 }),
      ).toThrow(/output padding must be smaller than either stride or dilation/);
      expect(() => F.convTranspose2d(torch.zeros([1, 3, 3, 3]), torch.zeros([2, 2, 3, 3]))).toThrow(
        /\[2, 2, 3, 3\][\s\S]*\[1, 3, 3, 3\]/,
      );
      const ct = new nn.ConvTranspose2d(2, 2, 3, { stride: 2 });
      expect(() => ct.forward(torch.zeros([1, 2, 4, 4]), [20, 20])).toThrow(/output size[\s\S]*9[\s\S]*10/);
      expect(() => new nn.Conv1d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    });
  });

  describe('pooling', () => {
    forCases(ctx, pool.cases, label, runFnCase);

    it('reprs as PyTorch prints them', () => {
      const r = pool.reprs;
      expect(String(new nn.AvgPool2d(2))).toBe(r.AvgPool2d![0]);
      expect(
        String(new nn.AvgPool2d([3, 2], { stride: 1, padding: 1, ceilMode: true, countIncludePad: false })),
      ).toBe(r.AvgPool2d![1]);
      expect(String(new nn.AdaptiveAvgPool2d(1))).toBe(r.AdaptiveAvgPool2d![0]);
      expect(String(new nn.AdaptiveAvgPool2d([2, null]))).toBe(r.AdaptiveAvgPool2d![1]);
      expect(String(new nn.MaxPool1d(2))).toBe(r.MaxPool1d![0]);
      expect(String(new nn.MaxPool1d(3, { stride: 2, padding: 1, dilation: 2, ceilMode: true }))).toBe(
        r.MaxPool1d![1],
      );
      expect(String(new nn.AvgPool1d(3))).toBe(r.AvgPool1d![0]);
      expect(String(new nn.AvgPool1d(4, { stride: 2, padding: 2 }))).toBe(r.AvgPool1d![1]);
    });

    it('errors name the shapes and arguments', () => {
      expect(() => F.avgPool2d(torch.zeros([1, 1, 4, 4]), 2, { padding: 2 })).toThrow(/half/);
      expect(() => F.avgPool2d(torch.zeros([1, 1, 2, 2]), 3)).toThrow(/too small/);
      expect(() => F.avgPool2d(torch.zeros([4, 4]), 2)).toThrow(/\[4, 4\]/);
      expect(() => F.avgPool2d(torch.zeros([1, 1, 4, 4]), 2, { divisorOverride: 0 })).toThrow(/divisor/);
      expect(() => F.adaptiveAvgPool2d(torch.zeros([4, 4]), 2)).toThrow(/\[4, 4\]/);
      expect(() => F.adaptiveAvgPool2d(torch.zeros([1, 4, 4]), [2, 1.5] as never)).toThrow(/output_size/);
      expect(() => F.maxPool1d(torch.zeros([4]), 2)).toThrow(/\[4\]/);
      expect(() => F.avgPool1d(torch.zeros([1, 2, 3]), 2, { padding: 2 })).toThrow(/half/);
    });
  });

  describe('losses', () => {
    forCases(ctx, loss.cases, label, runFnCase);

    it('errors name the shapes, dtypes and parameters', () => {
      const x = torch.zeros([3, 4]);
      expect(() => F.nllLoss(x, torch.zeros([3]))).toThrow(/int32[\s\S]*float32/);
      expect(() => F.nllLoss(x, torch.tensor([0, 1], { dtype: 'int32' }))).toThrow(/\(3\)[\s\S]*\(2\)/);
      expect(() =>
        F.nllLoss(x, torch.tensor([0, 1, 2], { dtype: 'int32' }), { weight: torch.ones([3]) }),
      ).toThrow(/weight[\s\S]*\[3\]/);
      expect(() => F.binaryCrossEntropy(torch.full([3, 4], 0.5), torch.zeros([3, 2]))).toThrow(
        /\[3, 2\][\s\S]*\[3, 4\]/,
      );
      expect(() => F.huberLoss(x, x, { delta: 0 })).toThrow(/delta/);
      expect(() => F.smoothL1Loss(x, x, { beta: -1 })).toThrow(/beta/);
      expect(() => F.klDiv(x, x, { reduction: 'avg' as never })).toThrow(/avg/);
      if (ctx.syncReads) {
        expect(() => F.nllLoss(x, torch.tensor([0, 4, 1], { dtype: 'int32' }))).toThrow(
          /Target 4 is out of bounds/,
        );
        expect(() => F.binaryCrossEntropy(torch.tensor([0.5, 1.5]), torch.zeros([2]))).toThrow(
          /between 0 and 1/,
        );
      }
    });

    it('NLLLoss and BCELoss keep weight as a buffer', () => {
      const w = torch.ones([4]);
      expect([...new nn.NLLLoss({ weight: w }).namedBuffers()].map(([k]) => k)).toEqual(['weight']);
      expect(Object.keys(new nn.BCELoss({ weight: w }).stateDict())).toEqual(['weight']);
    });
  });

  registerInitTests(ctx);
  registerPlumbingTests(ctx);
}

interface InitFixture {
  seeded: {
    name: string;
    seed: number;
    shape: number[];
    dtype: DType;
    call: [string, Record<string, number>];
    out: TensorSpec;
  }[];
  layers: {
    module: string;
    seed: number;
    args: any[];
    options: Record<string, any>;
    params: Record<string, TensorSpec>;
  }[];
  gains: { nonlinearity: string; param: number | null; gain: number }[];
  eye: TensorSpec[];
}

function registerInitTests(ctx: ConformanceContext): void {
  const fx = loadFixture<InitFixture>('nn_layers_init');
  const init = nn.init;

  describe('nn.init', () => {
    forCases(
      ctx,
      fx.seeded,
      (c) => `${c.call[0]} ${c.name} after manualSeed(${c.seed})`,
      async (c) => {
        torch.manualSeed(c.seed);
        const t = torch.zeros(c.shape, { dtype: c.dtype });
        const [fn, o] = c.call;
        const r =
          fn === 'kaimingUniform_'
            ? init.kaimingUniform_(t, o as never)
            : fn === 'xavierUniform_'
              ? init.xavierUniform_(t, o)
              : fn === 'uniform_'
                ? init.uniform_(t, o)
                : init.truncNormal_(t, o);
        expect(r).toBe(t);
        await expectT(t, c.out, `${fn} values`);
      },
    );

    for (const l of fx.layers) {
      it(`default init of ${l.module}(${JSON.stringify(l.args)}, ${JSON.stringify(l.options)}) draws PyTorch's values`, async () => {
        torch.manualSeed(l.seed);
        const Ctor = (nn as any)[l.module];
        const m: Module = new Ctor(...l.args, l.options);
        const named = Object.fromEntries(m.namedParameters());
        expect(Object.keys(named)).toEqual(Object.keys(l.params));
        for (const [k, spec] of Object.entries(l.params)) await expectT(named[k], spec, `${l.module}.${k}`);
      });
    }

    it('calculateGain as PyTorch', () => {
      for (const g of fx.gains) {
        expect(init.calculateGain(g.nonlinearity as never, g.param ?? undefined), g.nonlinearity).toBeCloseTo(
          g.gain,
          14,
        );
      }
      expect(() => init.calculateGain('swish' as never)).toThrow(/swish/);
    });

    it('eye_ and dirac_', async () => {
      for (const spec of fx.eye) {
        const t = init.eye_(torch.full(spec.shape, 7));
        await expectT(t, spec, 'eye_');
      }
      expect(() => init.eye_(torch.zeros([2, 2, 2]))).toThrow(/2 dimensions/);
      const w = init.dirac_(torch.zeros([3, 3, 3, 3]));
      const x = torch.randn([1, 3, 5, 4]);
      await expectValues(
        F.conv2d(x, w, { padding: 1 }),
        await values(x),
        tol('float32'),
        'dirac conv is the identity',
      );
    });

    it('orthogonal_ gives (semi-)orthogonal rows or columns, times the gain', async () => {
      for (const [shape, gain] of [
        [[6, 4], 1],
        [[3, 7], 2],
        [[4, 2, 3], 0.5],
      ] as [number[], number][]) {
        const t = init.orthogonal_(torch.zeros(shape), { gain });
        const m = t.reshape([shape[0]!, -1]);
        const [r, c] = m.shape as [number, number];
        const prod = r >= c ? m.T.matmul(m) : m.matmul(m.T);
        const k = Math.min(r, c);
        const want = Array.from({ length: k * k }, (_, i) => (i % (k + 1) === 0 ? gain * gain : 0));
        await expectValues(prod, want, { rtol: 1e-4, atol: 1e-5 }, `orthogonal ${shape}`);
      }
      expect(() => init.orthogonal_(torch.zeros([3]))).toThrow(/2 or more dimensions/);
    });

    it('the normal initialisers have the stated spread', async () => {
      const t = torch.zeros([200, 100]);
      const sd = async () => {
        const v = await values(t);
        const mean = v.reduce((a, b) => a + b, 0) / v.length;
        return Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length);
      };
      init.kaimingNormal_(t, { mode: 'fan_out', nonlinearity: 'relu' });
      expect((await sd()) / Math.sqrt(2 / 200)).toBeCloseTo(1, 1);
      init.xavierNormal_(t, 2);
      expect((await sd()) / (2 * Math.sqrt(2 / 300))).toBeCloseTo(1, 1);
      init.truncNormal_(t, { std: 3, a: -1, b: 1 });
      const v = await values(t);
      expect(Math.min(...v)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...v)).toBeLessThanOrEqual(1);
      expect(() => init.kaimingUniform_(t, { mode: 'fan_avg' as never })).toThrow(/fan_avg/);
      init.ones_(t);
      expect((await values(t)).every((a) => a === 1)).toBe(true);
      init.zeros_(t);
      expect((await values(t)).every((a) => a === 0)).toBe(true);
    });
  });
}

interface ModuleFixture {
  net: {
    namedParameters: [string, number[]][];
    namedBuffers: [string, number[]][];
    namedModules: [string, string][];
    stateDictKeys: string[];
  };
}

/** tooling/golden/nn_layers.py's `Net`, written the stepwise way. */
class Net extends nn.Module {
  conv = new nn.Conv2d(1, 4, 3);
  bn = new nn.BatchNorm2d(4);
  blocks = new nn.ModuleDict({ norm: new nn.LayerNorm([4]), act: new nn.ReLU(), gn: new nn.GroupNorm(2, 4) });
  scales = new nn.ParameterList([new nn.Parameter(torch.ones([2])), new nn.Parameter(torch.zeros([3]))]);
  head = new nn.Sequential(
    new nn.Linear(4, 3),
    new nn.BatchNorm1d(3, { affine: false }),
    new nn.BatchNorm1d(3, { trackRunningStats: false }),
  );
  constructor() {
    super();
    this.registerBuffer('step', torch.zeros([1]));
    this.registerBuffer('cache', torch.zeros([2]), { persistent: false });
  }
  forward(x: Tensor): Tensor {
    let h = this.bn.forward(this.conv.forward(x)); // [N, 4, H, W]
    h = this.blocks.get('gn').forward(h).mean([2, 3]); // [N, 4]
    h = this.blocks.get('act').forward(this.blocks.get('norm').forward(h));
    return this.head.forward(h);
  }
}

function registerPlumbingTests(ctx: ConformanceContext): void {
  const fx = loadFixture<ModuleFixture>('nn_layers_module');

  describe('module plumbing', () => {
    it("parameter, buffer and module names and state-dict keys are PyTorch's", () => {
      const m = new Net();
      const shapes = <T extends Tensor>(it: Iterable<[string, T]>) =>
        [...it].map(([k, t]) => [k, [...t.shape]]);
      expect(shapes(m.namedParameters())).toEqual(fx.net.namedParameters);
      expect(shapes(m.namedBuffers())).toEqual(fx.net.namedBuffers);
      expect([...m.namedModules()].map(([k, x]) => [k, x.constructor.name])).toEqual(fx.net.namedModules);
      expect(Object.keys(m.stateDict())).toEqual(fx.net.stateDictKeys);
      expect([...m.buffers()].length).toBe(fx.net.namedBuffers.length);
    });

    it('a state dict round trip carries the running statistics; eval outputs agree', async () => {
      torch.manualSeed(3);
      const a = new Net();
      const x = torch.randn([5, 1, 6, 6]);
      a.forward(x);
      a.forward(x.mul(2));
      const b = new Net();
      b.loadStateDict(a.stateDict());
      expect(await values(b.bn.numBatchesTracked!)).toEqual([2]);
      a.eval();
      b.eval();
      await expectValues(b.forward(x), await values(a.forward(x)), tol('float32'), 'eval outputs');
    });

    it('the buffers are made on the factory backend and move with the parameters', async () => {
      const ref = ctx.reference();
      const m = new nn.BatchNorm1d(3, { backend: ref });
      expect([...m.buffers(), ...m.parameters()].every((t) => t.backend === ref)).toBe(true);
      m.to(ctx.name);
      const own = ctx.backend();
      expect([...m.buffers(), ...m.parameters()].every((t) => t.backend === own)).toBe(true);
      m.forward(
        torch.tensor([
          [1, 2, 3],
          [3, 2, 0],
        ]),
      );
      expect(await values(m.numBatchesTracked!)).toEqual([1]);
      await expectValues(m.runningMean!, [0.2, 0.2, 0.15], tol('float32'), 'running_mean');
    });

    it('to(dtype) converts float buffers and keeps num_batches_tracked int32', () => {
      const m = new nn.BatchNorm1d(3);
      if (!ctx.supports('float64')) {
        expect(() => m.double()).toThrow(/float64/);
        return;
      }
      m.double();
      expect(m.runningMean!.dtype).toBe('float64');
      expect(m.runningVar!.dtype).toBe('float64');
      expect(m.numBatchesTracked!.dtype).toBe('int32');
      expect(m.forward(torch.randn([4, 3], { dtype: 'float64' })).dtype).toBe('float64');
    });

    it('ModuleDict: insertion order, replace in place, delete then re-add goes last', () => {
      const d = new nn.ModuleDict({ a: new nn.Linear(1, 1), b: new nn.ReLU() });
      d.set('c', new nn.Linear(2, 1));
      expect([...d]).toEqual(['a', 'b', 'c']);
      d.set('a', new nn.Linear(3, 1));
      expect([...d.keys()]).toEqual(['a', 'b', 'c']);
      expect([...d.namedParameters()].map(([k, p]) => [k, [...p.shape]])).toEqual([
        ['a.weight', [1, 3]],
        ['a.bias', [1]],
        ['c.weight', [1, 2]],
        ['c.bias', [1]],
      ]);
      expect(d.pop('a')).toBeInstanceOf(nn.Linear);
      d.update([['a', new nn.Tanh()]]);
      expect([...d.keys()]).toEqual(['b', 'c', 'a']);
      expect(d.has('a')).toBe(true);
      expect(d.length).toBe(3);
      expect(() => d.get('zz')).toThrow(/zz/);
      expect(() => d.set('x.y', new nn.ReLU())).toThrow(/"\."/);
      d.clear();
      expect([...d.namedModules()].map(([k]) => k)).toEqual(['']);
    });

    it('ParameterList registers 0, 1, ...; a plain tensor becomes a Parameter', () => {
      const l = new nn.ParameterList([torch.zeros([2])]);
      l.append(new nn.Parameter(torch.ones([3])));
      expect(l.at(0)).toBeInstanceOf(nn.Parameter);
      expect(l.at(0).requiresGrad).toBe(true);
      expect([...l.namedParameters()].map(([k]) => k)).toEqual(['0', '1']);
      l.set(0, torch.ones([4]));
      expect([...l.at(0).shape]).toEqual([4]);
      expect(Object.keys(l.stateDict())).toEqual(['0', '1']);
      expect(l.length).toBe(2);
      expect(() => l.at(5)).toThrow(/5/);
    });

    it('registerBuffer: persistent or not, null reserves the name, errors', () => {
      class M extends nn.Module {
        constructor() {
          super();
          this.registerBuffer('a', torch.zeros([1]));
          this.registerBuffer('b', torch.zeros([1]), { persistent: false });
          this.registerBuffer('c', null);
        }
        forward(x: Tensor): Tensor {
          return x;
        }
      }
      const m = new M();
      expect([...m.namedBuffers()].map(([k]) => k)).toEqual(['a', 'b']);
      expect(Object.keys(m.stateDict())).toEqual(['a']);
      expect(() => m.registerBuffer('d', 3 as never)).toThrow(/Tensor/);
      expect(() => m.registerBuffer('e.f', torch.zeros([1]))).toThrow(/"\."/);
    });

    it('a loop without tidy over the new layers (train and eval steps) keeps memory bounded', () => {
      torch.manualSeed(1);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1 }),
        new nn.BatchNorm2d(4, { momentum: null }),
        new nn.ReLU(),
        new nn.AvgPool2d(2, { ceilMode: true }),
        new nn.ConvTranspose2d(4, 2, 2, { stride: 2 }),
        new nn.GroupNorm(1, 2),
        new nn.AdaptiveAvgPool2d([2, 3]),
        new nn.Flatten(),
        new nn.LayerNorm(12),
        new nn.Linear(12, 3),
      );
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
      const lossFn = new nn.NLLLoss();
      const x = torch.randn([4, 1, 5, 5]);
      const y = torch.tensor([0, 2, 1, 2], { dtype: 'int32' });
      let bound: { tensors: number; bytes: number } | undefined;
      for (let i = 0; i < 300; i++) {
        model.train();
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x).logSoftmax(1), y);
        loss.backward();
        opt.step();
        if (i % 3 === 0) {
          model.eval();
          torch.noGrad(() => model.forward(x));
        }
        if (i === 30) bound = torch.memory().backends[ctx.name];
        if (bound && i % 30 === 0) {
          const now = torch.memory().backends[ctx.name]!;
          expect(now.tensors, `live tensors at step ${i}`).toBeLessThanOrEqual(bound.tensors);
          expect(now.bytes, `live bytes at step ${i}`).toBeLessThanOrEqual(bound.bytes);
        }
      }
    });

    it('nn.utils: parametersToVector / vectorToParameters round trip; clipGradValue_', async () => {
      const m = new nn.Sequential(new nn.Linear(3, 2), new nn.Linear(2, 1));
      const vec = nn.utils.parametersToVector(m.parameters());
      expect([...vec.shape]).toEqual([11]);
      const flat: number[] = [];
      for (const p of m.parameters()) flat.push(...(await values(p)));
      expect(await values(vec)).toEqual(flat);
      const params = [...m.parameters()];
      nn.utils.vectorToParameters(torch.arange(0, 11, 1, { dtype: 'float32' }), params);
      expect(await values(params[0]!)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await values(params[3]!)).toEqual([10]);
      expect(params.every((p) => p.isLeaf && p.requiresGrad)).toBe(true);
      expect(() => nn.utils.vectorToParameters(torch.zeros([10]), params)).toThrow(/11/);
      const w = params[0]!;
      w.grad = torch.tensor([
        [-3, 0.5, 2],
        [1, -0.2, 9],
      ]);
      nn.utils.clipGradValue_(params, 1);
      expect(await values(w.grad)).toEqual([-1, 0.5, 1, 1, Math.fround(-0.2), 1]);
    });
  });
}
