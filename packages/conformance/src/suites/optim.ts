/**
 * Every optimizer against PyTorch (fixtures/optim-<name>.json, tooling/golden/optim.py):
 * each configuration of flags, parameters of sizes 1, 7, 33 (and 1000) in float32 and
 * float64, 10 steps with a missing gradient at step 3; final parameters and final state.
 * Then the generic checks PyTorch's own suite makes for every optimizer: the fused pass
 * equals the composed reference path, no-op without gradients and with zero gradients,
 * state-dict determinism, older dicts and numeric steps load, atomic failed loads, the right
 * direction (also with maximize and two param groups), hooks, per-group lr.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectValues, tensorOf, thrown, tol, values } from './util.js';

type Optimizer = InstanceType<typeof torch.optim.Optimizer>;
type Factory = (params: any, options: any) => Optimizer;

/** The optimizers with fixtures, by fixture name. */
export const optimizers: Record<string, Factory> = {
  sgd: (p, o) => new torch.optim.SGD(p, o),
  adam: (p, o) => new torch.optim.Adam(p, o),
  adamw: (p, o) => new torch.optim.AdamW(p, o),
  adamax: (p, o) => new torch.optim.Adamax(p, o),
  adagrad: (p, o) => new torch.optim.Adagrad(p, o),
  adadelta: (p, o) => new torch.optim.Adadelta(p, o),
  rmsprop: (p, o) => new torch.optim.RMSprop(p, o),
  rprop: (p, o) => new torch.optim.Rprop(p, o),
  asgd: (p, o) => new torch.optim.ASGD(p, o),
  nadam: (p, o) => new torch.optim.NAdam(p, o),
  radam: (p, o) => new torch.optim.RAdam(p, o),
  adafactor: (p, o) => new torch.optim.Adafactor(p, o),
  muon: (p, o) => new torch.optim.Muon(p, o),
};

/** A working configuration per optimizer for the generic checks (visible movement in a few steps). */
export const generic: Record<string, Record<string, unknown>> = {
  sgd: { lr: 0.05, momentum: 0.9 },
  adam: { lr: 0.05 },
  adamw: { lr: 0.05 },
  adamax: { lr: 0.05 },
  adagrad: { lr: 0.1 },
  adadelta: { lr: 1 },
  rmsprop: { lr: 0.01 },
  rprop: { lr: 0.01 },
  asgd: { lr: 0.05 },
  nadam: { lr: 0.05 },
  radam: { lr: 0.05 },
  adafactor: { lr: 0.05 },
  muon: { lr: 0.05 },
};

interface OptimCase {
  readonly config: number;
  readonly dtype: 'float32' | 'float64';
  readonly shapes: number[][];
  readonly final: FixtureNumber[][];
  readonly state?: Record<string, FixtureNumber | FixtureNumber[]>[];
}

interface OptimFixture {
  readonly meta: { steps: number; nullGrad: { step: number; param: number } };
  readonly defaults: Record<string, unknown>;
  readonly configs: Record<string, unknown>[];
  readonly cases: OptimCase[];
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** The generator's exact rational formulas (see tooling/golden/optim.py). */
export const paramValue = (k: number, i: number) => ((i * 37 + k * 11 + 5) % 101) / 50 - 1;
export const gradValue = (t: number, k: number, i: number) => ((i * 53 + t * 29 + k * 17 + 3) % 97) / 48 - 1;

export function makeParams(shapes: readonly (readonly number[])[], dtype: DType): Tensor[] {
  return shapes.map((s, k) =>
    tensorOf(
      Array.from({ length: numel(s) }, (_, i) => paramValue(k, i)),
      s,
      dtype,
      true,
    ),
  );
}

export function makeGrad(t: number, k: number, shape: readonly number[], dtype: DType): Tensor {
  return tensorOf(
    Array.from({ length: numel(shape) }, (_, i) => gradValue(t, k, i)),
    shape,
    dtype,
  );
}

/** Sets the grads of step `t` (param `nullParam` gets none at `nullStep`). */
export function setGrads(ps: Tensor[], t: number, nullStep = -1, nullParam = 1): void {
  ps.forEach((p, k) => {
    p.grad?.dispose();
    p.grad = t === nullStep && k === nullParam && ps.length > 1 ? null : makeGrad(t, k, p.shape, p.dtype);
  });
}

async function expectSame(a: Tensor, b: Tensor, what: string): Promise<void> {
  expect(Array.from(await a.data()), what).toEqual(Array.from(await b.data()));
}

const dtypes = ['float32', 'float64'] as const;
const small2d = [
  [3, 5],
  [1, 7],
  [4, 2],
];
const small1d = [[5], [1], [7], []]; // [] is a 0-dim parameter
const shapesFor = (name: string) => (name === 'muon' || name === 'adafactor' ? small2d : small1d);

export function registerOptimTests(ctx: ConformanceContext): void {
  for (const [name, make] of Object.entries(optimizers)) {
    describe(name, () => {
      const fx = loadFixture<OptimFixture>(`optim-${name}`);
      describe('trajectories against PyTorch', () => {
        for (const c of fx.cases) {
          const label = `config ${c.config} ${JSON.stringify(fx.configs[c.config])} ${c.dtype} ${JSON.stringify(c.shapes)}`;
          it(label, async () => {
            if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
            const ps = makeParams(c.shapes, c.dtype);
            const opt = make(ps, fx.configs[c.config]);
            for (let t = 0; t < fx.meta.steps; t++) {
              setGrads(ps, t, fx.meta.nullGrad.step, fx.meta.nullGrad.param);
              opt.step();
            }
            const tl = tol(c.dtype, 'loose');
            for (let k = 0; k < ps.length; k++) await expectValues(ps[k]!, c.final[k]!, tl, `param ${k}`);
            if (!c.state) return;
            for (let k = 0; k < ps.length; k++) {
              const st = opt.state.get(ps[k]!) ?? {};
              const want = c.state[k]!;
              const got = Object.keys(st).filter((key) => st[key] !== null && st[key] !== undefined);
              expect(got.sort(), `state keys of param ${k}`).toEqual(Object.keys(want).sort());
              for (const [key, v] of Object.entries(want)) {
                if (Array.isArray(v)) await expectValues(st[key], v, tl, `state ${k}.${key}`);
                else expectClose([st[key]], [v], tol('float64', 'loose'), `state ${k}.${key}`);
              }
            }
          });
        }
      });

      describe('generic', () => {
        const opts = generic[name]!;
        const shapes = shapesFor(name);

        it('the fused pass equals the composed reference path (7 steps, missing and frozen grads)', async () => {
          for (const dtype of dtypes) {
            if (!ctx.supports(dtype)) continue;
            const a = makeParams(shapes, dtype);
            const b = makeParams(shapes, dtype);
            const oa = make(a, opts);
            const ob = make(b, opts);
            for (let t = 0; t < 7; t++) {
              setGrads(a, t, 2);
              setGrads(b, t, 2);
              if (t === 3 || t === 4) a[2]!.grad = b[2]!.grad = null;
              oa.step();
              torch.optim.withComposedUpdates(() => ob.step());
            }
            for (let k = 0; k < a.length; k++) {
              await expectValues(a[k]!, await values(b[k]!), tol(dtype, 'loose'), `${dtype} param ${k}`);
            }
          }
        });

        it('is a no-op when no parameter has a gradient', async () => {
          const ps = makeParams(shapes, 'float32');
          const before = await Promise.all(ps.map(values));
          const opt = make(ps, opts);
          const stateBefore = opt.state.size;
          opt.step();
          for (let k = 0; k < ps.length; k++) expect(await values(ps[k]!)).toEqual(before[k]);
          expect(opt.state.size).toBe(stateBefore);
        });

        if (!['asgd', 'adamw', 'muon'].includes(name)) {
          it('leaves parameters unchanged with zero gradients', async () => {
            const ps = makeParams(shapes, 'float32');
            const before = await Promise.all(ps.map(values));
            const opt = make(ps, opts);
            for (let t = 0; t < 3; t++) {
              for (const p of ps) p.grad = torch.zerosLike(p);
              opt.step();
            }
            for (let k = 0; k < ps.length; k++) expect(await values(ps[k]!)).toEqual(before[k]);
          });
        }

        it('state is non-empty after a step, and the state dict is deterministic (10 + 10 lock-step steps)', async () => {
          const a = makeParams(shapes, 'float32');
          const oa = make(a, opts);
          for (let t = 0; t < 10; t++) {
            setGrads(a, t);
            oa.step();
          }
          expect(oa.state.size).toBe(a.length);
          for (const st of oa.state.values()) expect(Object.keys(st).length).toBeGreaterThan(0);
          const b = a.map((p) => p.detach().clone().requiresGrad_(true));
          const ob = make(b, opts);
          ob.loadStateDict(oa.stateDict());
          for (let t = 10; t < 20; t++) {
            setGrads(a, t);
            setGrads(b, t);
            oa.step();
            ob.step();
          }
          for (let k = 0; k < a.length; k++) await expectSame(a[k]!, b[k]!, `param ${k}`);
        });

        it('loads an older state dict (a flag missing) and a 0-dim tensor step', async () => {
          const ps = makeParams(shapes, 'float32');
          const opt = make(ps, opts);
          setGrads(ps, 0);
          opt.step();
          const sd = opt.stateDict();
          const g0 = { ...sd.paramGroups[0]! };
          const flag = 'maximize' in g0 ? 'maximize' : 'nesterov';
          delete g0[flag];
          const st0 = { ...sd.state[0]! };
          if (typeof st0.step === 'number' && ctx.syncReads) st0.step = torch.tensor(st0.step);
          const opt2 = make(makeParams(shapes, 'float32'), opts);
          opt2.loadStateDict({ state: { ...sd.state, 0: st0 }, paramGroups: [g0] });
          expect(opt2.paramGroups[0]![flag]).toBe(opt2.defaults[flag]);
          if (sd.state[0]!.step !== undefined)
            expect(opt2.state.get(opt2.paramGroups[0]!.params[0]!)!.step).toBe(sd.state[0]!.step);
        });

        it('a failed loadStateDict leaves the optimizer exactly as it was', async () => {
          const ps = makeParams(shapes, 'float32');
          const opt = make(ps, opts);
          setGrads(ps, 0);
          opt.step();
          const good = opt.stateDict();
          const groupsBefore = JSON.stringify(
            opt.paramGroups.map((g) => ({ ...g, params: g.params.length })),
          );
          const stateBefore = new Map([...opt.state].map(([p, s]) => [p, { ...s }]));
          const bad: unknown[] = [
            { state: {}, paramGroups: [] },
            { state: {}, paramGroups: [{ ...good.paramGroups[0], params: [0] }] },
            { state: { 99: {} }, paramGroups: good.paramGroups },
            { state: JSON.parse('{"__proto__": {"polluted": 1}}'), paramGroups: good.paramGroups },
            { state: good.state, paramGroups: [{ ...good.paramGroups[0], lr: 'fast' }] },
            null,
          ];
          for (const sd of bad) {
            thrown(() => opt.loadStateDict(sd as any));
            expect(JSON.stringify(opt.paramGroups.map((g) => ({ ...g, params: g.params.length })))).toBe(
              groupsBefore,
            );
            expect(opt.state.size).toBe(stateBefore.size);
            for (const [p, s] of opt.state) {
              for (const [k, v] of Object.entries(stateBefore.get(p)!)) expect(s[k], k).toBe(v);
            }
          }
          expect(({} as any).polluted).toBeUndefined();
        });

        it('goes in the right direction over 20 steps, also with maximize, two param groups and a scheduler', async () => {
          const run = async (maximize: boolean, twoGroups: boolean, scheduled = false) => {
            const ps = makeParams(shapes, 'float32');
            const f = () =>
              ps.reduce(
                (acc: Tensor | null, p) => (acc ? acc.add(p.square().sum()) : p.square().sum()),
                null,
              )!;
            const initial = (await f().data())[0]!;
            const o: Record<string, unknown> = { ...opts };
            if ('maximize' in make([torch.zeros([1, 1], { requiresGrad: true })], {}).defaults)
              o.maximize = maximize;
            else if (maximize) return;
            const params = twoGroups
              ? [{ params: [ps[0]!] }, { params: ps.slice(1), lr: (opts.lr as number) / 2 }]
              : ps;
            const opt = make(params, o);
            const sched = scheduled ? new torch.optim.lrScheduler.ExponentialLR(opt, { gamma: 0.95 }) : null;
            for (let t = 0; t < 20; t++) {
              opt.zeroGrad();
              const loss = maximize ? f().neg() : f();
              loss.backward();
              opt.step();
              sched?.step();
            }
            const final = (await f().data())[0]!;
            expect(final, `maximize=${maximize} twoGroups=${twoGroups}`).toBeLessThan(initial);
          };
          await run(false, false);
          await run(true, false);
          await run(false, true);
          await run(false, false, true);
        });

        it('respects per-group lr: a group with lr 0 does not move', async () => {
          if (name === 'rprop') return; // Rprop's lr only seeds its step sizes (as PyTorch's)
          const ps = makeParams(shapes, 'float32');
          const before = await values(ps[0]!);
          const opt = make([{ params: [ps[0]!], lr: 0 }, { params: ps.slice(1) }], opts);
          for (let t = 0; t < 3; t++) {
            setGrads(ps, t);
            opt.step();
          }
          expect(await values(ps[0]!)).toEqual(before);
          expect(await values(ps[1]!)).not.toEqual(await values(makeParams(shapes, 'float32')[1]!));
        });

        it('a training loop keeps torch.memory() flat', () => {
          const ps = makeParams(shapes, 'float32');
          const opt = make(ps, opts);
          for (let t = 0; t < 3; t++) {
            setGrads(ps, t);
            opt.step();
          }
          const before = torch.memory();
          for (let t = 3; t < 8; t++) {
            setGrads(ps, t);
            opt.step();
          }
          const after = torch.memory();
          expect(after.tensors).toBe(before.tensors);
          expect(after.bytes).toBe(before.bytes);
        });

        it('a 1-element tensor lr equals the number lr', async () => {
          if (!ctx.syncReads) return; // a Tensor lr is read on the host each step (sync backends)
          const a = makeParams(shapes, 'float32');
          const b = makeParams(shapes, 'float32');
          // A float32 tensor holds fround(lr); the number path gets the same value.
          const oa = make(a, { ...opts, lr: Math.fround(opts.lr as number) });
          const ob = make(b, { ...opts, lr: torch.tensor(opts.lr as number) });
          for (let t = 0; t < 3; t++) {
            setGrads(a, t);
            setGrads(b, t);
            oa.step();
            ob.step();
          }
          for (let k = 0; k < a.length; k++) await expectSame(a[k]!, b[k]!, `param ${k}`);
        });

        it('hooks fire in PyTorch order and handles remove them', () => {
          const ps = makeParams(shapes, 'float32');
          const opt = make(ps, opts);
          const log: string[] = [];
          const hs = [
            torch.optim.registerOptimizerStepPreHook(() => void log.push('global pre')),
            torch.optim.registerOptimizerStepPostHook(() => void log.push('global post')),
            opt.registerStepPreHook(() => void log.push('pre')),
            opt.registerStepPostHook(() => void log.push('post')),
          ];
          setGrads(ps, 0);
          const r = opt.step(() => {
            log.push('closure');
            return 7;
          });
          expect(r).toBe(7);
          expect(log).toEqual(['global pre', 'pre', 'closure', 'post', 'global post']);
          for (const h of hs) h.remove();
          log.length = 0;
          opt.step();
          expect(log).toEqual([]);
        });
      });
    });
  }

  describe('base class', () => {
    it('state-dict and load-state-dict hooks run, may replace the dict, and remove', () => {
      const ps = makeParams([[3]], 'float32');
      const opt = new torch.optim.Adam(ps, { lr: 0.1 });
      const log: string[] = [];
      const hs = [
        opt.registerStateDictPreHook(() => void log.push('sd pre')),
        opt.registerStateDictPostHook((_o, sd) => {
          log.push('sd post');
          return { ...sd, paramGroups: sd.paramGroups.map((g) => ({ ...g, tag: 'hooked' })) };
        }),
        opt.registerLoadStateDictPreHook((_o, sd) => {
          log.push('load pre');
          return { ...sd, paramGroups: sd.paramGroups.map((g) => ({ ...g, lr: 0.5 })) };
        }),
        opt.registerLoadStateDictPostHook(() => void log.push('load post')),
      ];
      const sd = opt.stateDict();
      expect(sd.paramGroups[0]!.tag).toBe('hooked');
      opt.loadStateDict(sd);
      expect(opt.paramGroups[0]!.lr).toBe(0.5);
      expect(log).toEqual(['sd pre', 'sd post', 'load pre', 'load post']);
      for (const h of hs) h.remove();
      log.length = 0;
      opt.loadStateDict(opt.stateDict());
      expect(log).toEqual([]);
    });

    it('named parameters: names are saved and verified on load', () => {
      const [a, b] = makeParams([[2], [3]], 'float32');
      const opt = new torch.optim.SGD(
        [
          ['fc.weight', a!],
          ['fc.bias', b!],
        ],
        { lr: 0.1 },
      );
      const sd = opt.stateDict();
      expect(sd.paramGroups[0]!.paramNames).toEqual(['fc.weight', 'fc.bias']);
      const opt2 = new torch.optim.SGD(
        [
          ['fc.bias', b!],
          ['fc.weight', a!],
        ],
        { lr: 0.1 },
      );
      expect(thrown(() => opt2.loadStateDict(sd)).message).toMatch(/named 'fc.weight'.*'fc.bias'/);
      const opt3 = new torch.optim.SGD(new Set([a!, b!]), { lr: 0.2 });
      opt3.loadStateDict(sd);
      expect(opt3.paramGroups[0]!.lr).toBe(0.1);
    });

    it('params from a generator and a Set; zeroGrad sets to null by default, or zeroes', async () => {
      const [a, b] = makeParams([[2], [3]], 'float32');
      function* gen() {
        yield a!;
        yield b!;
      }
      const opt = new torch.optim.SGD(gen(), { lr: 0.1 });
      expect(opt.paramGroups[0]!.params).toEqual([a, b]);
      setGrads([a!, b!], 0);
      opt.zeroGrad(false);
      expect(await values(a!.grad!)).toEqual([0, 0]);
      opt.zeroGrad();
      expect(a!.grad).toBeNull();
      expect(new torch.optim.Adam(new Set([a!, b!])).paramGroups[0]!.params.length).toBe(2);
    });
  });

  describe('constructor validation (PyTorch messages)', () => {
    const p = () => [torch.zeros([2, 2], { requiresGrad: true })];
    const cases: [string, () => unknown, RegExp][] = [
      ['SGD lr', () => new torch.optim.SGD(p(), { lr: -1 }), /Invalid learning rate: -1/],
      ['SGD momentum', () => new torch.optim.SGD(p(), { momentum: -0.5 }), /Invalid momentum value: -0.5/],
      [
        'SGD weight decay',
        () => new torch.optim.SGD(p(), { weightDecay: -1 }),
        /Invalid weight_decay value: -1/,
      ],
      [
        'SGD nesterov',
        () => new torch.optim.SGD(p(), { nesterov: true }),
        /Nesterov momentum requires a momentum and zero dampening/,
      ],
      ['Adam eps', () => new torch.optim.Adam(p(), { eps: -1 }), /Invalid epsilon value: -1/],
      [
        'Adam beta0',
        () => new torch.optim.Adam(p(), { betas: [1, 0.9] }),
        /Invalid beta parameter at index 0: 1/,
      ],
      [
        'Adam beta1',
        () => new torch.optim.Adam(p(), { betas: [0.9, 1] }),
        /Invalid beta parameter at index 1: 1/,
      ],
      ['Adadelta rho', () => new torch.optim.Adadelta(p(), { rho: 1.1 }), /Invalid rho value: 1.1/],
      [
        'Adagrad lr decay',
        () => new torch.optim.Adagrad(p(), { lrDecay: -0.5 }),
        /Invalid lr_decay value: -0.5/,
      ],
      [
        'NAdam momentum decay',
        () => new torch.optim.NAdam(p(), { momentumDecay: -0.2 }),
        /Invalid momentum_decay value: -0.2/,
      ],
      ['Rprop etas', () => new torch.optim.Rprop(p(), { etas: [1.0, 0.5] }), /Invalid eta values: 1, 0.5/],
      ['RMSprop alpha', () => new torch.optim.RMSprop(p(), { alpha: -1 }), /Invalid alpha value: -1/],
      [
        'Muon 1-D',
        () => new torch.optim.Muon([torch.zeros([3], { requiresGrad: true })]),
        /Muon only supports 2D parameters/,
      ],
      [
        'Adafactor d',
        () => new torch.optim.Adafactor(p(), { d: 0.5 }),
        /Clipping threshold d should be >= 1/,
      ],
      [
        'unknown option',
        () => new torch.optim.Adam(p(), { weight_decay: 0.1 } as any),
        /unexpected option 'weight_decay'/,
      ],
    ];
    for (const [what, fn, re] of cases) {
      it(what, () => {
        expect(thrown(fn).message).toMatch(re);
      });
    }
  });
}

interface LbfgsFixture {
  readonly configs: Record<string, unknown>[];
  readonly cases: {
    config: number;
    dtype: 'float32' | 'float64';
    n: number;
    calls: { loss: FixtureNumber; x: FixtureNumber[]; funcEvals: number; nIter: number }[];
  }[];
}

const rosenbrock = (x: Tensor) => {
  const n = x.shape[0]!;
  const head = x.narrow(0, 0, n - 1);
  const tail = x.narrow(0, 1, n - 1);
  return tail.sub(head.square()).square().mul(100).add(head.neg().add(1).square()).sum();
};

export function registerLbfgsTests(ctx: ConformanceContext): void {
  const fx = loadFixture<LbfgsFixture>('optim-lbfgs');
  describe('trajectories against PyTorch (Rosenbrock, 3 calls of step)', () => {
    for (const c of fx.cases) {
      it(`config ${c.config} ${JSON.stringify(fx.configs[c.config])} ${c.dtype} n=${c.n}`, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const x = tensorOf(
          Array.from({ length: c.n }, (_, i) => 1.2 * paramValue(0, i)),
          [c.n],
          c.dtype,
          true,
        );
        const opt = new torch.optim.LBFGS([x], fx.configs[c.config] as any);
        const closure = () => {
          opt.zeroGrad();
          const loss = rosenbrock(x);
          loss.backward();
          return loss;
        };
        for (let k = 0; k < c.calls.length; k++) {
          const want = c.calls[k]!;
          const loss = (await opt.step(closure)) as Tensor;
          const st = opt.state.get(x)!;
          if (c.dtype === 'float64') {
            // Dot products summed in another order move the last digits; after ~60 iterations
            // near the minimum that reaches 1e-6 relative, so x is compared at 1e-4.
            expect([st.funcEvals, st.nIter], `call ${k} evaluations, iterations`).toEqual([
              want.funcEvals,
              want.nIter,
            ]);
            expectClose(
              [(await loss.data())[0]!],
              [want.loss],
              { rtol: 1e-6, atol: 1e-12 },
              `call ${k} loss`,
            );
            await expectValues(x, want.x, { rtol: 1e-4, atol: 1e-6 }, `call ${k} x`);
          } else if (k === 0) {
            // float32 LBFGS is chaotic (PyTorch's own float32 run differs from its float64 one
            // after a few iterations), so only the first call is compared.
            expectClose([(await loss.data())[0]!], [want.loss], tol('float32'), 'first loss');
            await expectValues(x, want.x, { rtol: 1e-2, atol: 1e-3 }, 'x after the first call');
          }
        }
      });
    }
  });

  it('refuses several param groups, and a step without closure', () => {
    const a = torch.zeros([2], { requiresGrad: true });
    const b = torch.zeros([2], { requiresGrad: true });
    expect(thrown(() => new torch.optim.LBFGS([{ params: [a] }, { params: [b] }])).message).toMatch(
      /LBFGS doesn't support per-parameter options \(parameter groups\)/,
    );
    expect(thrown(() => new torch.optim.LBFGS([a]).step()).message).toMatch(/closure/);
  });

  it('state dict round trip continues identically', async () => {
    const mk = () => tensorOf([-1.5, 2, 0.5], [3], 'float32', true);
    const x = mk();
    const opt = new torch.optim.LBFGS([x], { lineSearchFn: 'strong_wolfe', maxIter: 4 });
    const cl = (p: Tensor, o: InstanceType<typeof torch.optim.LBFGS>) => () => {
      o.zeroGrad();
      const l = rosenbrock(p);
      l.backward();
      return l;
    };
    await opt.step(cl(x, opt));
    const y = x.detach().clone().requiresGrad_(true);
    const opt2 = new torch.optim.LBFGS([y], { lineSearchFn: 'strong_wolfe', maxIter: 4 });
    opt2.loadStateDict(opt.stateDict());
    await opt.step(cl(x, opt));
    await opt2.step(cl(y, opt2));
    expect(await values(y)).toEqual(await values(x));
  });
}

/** Rows of a param present in step t's sparse gradient (see tooling/golden/optim.py). */
const sparseRows = (t: number, rows: number) =>
  Array.from({ length: rows }, (_, r) => r).filter((r) => rows === 1 || (r * 5 + t * 3) % 4 !== 0);

export function registerSparseAdamTests(ctx: ConformanceContext): void {
  const fx = loadFixture<OptimFixture>('optim-sparse_adam');
  describe('trajectories against PyTorch (row-sparse gradients, densified)', () => {
    for (const c of fx.cases) {
      it(`config ${c.config} ${JSON.stringify(fx.configs[c.config])} ${c.dtype}`, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const ps = makeParams(c.shapes, c.dtype);
        const opt = new torch.optim.SparseAdam(ps, fx.configs[c.config] as any);
        for (let t = 0; t < fx.meta.steps; t++) {
          ps.forEach((p, k) => {
            p.grad?.dispose();
            if (t === fx.meta.nullGrad.step && k === fx.meta.nullGrad.param) {
              p.grad = null;
              return;
            }
            const [rows, cols] = p.shape as [number, number];
            const present = new Set(sparseRows(t, rows));
            const data = Array.from({ length: rows * cols }, (_, i) =>
              present.has(Math.floor(i / cols)) ? gradValue(t, k, i) : 0,
            );
            p.grad = tensorOf(data, p.shape, c.dtype);
          });
          opt.step();
        }
        const tl = tol(c.dtype, 'loose');
        for (let k = 0; k < ps.length; k++) await expectValues(ps[k]!, c.final[k]!, tl, `param ${k}`);
        for (let k = 0; k < ps.length; k++) {
          const st = opt.state.get(ps[k]!)!;
          for (const [key, v] of Object.entries(c.state![k]!)) {
            if (Array.isArray(v)) await expectValues(st[key], v, tl, `state ${k}.${key}`);
            else expect(st[key], `state ${k}.${key}`).toBe(v);
          }
        }
      });
    }
  });

  it('with nn.Embedding({ sparse: true }): only the looked-up rows move', async () => {
    torch.manualSeed(0);
    const emb = new torch.nn.Embedding(6, 3, { sparse: true });
    const before = await values(emb.weight);
    const opt = new torch.optim.SparseAdam(emb.parameters(), { lr: 0.1 });
    const idx = torch.tensor([4, 1, 4], { dtype: 'int32' });
    emb.forward(idx).square().sum().backward();
    opt.step();
    const after = await values(emb.weight);
    for (let r = 0; r < 6; r++) {
      const moved = [0, 1, 2].some((c) => after[r * 3 + c] !== before[r * 3 + c]);
      expect(moved, `row ${r}`).toBe(r === 1 || r === 4);
    }
  });

  it('rejects a non-positive lr and eps as PyTorch', () => {
    const p = [torch.zeros([2, 2], { requiresGrad: true })];
    expect(thrown(() => new torch.optim.SparseAdam(p, { lr: 0 })).message).toMatch(
      /Invalid learning rate: 0/,
    );
    expect(thrown(() => new torch.optim.SparseAdam(p, { eps: 0 })).message).toMatch(
      /Invalid epsilon value: 0/,
    );
  });
}
