/**
 * nn layers, part 2, against PyTorch (fixtures/nn_seq_*.json from tooling/golden/nn_seq.py):
 * RNN / LSTM / GRU (multi-layer, bidirectional, batchFirst, unbatched, with and without
 * initial states and biases) and RNNCell / LSTMCell / GRUCell; F.scaledDotProductAttention;
 * MultiheadAttention (self and cross attention, kdim/vdim, masks, key padding, per-head
 * weights); TransformerEncoderLayer (post- and pre-norm, relu/gelu) and TransformerEncoder.
 * Each module case builds the layer with PyTorch's constructor arguments, loads PyTorch's
 * weights with `loadStateDict` (strict), and checks every result of forward and the
 * gradients of sum(out_i · gradOutput_i) for every input and every parameter, in float32
 * and float64 (a backend without float64 gets the float32 cases and the clear float64
 * error). Also: default initialisation after manualSeed (PyTorch's values), reprs, errors,
 * retainGraph, no-grad forwards that keep nothing, and a training loop without tidy that
 * stays bounded.
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

interface ModuleCase {
  module: string;
  name: string;
  dtype: DType;
  ctor: Record<string, any>;
  options: Record<string, any>;
  stateDict: Record<string, TensorSpec>;
  inputs: Record<string, TensorSpec | null>;
  outs: Record<string, TensorSpec>;
  gradOutputs: Record<string, TensorSpec>;
  grads: Record<string, TensorSpec>;
  paramGrads: Record<string, TensorSpec>;
  repr: string;
  mode?: 'self' | 'kv' | 'all';
}

interface SdpaCase {
  name: string;
  dtype: DType;
  options: { isCausal?: boolean; scale?: number };
  inputs: Record<string, TensorSpec | null>;
  out: TensorSpec;
  gradOutput: TensorSpec;
  grads: Record<string, TensorSpec>;
}

interface InitCase {
  module: string;
  seed: number;
  args: number[];
  ctor: Record<string, any>;
  params: Record<string, TensorSpec>;
  encoderKeys?: string[];
  nextRand?: TensorSpec;
}

function make(spec: TensorSpec | null | undefined, requiresGrad = false): Tensor | null {
  return spec ? fromSpec(spec, requiresGrad && spec.dtype !== 'bool' && spec.dtype !== 'int32') : null;
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

/** The module of a case, built with PyTorch's constructor arguments (stepwise's names). */
function build(c: { module: string; ctor: Record<string, any> }, dtype: DType): Module {
  const o = c.ctor;
  const f = { dtype };
  const rnn = {
    numLayers: o.numLayers,
    bias: o.bias,
    batchFirst: o.batchFirst,
    dropout: o.dropout,
    bidirectional: o.bidirectional,
    ...f,
  };
  const layerOpts = () => ({
    dimFeedforward: o.dimFeedforward,
    dropout: o.dropout,
    activation: o.activation,
    layerNormEps: o.layerNormEps,
    batchFirst: o.batchFirst,
    normFirst: o.normFirst,
    ...f,
  });
  switch (c.module) {
    case 'RNN':
      return new nn.RNN(o.inputSize, o.hiddenSize, { ...rnn, nonlinearity: o.nonlinearity });
    case 'LSTM':
      return new nn.LSTM(o.inputSize, o.hiddenSize, rnn);
    case 'GRU':
      return new nn.GRU(o.inputSize, o.hiddenSize, rnn);
    case 'RNNCell':
      return new nn.RNNCell(o.inputSize, o.hiddenSize, { bias: o.bias, nonlinearity: o.nonlinearity, ...f });
    case 'LSTMCell':
      return new nn.LSTMCell(o.inputSize, o.hiddenSize, { bias: o.bias, ...f });
    case 'GRUCell':
      return new nn.GRUCell(o.inputSize, o.hiddenSize, { bias: o.bias, ...f });
    case 'MultiheadAttention':
      return new nn.MultiheadAttention(o.embedDim, o.numHeads, {
        bias: o.bias,
        batchFirst: o.batchFirst,
        kdim: o.kdim,
        vdim: o.vdim,
        ...f,
      });
    case 'TransformerEncoderLayer':
      return new nn.TransformerEncoderLayer(o.dModel, o.nhead, layerOpts());
    case 'TransformerEncoder':
      return new nn.TransformerEncoder(
        new nn.TransformerEncoderLayer(o.dModel, o.nhead, layerOpts()),
        o.numLayers,
        {
          norm: o.norm ? new nn.LayerNorm(o.dModel, f) : null,
        },
      );
    default:
      throw new Error(`nnSeq: unknown module ${c.module}`);
  }
}

/** Runs the case's forward; returns its results by the fixture's names. */
function run(c: ModuleCase, m: Module, t: Record<string, Tensor | null>): Record<string, Tensor | null> {
  const o = c.options;
  switch (c.module) {
    case 'RNN':
    case 'GRU': {
      const [out, h] = (m as InstanceType<typeof nn.GRU>).forward(t.input!, t.h0 ?? null);
      return { out, h };
    }
    case 'LSTM': {
      const [out, [h, cc]] = (m as InstanceType<typeof nn.LSTM>).forward(
        t.input!,
        t.h0 ? [t.h0, t.c0!] : null,
      );
      return { out, h, c: cc };
    }
    case 'RNNCell':
    case 'GRUCell':
      return { out: (m as InstanceType<typeof nn.GRUCell>).forward(t.input!, t.h0 ?? null) };
    case 'LSTMCell': {
      const [h, cc] = (m as InstanceType<typeof nn.LSTMCell>).forward(t.input!, t.h0 ? [t.h0, t.c0!] : null);
      return { h, c: cc };
    }
    case 'MultiheadAttention': {
      const q = t.query!;
      const k = c.mode === 'self' ? q : t.key!;
      const v = c.mode === 'self' ? q : c.mode === 'kv' ? k : t.value!;
      const [out, weights] = (m as InstanceType<typeof nn.MultiheadAttention>).forward(q, k, v, {
        attnMask: t.attnMask ?? null,
        keyPaddingMask: t.keyPaddingMask ?? null,
        needWeights: o.needWeights,
        averageAttnWeights: o.averageAttnWeights,
        isCausal: o.isCausal,
      });
      return { out, weights };
    }
    case 'TransformerEncoderLayer':
      return {
        out: (m as InstanceType<typeof nn.TransformerEncoderLayer>).forward(t.src!, {
          srcMask: t.srcMask ?? null,
          srcKeyPaddingMask: t.srcKeyPaddingMask ?? null,
          isCausal: o.isCausal,
        }),
      };
    case 'TransformerEncoder':
      return {
        out: (m as InstanceType<typeof nn.TransformerEncoder>).forward(t.src!, {
          mask: t.mask ?? null,
          srcKeyPaddingMask: t.srcKeyPaddingMask ?? null,
          isCausal: o.isCausal,
        }),
      };
    default:
      throw new Error(`nnSeq: unknown module ${c.module}`);
  }
}

async function runModuleCase(c: ModuleCase): Promise<void> {
  const m = build(c, c.dtype);
  expect(String(m), 'repr').toBe(c.repr);
  const sd: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(c.stateDict)) sd[k] = make(v)!;
  expect(Object.keys(m.stateDict()), 'state dict keys').toEqual(Object.keys(c.stateDict));
  m.loadStateDict(sd);
  if (c.options.eval) m.eval();
  const t: Record<string, Tensor | null> = {};
  for (const [k, spec] of Object.entries(c.inputs)) t[k] = make(spec, k in c.grads);
  const outs = run(c, m, t);
  let loss: Tensor | null = null;
  for (const [k, spec] of Object.entries(c.outs)) {
    await expectT(outs[k], spec, `result ${k}`);
    const term = outs[k]!.mul(make(c.gradOutputs[k])!).sum();
    loss = loss ? loss.add(term) : term;
  }
  for (const k of Object.keys(outs)) {
    if (!(k in c.outs)) expect(outs[k], `result ${k} should be null`).toBeNull();
  }
  loss!.backward();
  for (const [k, g] of Object.entries(c.grads)) await expectT(t[k]!.grad, g, `grad of ${k}`);
  const named = Object.fromEntries(m.namedParameters());
  expect(Object.keys(named).sort(), 'parameter names').toEqual(Object.keys(c.paramGrads).sort());
  for (const [k, g] of Object.entries(c.paramGrads)) await expectT(named[k]?.grad, g, `${k}.grad`);
}

export function registerNnSeqTests(ctx: ConformanceContext): void {
  const rnn = loadFixture<{ cases: ModuleCase[]; init: InitCase[] }>('nn_seq_rnn');
  const att = loadFixture<{ sdpa: SdpaCase[]; mha: ModuleCase[]; encoder: ModuleCase[]; init: InitCase[] }>(
    'nn_seq_attention',
  );
  const label = (c: ModuleCase) => `${c.module} ${c.name}`;

  describe('recurrent layers', () => {
    forCases(ctx, rnn.cases, label, runModuleCase);

    it("default initialisation after manualSeed draws PyTorch's values", async () => {
      for (const c of rnn.init) {
        torch.manualSeed(c.seed);
        const m = build(
          { module: c.module, ctor: { inputSize: c.args[0], hiddenSize: c.args[1], ...c.ctor } },
          'float32',
        );
        const named = Object.fromEntries(m.namedParameters());
        expect(Object.keys(named), `${c.module} parameter names`).toEqual(Object.keys(c.params));
        for (const [k, spec] of Object.entries(c.params)) {
          await expectValues(named[k]!, spec.data, tol('float32'), `${c.module} ${k}`);
        }
      }
    });

    it('parameter layout and allWeights as PyTorch', () => {
      const lstm = new nn.LSTM(3, 5, { numLayers: 2, bidirectional: true });
      expect([...lstm.namedParameters()].map(([k, p]) => `${k}:${p.shape.join('x')}`)).toEqual([
        'weight_ih_l0:20x3',
        'weight_hh_l0:20x5',
        'bias_ih_l0:20',
        'bias_hh_l0:20',
        'weight_ih_l0_reverse:20x3',
        'weight_hh_l0_reverse:20x5',
        'bias_ih_l0_reverse:20',
        'bias_hh_l0_reverse:20',
        'weight_ih_l1:20x10',
        'weight_hh_l1:20x5',
        'bias_ih_l1:20',
        'bias_hh_l1:20',
        'weight_ih_l1_reverse:20x10',
        'weight_hh_l1_reverse:20x5',
        'bias_ih_l1_reverse:20',
        'bias_hh_l1_reverse:20',
      ]);
      expect(lstm.allWeights.length).toBe(4);
      expect(lstm.allWeights[1]![0]).toBe((lstm as any).weight_ih_l0_reverse);
      expect(lstm.weight_hh_l0.shape).toEqual([20, 5]);
      const gru = new nn.GRU(2, 3, { bias: false });
      expect([...gru.namedParameters()].map(([k]) => k)).toEqual(['weight_ih_l0', 'weight_hh_l0']);
      expect(gru.bias_ih_l0).toBeUndefined();
    });

    it('errors name the sizes', () => {
      const lstm = new nn.LSTM(3, 4, { numLayers: 2 });
      expect(() => lstm.forward(torch.zeros([5, 2, 4]))).toThrow(/input_size[\s\S]*3[\s\S]*4/);
      expect(() => lstm.forward(torch.zeros([5, 2, 3, 1]))).toThrow(/2D or 3D/);
      expect(() =>
        lstm.forward(torch.zeros([5, 2, 3]), [torch.zeros([1, 2, 4]), torch.zeros([2, 2, 4])]),
      ).toThrow(/\[2, 2, 4\][\s\S]*\[1, 2, 4\]/);
      expect(() => new nn.GRU(3, 4).forward(torch.zeros([5, 3]), torch.zeros([1, 2, 4]))).toThrow(/2-D/);
      expect(() => new nn.RNN(3, 4, { nonlinearity: 'gelu' as never })).toThrow(/nonlinearity/);
      expect(() => new nn.RNN(3, 4, { dropout: 1.5 })).toThrow(/dropout/);
      expect(() => new nn.GRUCell(3, 4).forward(torch.zeros([2, 5]))).toThrow(/input_size/);
      expect(() =>
        new nn.LSTMCell(3, 4).forward(torch.zeros([2, 3]), [torch.zeros([2, 5]), torch.zeros([2, 4])]),
      ).toThrow(/hx\[0\]/);
      if (ctx.supports('float64')) {
        expect(() => lstm.forward(torch.zeros([5, 2, 3], { dtype: 'float64' }))).toThrow(
          /float32[\s\S]*float64/,
        );
      }
    });

    it('dropout between layers acts in training mode only', async () => {
      torch.manualSeed(6);
      const gru = new nn.GRU(3, 5, { numLayers: 2, dropout: 0.5 });
      const x = torch.randn([4, 2, 3]);
      gru.eval();
      const a = await values(gru.forward(x)[0]);
      expect(await values(gru.forward(x)[0])).toEqual(a);
      gru.train();
      const b = await values(gru.forward(x)[0]);
      expect(b.some((v, i) => Math.abs(v - a[i]!) > 1e-6)).toBe(true);
    });

    it('retainGraph: a second backward through the recurrence gives the same gradients', async () => {
      torch.manualSeed(3);
      for (const m of [
        new nn.LSTM(3, 4, { bidirectional: true }),
        new nn.GRU(3, 4),
        new nn.RNN(3, 4),
      ] as const) {
        const x = torch.randn([4, 2, 3], { requiresGrad: true });
        const [out] = (m as InstanceType<typeof nn.GRU>).forward(x);
        const loss = out.square().sum();
        loss.backward(undefined, { retainGraph: true });
        const first = Array.from(await x.grad!.data());
        x.grad = null;
        loss.backward();
        await expectValues(x.grad!, first, tol('float32'), `${m.constructor.name}: second backward`);
      }
    });

    it('a forward without grad keeps no per-step tensors', () => {
      torch.manualSeed(4);
      const lstm = new nn.LSTM(3, 4, { numLayers: 2, bidirectional: true });
      const gru = new nn.GRU(3, 4);
      const rnn = new nn.RNN(3, 4);
      // Live tensors after a no-grad forward (results and the forward's own intermediates,
      // which tidy frees) do not grow with the sequence length.
      const liveAfter = (T: number) =>
        torch.tidy(() => {
          const x = torch.randn([T, 2, 3]);
          const before = torch.memory().tensors;
          torch.noGrad(() => [lstm.forward(x), gru.forward(x), rnn.forward(x)]);
          return torch.memory().tensors - before;
        });
      expect(liveAfter(40)).toBe(liveAfter(4));
    });

    it('a training loop without tidy over an LSTM keeps memory bounded', () => {
      torch.manualSeed(5);
      const lstm = new nn.LSTM(4, 6, { numLayers: 2 });
      const head = new nn.Linear(6, 3);
      const params = [...lstm.parameters(), ...head.parameters()];
      const opt = new torch.optim.Adam(params, { lr: 0.01 });
      const lossFn = new nn.CrossEntropyLoss();
      const x = torch.randn([5, 2, 4]);
      const y = torch.tensor([0, 2, 1, 1, 0, 2, 2, 1, 0, 1], { dtype: 'int32' });
      let bound: { tensors: number; bytes: number } | undefined;
      for (let i = 0; i < 120; i++) {
        opt.zeroGrad();
        const [out] = lstm.forward(x);
        const loss = lossFn.forward(head.forward(out).reshape(10, 3), y);
        loss.backward();
        torch.nn.utils.clipGradNorm_(params, 1);
        opt.step();
        if (i === 20) bound = torch.memory().backends[ctx.name];
        if (bound && i % 20 === 0) {
          const now = torch.memory().backends[ctx.name]!;
          expect(now.tensors, `live tensors at step ${i}`).toBeLessThanOrEqual(bound.tensors);
          expect(now.bytes, `live bytes at step ${i}`).toBeLessThanOrEqual(bound.bytes);
        }
      }
    });
  });

  describe('attention', () => {
    forCases(
      ctx,
      att.sdpa,
      (c) => `scaledDotProductAttention ${c.name}`,
      async (c) => {
        const q = make(c.inputs.q, true)!;
        const k = make(c.inputs.k, true)!;
        const v = make(c.inputs.v, true)!;
        const mask = make(c.inputs.attnMask, 'attnMask' in c.grads);
        const out = F.scaledDotProductAttention(q, k, v, { attnMask: mask, ...c.options });
        await expectT(out, c.out, 'out');
        out.backward(make(c.gradOutput)!);
        const got: Record<string, Tensor | null> = { q, k, v, attnMask: mask };
        for (const [name, g] of Object.entries(c.grads)) await expectT(got[name]!.grad, g, `grad of ${name}`);
      },
    );

    forCases(ctx, att.mha, label, runModuleCase);
    forCases(ctx, att.encoder, label, runModuleCase);

    it("default initialisation after manualSeed draws PyTorch's values; encoder copies draw nothing", async () => {
      for (const c of att.init) {
        torch.manualSeed(c.seed);
        const m =
          c.module === 'MultiheadAttention'
            ? new nn.MultiheadAttention(c.args[0]!, c.args[1]!, c.ctor)
            : new nn.TransformerEncoderLayer(c.args[0]!, c.args[1]!, c.ctor);
        const named = Object.fromEntries(m.namedParameters());
        expect(Object.keys(named), `${c.module} parameter names`).toEqual(Object.keys(c.params));
        for (const [k, spec] of Object.entries(c.params)) {
          await expectValues(named[k]!, spec.data, tol('float32'), `${c.module} ${k}`);
        }
        if (c.encoderKeys) {
          const e = new nn.TransformerEncoder(m as InstanceType<typeof nn.TransformerEncoderLayer>, 2);
          expect(Object.keys(e.stateDict())).toEqual(c.encoderKeys);
          await expectValues(
            torch.rand([4]),
            c.nextRand!.data,
            tol('float32'),
            'the generator after the copies',
          );
          const sd = e.stateDict();
          await expectValues(
            sd['layers.1.linear1.weight']!,
            c.params['linear1.weight']!.data,
            tol('float32'),
            'copy',
          );
        }
      }
    });

    it('errors', () => {
      const q = torch.zeros([2, 5, 4]);
      expect(() =>
        F.scaledDotProductAttention(q, q, q, { isCausal: true, attnMask: torch.zeros([5, 5]) }),
      ).toThrow(/is_causal/);
      expect(() => F.scaledDotProductAttention(q, torch.zeros([2, 5, 3]), q)).toThrow(/last dim/);
      expect(() => new nn.MultiheadAttention(6, 4)).toThrow(/divisible/);
      const mha = new nn.MultiheadAttention(4, 2);
      const x = torch.zeros([3, 2, 4]);
      expect(() => mha.forward(x, x, x, { attnMask: torch.zeros([3, 4], { dtype: 'bool' }) })).toThrow(
        /\[3, 4\][\s\S]*\[3, 3\]/,
      );
      expect(() => mha.forward(x, x, x, { keyPaddingMask: torch.zeros([3, 3], { dtype: 'bool' }) })).toThrow(
        /key_padding_mask/,
      );
      expect(() => mha.forward(torch.zeros([3, 2, 5]), x, x)).toThrow(/embedding dimension of 4/);
      // An activation module is a child (and shared by the encoder's copies when parameterless).
      const layer = new nn.TransformerEncoderLayer(4, 2, { dimFeedforward: 6, activation: new nn.GELU() });
      expect(String(layer)).toContain("(activation): GELU(approximate='none')");
      const enc = new nn.TransformerEncoder(layer, 2);
      expect([...enc.forward(torch.randn([3, 2, 4])).shape]).toEqual([3, 2, 4]);
      const withParams = new nn.TransformerEncoderLayer(4, 2, { activation: new nn.Linear(4, 4) });
      expect(() => new nn.TransformerEncoder(withParams, 2)).toThrow(/parameters/);
    });
  });
}
