/**
 * Printing (issue 16 item 1) against PyTorch 1.13's `repr()` (fixtures/repr.json, written by
 * tooling/golden/repr.py): tensors of every dtype, value range and shape, summarised and
 * wrapped, with print options and autograd suffixes; modules (`print(model)`) and
 * optimizers (`print(optimizer)`). Compared exactly.
 *
 * On a backend that reads synchronously, `String(t)` (and `t.toString()`, `` `${t}` ``,
 * Node's `util.inspect`) is PyTorch's text. On one that does not (webgpu), `String(t)` is the
 * documented placeholder and `await t.toStringAsync()` is PyTorch's text.
 */
import { inspect } from 'node:util';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectThrowsPhrase, fromSpec, type TensorSpec } from './util.js';

const { nn, optim } = torch;

interface TensorCase {
  readonly id: string;
  readonly x: TensorSpec;
  readonly requiresGrad: boolean;
  readonly op: string | null;
  readonly options: Record<string, number | boolean | string | null> | null;
  readonly repr: string;
}

interface ReprCase {
  readonly id: string;
  readonly repr: string;
}

interface ReprFixture {
  readonly tensors: TensorCase[];
  readonly modules: ReprCase[];
  readonly optimizers: ReprCase[];
  readonly schedulers: ReprCase[];
}

const ops: Record<string, (x: Tensor) => Tensor> = {
  add1: (x) => x.add(1),
  mul2: (x) => x.mul(2),
  sum: (x) => x.sum(),
  mean: (x) => x.mean(),
  neg: (x) => x.neg(),
  exp: (x) => x.exp(),
  parameter: (x) => new nn.Parameter(x),
};

function build(c: TensorCase): Tensor {
  const numel = c.x.shape.reduce((a, b) => a * b, 1);
  let x =
    numel === 0
      ? torch.zeros([...c.x.shape], { dtype: c.x.dtype, requiresGrad: c.requiresGrad })
      : fromSpec(c.x, c.requiresGrad);
  if (c.op !== null) {
    const op = ops[c.op];
    expect(op, `no stepwise op for '${c.op}' in printing.ts`).toBeDefined();
    x = op!(x);
  }
  return x;
}

function printOptions(o: TensorCase['options']): torch.SetPrintOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) out[k] = v === 'inf' ? Infinity : v;
  return out as torch.SetPrintOptions;
}

async function withOptions<T>(o: TensorCase['options'], fn: () => T | Promise<T>): Promise<T> {
  if (o) torch.setPrintOptions(printOptions(o));
  try {
    return await fn();
  } finally {
    if (o) torch.setPrintOptions({ profile: 'default' });
  }
}

/** Python's `str(tuple(shape))`. */
const pyShape = (s: readonly number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

/** What `String(t)` prints on a backend without synchronous reads (formatTensor.ts). */
function placeholder(c: TensorCase, t: Tensor, backend: string): string {
  if (t.numel() === 0) return c.repr; // nothing to read
  const head = c.op === 'parameter' ? 'Parameter containing:\n' : '';
  const grad = /(grad_fn=<\w+>|requires_grad=True)\)$/.exec(c.repr)?.[1];
  return `${head}tensor(<size=${pyShape(t.shape)}, dtype=torch.${t.dtype}, on ${backend}: print await t.toStringAsync() for the values>${grad ? `,\n       ${grad}` : ''})`;
}

// ---- modules: the same models as tooling/golden/repr.py `MODULES` ----

class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 6, 5);
  pool = new nn.MaxPool2d(2, { stride: 2 });
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(16 * 5 * 5, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, 10);
  forward(x: Tensor): Tensor {
    return x;
  }
}

class Block extends nn.Module {
  hidden = 8;
  fc = new nn.Linear(4, 8);
  act = new nn.GELU();
  forward(x: Tensor): Tensor {
    return x;
  }
  override extraRepr(): string {
    return `hidden=${this.hidden}`;
  }
}

class MultiLine extends nn.Module {
  forward(x: Tensor): Tensor {
    return x;
  }
  override extraRepr(): string {
    return 'first=1\nsecond=2';
  }
}

class Empty extends nn.Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

class WithNone extends nn.Module {
  fc = new nn.Linear(2, 2);
  constructor() {
    super();
    this.registerModule('skip', null);
  }
  forward(x: Tensor): Tensor {
    return x;
  }
}

class WithParams extends nn.Module {
  scale = new nn.Parameter(torch.ones([3]));
  params = new nn.ParameterList([new nn.Parameter(torch.zeros([2, 3])), new nn.Parameter(torch.zeros([4]))]);
  head = new nn.Linear(3, 1);
  forward(x: Tensor): Tensor {
    return x;
  }
}

export const moduleBuilders: Record<string, () => torch.nn.Module> = {
  mlp: () => new nn.Sequential(new nn.Linear(784, 128), new nn.ReLU(), new nn.Linear(128, 10)),
  'mnist head': () => new nn.Sequential(new nn.Linear(784, 10)),
  'mlp no bias': () =>
    new nn.Sequential(
      new nn.Linear(4, 3, { bias: false }),
      new nn.Sigmoid(),
      new nn.Dropout(0.2),
      new nn.Linear(3, 1),
      new nn.Tanh(),
    ),
  cnn: () =>
    new nn.Sequential(
      new nn.Conv2d(1, 32, 3, { stride: 1 }),
      new nn.ReLU(),
      new nn.Conv2d(32, 64, 3, { padding: 1 }),
      new nn.ReLU(),
      new nn.MaxPool2d(2),
      new nn.Dropout(0.25),
      new nn.Flatten(),
      new nn.Linear(9216, 128),
      new nn.ReLU(),
      new nn.Dropout(0.5),
      new nn.Linear(128, 10),
      new nn.LogSoftmax(1),
    ),
  named: () =>
    new nn.Sequential({
      conv: new nn.Conv2d(3, 8, [3, 5], { stride: [2, 1], bias: false }),
      bn: new nn.BatchNorm2d(8),
      act: new nn.LeakyReLU({ negativeSlope: 0.2 }),
      pool: new nn.AvgPool2d(2),
      gap: new nn.AdaptiveAvgPool2d(1),
      flat: new nn.Flatten(),
    }),
  nested: () =>
    new nn.Sequential(
      new nn.Sequential(new nn.Linear(2, 2), new nn.ReLU()),
      new nn.Sequential(new nn.Linear(2, 1), new nn.Sequential(new nn.Softmax(-1))),
    ),
  net: () => new Net(),
  block: () => new Block(),
  'block in sequential': () => new nn.Sequential(new Block(), new Block()),
  'multi-line extra': () => new MultiLine(),
  'multi-line extra nested': () => new nn.Sequential(new MultiLine()),
  empty: () => new Empty(),
  'empty sequential': () => new nn.Sequential(),
  'with none': () => new WithNone(),
  'with params': () => new WithParams(),
  'shared relu': () => {
    const relu = new nn.ReLU();
    return new nn.Sequential(new nn.Linear(2, 4), relu, new nn.Linear(4, 4), relu);
  },
  'module list': () => new nn.ModuleList([new nn.Linear(2, 2), new nn.Linear(2, 2), new nn.ReLU()]),
  'module dict': () => new nn.ModuleDict({ a: new nn.Linear(1, 1), b: new nn.ReLU() }),
  'embedding model': () =>
    new nn.Sequential(
      new nn.Embedding(10, 3),
      new nn.Embedding(10, 3, { paddingIdx: 0 }),
      new nn.Embedding(5, 2, { sparse: true }),
      new nn.LayerNorm(3),
    ),
  normalisation: () =>
    new nn.Sequential(
      new nn.BatchNorm1d(16),
      new nn.LayerNorm(8),
      new nn.GroupNorm(2, 4),
      new nn.BatchNorm2d(3, { eps: 1e-3, momentum: null, affine: false }),
    ),
  activations: () =>
    new nn.Sequential(
      new nn.ReLU(),
      new nn.Sigmoid(),
      new nn.Tanh(),
      new nn.Softplus(),
      new nn.Softmax(1),
      new nn.LogSoftmax(-1),
      new nn.Identity(),
      new nn.GELU(),
      new nn.GELU({ approximate: 'tanh' }),
      new nn.SiLU(),
      new nn.Mish(),
      new nn.Hardtanh(),
      new nn.LeakyReLU(),
      new nn.ELU(),
      new nn.ELU({ alpha: 0.5 }),
    ),
  losses: () =>
    new nn.ModuleList([
      new nn.MSELoss(),
      new nn.L1Loss(),
      new nn.CrossEntropyLoss(),
      new nn.BCEWithLogitsLoss(),
      new nn.NLLLoss(),
      new nn.BCELoss(),
      new nn.KLDivLoss(),
      new nn.HuberLoss(),
      new nn.SmoothL1Loss(),
    ]),
  'conv family': () =>
    new nn.Sequential(
      new nn.Conv1d(2, 4, 3),
      new nn.MaxPool1d(2),
      new nn.AvgPool1d(2),
      new nn.Conv2d(4, 4, 3, { padding: 'same' }),
      new nn.ConvTranspose2d(4, 2, 2, { stride: 2 }),
      new nn.MaxPool2d(3, { stride: 2, padding: 1 }),
    ),
  dropout: () => new nn.Dropout(),
  linear: () => new nn.Linear(3, 2),
};

const params = (...shapes: number[][]) => shapes.map((s) => new nn.Parameter(torch.zeros(s)));

/** The same optimizers as tooling/golden/repr.py `optimizers()`. */
export const optimizerBuilders: Record<string, () => { toString(): string }> = {
  adam: () => new optim.Adam(params([2])),
  'adam options': () =>
    new optim.Adam(params([2]), {
      lr: 0.01,
      betas: [0.8, 0.99],
      eps: 1e-6,
      weightDecay: 0.05,
      amsgrad: true,
    }),
  sgd: () => new optim.SGD(params([2]), { lr: 0.1 }),
  'sgd two groups': () =>
    new optim.SGD([{ params: params([2]) }, { params: params([3]), lr: 0.01, nesterov: true }], {
      lr: 0.1,
      momentum: 0.9,
      dampening: 0,
      weightDecay: 1e-4,
    }),
  adamw: () => new optim.AdamW(params([2])),
  rmsprop: () => new optim.RMSprop(params([2]), { lr: 0.01, momentum: 0.9, centered: true }),
  adagrad: () => new optim.Adagrad(params([2])),
  'sgd with scheduler': () => {
    const o = new optim.SGD(params([2]), { lr: 0.1 });
    new optim.lrScheduler.StepLR(o, { stepSize: 30 });
    return o;
  },
};

const sgd = (lr = 0.1) => new optim.SGD(params([2]), { lr });

/** The same schedulers as tooling/golden/repr.py `schedulers()`. */
export const schedulerBuilders: Record<string, () => { toString(): string }> = {
  StepLR: () => new optim.lrScheduler.StepLR(sgd(), { stepSize: 30 }),
  'ExponentialLR after 3 steps': () => {
    const o = sgd();
    const s = new optim.lrScheduler.ExponentialLR(o, { gamma: 0.5 });
    for (let i = 0; i < 3; i++) {
      o.step();
      s.step();
    }
    return s;
  },
  MultiStepLR: () => new optim.lrScheduler.MultiStepLR(sgd(), { milestones: [30, 80], gamma: 0.1 }),
  CosineAnnealingLR: () => new optim.lrScheduler.CosineAnnealingLR(sgd(0.05), { T_max: 10, etaMin: 0.001 }),
};

export function registerPrintingTests(ctx: ConformanceContext): void {
  const fx = loadFixture<ReprFixture>('repr');

  describe('tensors', () => {
    for (const c of fx.tensors) {
      it(c.id, async () => {
        if (!ctx.supports(c.x.dtype)) return expectDTypeUnsupported(ctx, c.x.dtype);
        const t = build(c);
        await withOptions(c.options, async () => {
          if (ctx.syncReads) {
            expect(String(t)).toBe(c.repr);
            expect(t.toString()).toBe(c.repr);
            expect(`${t}`).toBe(c.repr);
            expect(inspect(t), 'console.log / util.inspect').toBe(c.repr);
          } else {
            expect(String(t), 'the placeholder of a backend without synchronous reads').toBe(
              placeholder(c, t, ctx.name),
            );
            expect(inspect(t)).toBe(String(t));
          }
          expect(await t.toStringAsync(), 'toStringAsync').toBe(c.repr);
        });
      });
    }
  });

  describe('modules', () => {
    for (const c of fx.modules) {
      it(c.id, () => {
        const build = moduleBuilders[c.id];
        expect(build, `no module builder for '${c.id}' in printing.ts`).toBeDefined();
        const m = build!();
        expect(String(m)).toBe(c.repr);
        expect(inspect(m), 'console.log / util.inspect').toBe(c.repr);
      });
    }
  });

  describe('optimizers', () => {
    for (const c of fx.optimizers) {
      it(c.id, () => {
        const build = optimizerBuilders[c.id];
        expect(build, `no optimizer builder for '${c.id}' in printing.ts`).toBeDefined();
        const o = build!();
        expect(String(o)).toBe(c.repr);
        expect(inspect(o), 'console.log / util.inspect').toBe(c.repr);
      });
    }
  });

  describe('schedulers', () => {
    for (const c of fx.schedulers) {
      it(c.id, () => {
        const build = schedulerBuilders[c.id];
        expect(build, `no scheduler builder for '${c.id}' in printing.ts`).toBeDefined();
        const s = build!();
        expect(String(s)).toBe(c.repr);
        expect(inspect(s), 'console.log / util.inspect').toBe(c.repr);
      });
    }
  });

  describe('never throws', () => {
    it('a disposed tensor', async () => {
      const t = torch.tensor([[1, 2, 3]]);
      t.dispose();
      const text = 'tensor(<disposed: size=(1, 3), dtype=torch.float32>)';
      expect(String(t)).toBe(text);
      expect(await t.toStringAsync()).toBe(text);
    });
    it('an empty tensor needs no read, on every backend', () => {
      const t = torch.zeros([0, 3], { dtype: 'int32' });
      expect(String(t)).toBe('tensor([], size=(0, 3), dtype=torch.int32)');
    });
  });

  describe('setPrintOptions', () => {
    it('restores the defaults with profile default, sciMode with every call', () => {
      try {
        torch.setPrintOptions({ precision: 2, sciMode: true });
        expect(torch.getPrintOptions()).toEqual({
          precision: 2,
          threshold: 1000,
          edgeitems: 3,
          linewidth: 80,
          sciMode: true,
        });
        torch.setPrintOptions({ linewidth: 100 });
        expect(torch.getPrintOptions().sciMode, 'each call sets sciMode, as PyTorch').toBeNull();
      } finally {
        torch.setPrintOptions({ profile: 'default' });
      }
      expect(torch.getPrintOptions()).toEqual({
        precision: 4,
        threshold: 1000,
        edgeitems: 3,
        linewidth: 80,
        sciMode: null,
      });
    });
    it('refuses bad values and leaves the options as they were', () => {
      expectThrowsPhrase(() => torch.setPrintOptions({ precision: -1 }), 'precision');
      expectThrowsPhrase(() => torch.setPrintOptions({ threshold: Number.NaN }), 'threshold');
      expectThrowsPhrase(() => torch.setPrintOptions({ profile: 'long' as 'full' }), 'profile');
      expect(torch.getPrintOptions().precision).toBe(4);
    });
  });
}
