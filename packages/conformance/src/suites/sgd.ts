/**
 * The Optimizer base class and SGD against PyTorch (fixtures/sgd.json, sgd_errors.json):
 * trajectories with given gradients for every flag combination, params of sizes 1, 7, 33
 * and 1000 in float32 and float64; null grads skipped; two param groups; the default lr
 * (latest PyTorch: 1e-3); stateDict / loadStateDict; constructor, addParamGroup and
 * loadStateDict errors with PyTorch's key phrases.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it, vi } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import {
  expectDTypeUnsupported,
  expectValues,
  phrasePattern,
  tensorOf,
  thrown,
  tol,
  values,
} from './util.js';

type N = FixtureNumber[];

interface SgdCase {
  readonly id: string;
  readonly dtype: 'float32' | 'float64';
  readonly options: Record<string, number | boolean>;
  readonly trajectory: N[][];
  readonly final: N[];
  readonly momentumBuffer: (N | null)[];
  readonly stateKeys: string[][];
  readonly nullGrads?: boolean[][];
}

interface SgdFixture {
  readonly steps: number;
  readonly sizes: number[];
  readonly data: Record<string, { init: N[]; grads: N[][] }>;
  readonly cases: SgdCase[];
  readonly twoGroups: {
    groups: Record<string, any>[];
    defaults: Record<string, number>;
  } & Record<
    string,
    {
      trajectory: N[][];
      final: N[];
      paramGroups: Record<string, any>[];
      stateMomentumBuffer: Record<string, N>;
    }
  >;
}

interface ErrorCase {
  readonly id: string;
  readonly pytorchType: string;
  readonly pytorchMessage: string;
  readonly keyPhrase: string;
  readonly type: 'TypeError' | 'Error';
}

interface ErrorsFixture {
  readonly errors: ErrorCase[];
  readonly duplicateWarning: { message: string; keyPhrase: string };
  readonly addParamGroupDefaults: {
    defaults: Record<string, number>;
    added: { lr: number; size: number };
    group: Record<string, number | boolean>;
  };
}

const snakeToCamel = (k: string): string => k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

export function registerSgdTests(ctx: ConformanceContext): void {
  const fx = loadFixture<SgdFixture>('sgd');
  const ef = loadFixture<ErrorsFixture>('sgd_errors');

  const makeParams = (dtype: DType): Tensor[] =>
    fx.data[dtype]!.init.map((d) => tensorOf(d, [d.length], dtype, true));
  const setGrads = (ps: Tensor[], dtype: DType, step: number, nulls?: boolean[]): void => {
    ps.forEach((p, i) => {
      const g = fx.data[dtype]!.grads[step]![i]!;
      p.grad = nulls?.[i] ? null : tensorOf(g, [g.length], dtype);
    });
  };
  const trajTol = (dtype: DType) => tol(dtype, 'loose');

  describe('trajectories', () => {
    for (const c of fx.cases) {
      it(c.id, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const ps = makeParams(c.dtype);
        const opt = new torch.optim.SGD(ps, c.options as any);
        for (let s = 0; s < fx.steps; s++) {
          setGrads(ps, c.dtype, s, c.nullGrads?.[s]);
          opt.step();
          for (let i = 0; i < 3; i++) {
            await expectValues(ps[i]!, c.trajectory[s]![i]!, trajTol(c.dtype), `step ${s} param ${i}`);
          }
        }
        for (let i = 0; i < ps.length; i++) {
          await expectValues(ps[i]!, c.final[i]!, trajTol(c.dtype), `final param ${i} (size ${fx.sizes[i]})`);
        }
        for (let i = 0; i < 3; i++) {
          const st = opt.state.get(ps[i]!) ?? {};
          const keys = Object.keys(st)
            .filter((k) => st[k] !== undefined && st[k] !== null)
            .sort();
          expect(keys, `state keys of param ${i}`).toEqual(c.stateKeys[i]!.map(snakeToCamel).sort());
          const buf = c.momentumBuffer[i];
          if (buf)
            await expectValues(st.momentumBuffer, buf, trajTol(c.dtype), `momentumBuffer of param ${i}`);
        }
      });
    }
  });

  describe('two param groups', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${dtype}: per-group lr and momentum, defaults filled in, stateDict`, async () => {
        if (!ctx.supports(dtype)) return expectDTypeUnsupported(ctx, dtype);
        const tg = fx.twoGroups;
        const ex = tg[dtype]!;
        const ps = makeParams(dtype);
        const groups = tg.groups.map((g) => ({ ...g, params: (g.params as number[]).map((i) => ps[i]!) }));
        const opt = new torch.optim.SGD(groups, tg.defaults as any);
        for (let s = 0; s < fx.steps; s++) {
          setGrads(ps, dtype, s);
          opt.step();
          for (let i = 0; i < 3; i++) {
            await expectValues(ps[i]!, ex.trajectory[s]![i]!, trajTol(dtype), `step ${s} param ${i}`);
          }
        }
        for (let i = 0; i < ps.length; i++)
          await expectValues(ps[i]!, ex.final[i]!, trajTol(dtype), `final ${i}`);
        const sd = opt.stateDict();
        expect(sd.paramGroups.length).toBe(ex.paramGroups.length);
        ex.paramGroups.forEach((g, gi) => {
          for (const [k, v] of Object.entries(g))
            expect(sd.paramGroups[gi]![k], `paramGroups[${gi}].${k}`).toEqual(v);
        });
        for (const [k, buf] of Object.entries(ex.stateMomentumBuffer)) {
          await expectValues(sd.state[k]!.momentumBuffer, buf, trajTol(dtype), `state[${k}].momentumBuffer`);
        }
      });
    }
  });

  describe('state dict', () => {
    const dtype = (): DType => (ctx.supports('float64') ? 'float64' : 'float32');
    const pick = () =>
      fx.cases.find((c) => c.dtype === dtype() && c.options.nesterov === true && c.options.weightDecay)!;

    it('loadStateDict into a fresh optimizer continues the same trajectory', async () => {
      const c = pick();
      const d = dtype();
      const ps = makeParams(d);
      const a = new torch.optim.SGD(ps, c.options as any);
      const half = 6;
      for (let s = 0; s < half; s++) {
        setGrads(ps, d, s);
        a.step();
      }
      const sd = a.stateDict();
      // A second set of parameters holding the same values, and an optimizer with other hyperparameters.
      const qs = await Promise.all(
        ps.map(async (p) => tensorOf(Array.from(await p.data()), [...p.shape], d, true)),
      );
      const b = new torch.optim.SGD(qs, { lr: 0.5 });
      b.loadStateDict(sd);
      expect(b.paramGroups[0]!.lr).toBe(c.options.lr);
      expect(b.paramGroups[0]!.params[0]).toBe(qs[0]);
      for (let s = half; s < fx.steps; s++) {
        setGrads(qs, d, s);
        b.step();
        for (let i = 0; i < 3; i++) {
          await expectValues(qs[i]!, c.trajectory[s]![i]!, trajTol(d), `resumed step ${s} param ${i}`);
        }
      }
    });

    it('stateDict is PyTorch-shaped: state by index, paramGroups with params as indices', () => {
      const d = dtype();
      const ps = makeParams(d);
      const opt = new torch.optim.SGD([{ params: [ps[0]!, ps[1]!] }, { params: [ps[2]!], lr: 0.01 }], {
        lr: 0.1,
        momentum: 0.9,
      });
      setGrads(ps, d, 0);
      opt.step();
      const sd = opt.stateDict();
      expect(sd.paramGroups.map((g) => g.params)).toEqual([[0, 1], [2]]);
      expect(Object.keys(sd.state).sort()).toEqual(['0', '1', '2']);
      expect(sd.paramGroups[1]!.lr).toBe(0.01);
      expect(sd.paramGroups[1]!.momentum).toBe(0.9);
    });

    it('a failed loadStateDict leaves the optimizer exactly as it was', async () => {
      const d = dtype();
      const ps = makeParams(d);
      const opt = new torch.optim.SGD([ps[0]!, ps[1]!], { lr: 0.1, momentum: 0.9 });
      setGrads(ps, d, 0);
      opt.step();
      const bufBefore = await values(opt.state.get(ps[0]!)!.momentumBuffer);
      const other = new torch.optim.SGD([ps[2]!], { lr: 0.7, momentum: 0.1 });
      const sd = other.stateDict();
      expect(() => opt.loadStateDict(sd)).toThrow();
      expect(opt.paramGroups[0]!.lr).toBe(0.1);
      expect(opt.paramGroups[0]!.momentum).toBe(0.9);
      expect(opt.paramGroups[0]!.params).toEqual([ps[0], ps[1]]);
      expect(await values(opt.state.get(ps[0]!)!.momentumBuffer)).toEqual(bufBefore);
    });
  });

  describe('behaviour', () => {
    it('zeroGrad() sets grads to null (latest PyTorch default); zeroGrad(false) zeroes them', async () => {
      const ps = makeParams('float32');
      const opt = new torch.optim.SGD(ps, { lr: 0.1 });
      setGrads(ps, 'float32', 0);
      opt.zeroGrad();
      for (const p of ps) expect(p.grad).toBeNull();
      setGrads(ps, 'float32', 0);
      opt.zeroGrad(false);
      for (const p of ps) {
        expect(p.grad).not.toBeNull();
        expect((await values(p.grad!)).every((v) => v === 0)).toBe(true);
      }
    });

    it('step(closure) returns what the closure returned, and runs it with grad enabled', () => {
      const ps = makeParams('float32');
      const opt = new torch.optim.SGD(ps, { lr: 0.1 });
      let enabled = false;
      const r = torch.noGrad(() =>
        opt.step(() => {
          enabled = ps[0]!.mul(2).requiresGrad;
          return 42;
        }),
      );
      expect(r).toBe(42);
      expect(enabled).toBe(true);
    });

    it('params may be a Set or a generator', () => {
      const ps = makeParams('float32');
      function* gen() {
        yield* ps;
      }
      for (const params of [new Set(ps), gen()]) {
        const opt = new torch.optim.SGD(params, { lr: 0.1 });
        expect(opt.paramGroups[0]!.params.length).toBe(ps.length);
        for (let i = 0; i < ps.length; i++) expect(opt.paramGroups[0]!.params[i]).toBe(ps[i]);
      }
    });

    it('a step with no grads changes nothing and creates no state', async () => {
      const ps = makeParams('float32');
      const before = await Promise.all(ps.map(values));
      const opt = new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
      opt.step();
      expect(await Promise.all(ps.map(values))).toEqual(before);
      for (const p of ps) expect(Object.keys(opt.state.get(p) ?? {})).toEqual([]);
    });

    it('addParamGroup fills hyperparameters from defaults', () => {
      const a = ef.addParamGroupDefaults;
      const opt = new torch.optim.SGD([torch.zeros([3], { requiresGrad: true })], a.defaults as any);
      opt.addParamGroup({ params: torch.zeros([a.added.size], { requiresGrad: true }), lr: a.added.lr });
      const g = opt.paramGroups[1]!;
      const { numParams, ...hyper } = a.group;
      expect(g.params.length).toBe(numParams);
      for (const [k, v] of Object.entries(hyper)) expect(g[k], k).toEqual(v);
    });

    it('duplicate parameters in a group warn', () => {
      const p = torch.zeros([3], { requiresGrad: true });
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
      try {
        new torch.optim.SGD([p, p], { lr: 0.1 });
        expect(warn).toHaveBeenCalled();
        expect(String(warn.mock.calls[0]![0])).toMatch(phrasePattern(ef.duplicateWarning.keyPhrase));
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('errors', () => {
    const p = () => torch.zeros([3], { requiresGrad: true });
    const nonLeaf = () => p().mul(2);
    const calls: Record<string, () => unknown> = {
      'bare tensor as params': () => new torch.optim.SGD(p() as any, { lr: 0.1 }),
      'empty params': () => new torch.optim.SGD([], { lr: 0.1 }),
      'negative lr': () => new torch.optim.SGD([p()], { lr: -0.1 }),
      'negative momentum': () => new torch.optim.SGD([p()], { lr: 0.1, momentum: -0.5 }),
      'negative weight decay': () => new torch.optim.SGD([p()], { lr: 0.1, weightDecay: -1 }),
      'nesterov without momentum': () => new torch.optim.SGD([p()], { lr: 0.1, nesterov: true }),
      'nesterov with dampening': () =>
        new torch.optim.SGD([p()], { lr: 0.1, momentum: 0.9, dampening: 0.5, nesterov: true }),
      'non-tensor param': () => new torch.optim.SGD([p(), 5] as any, { lr: 0.1 }),
      'non-leaf param': () => new torch.optim.SGD([nonLeaf()], { lr: 0.1 }),
      'addParamGroup: not an object': () => new torch.optim.SGD([p()], { lr: 0.1 }).addParamGroup(5 as any),
      'addParamGroup: overlap': () => {
        const s = p();
        new torch.optim.SGD([s], { lr: 0.1 }).addParamGroup({ params: [s] });
      },
      'addParamGroup: non-leaf': () =>
        new torch.optim.SGD([p()], { lr: 0.1 }).addParamGroup({ params: [nonLeaf()] }),
      'addParamGroup: non-tensor': () =>
        new torch.optim.SGD([p()], { lr: 0.1 }).addParamGroup({ params: ['a'] as any }),
      'loadStateDict: group count': () => {
        const opt = new torch.optim.SGD([p(), p()], { lr: 0.1 });
        const other = new torch.optim.SGD([{ params: [p()] }, { params: [p()] }], { lr: 0.1 });
        opt.loadStateDict(other.stateDict());
      },
      'loadStateDict: group size': () => {
        const opt = new torch.optim.SGD([p(), p()], { lr: 0.1 });
        opt.loadStateDict(new torch.optim.SGD([p()], { lr: 0.1 }).stateDict());
      },
      'addParamGroup: missing required hyperparameter': () => {
        // An Optimizer subclass whose lr has no default, as PyTorch's `required`.
        class NeedsLr extends (torch.optim.Optimizer as any) {
          constructor(params: Iterable<Tensor>) {
            super(params, { lr: (torch.optim as any).required });
          }
          step(): void {}
        }
        return new NeedsLr([p()]);
      },
    };

    for (const c of ef.errors) {
      it(`${c.id}: ${c.pytorchMessage.slice(0, 60)}`, () => {
        const call = calls[c.id];
        expect(call, `no stepwise call for '${c.id}'`).toBeDefined();
        const e = thrown(call!);
        expect(e.message).toMatch(phrasePattern(c.keyPhrase));
        if (c.type === 'TypeError') expect(e).toBeInstanceOf(TypeError);
      });
    }

    it('a failed addParamGroup leaves the optimizer unchanged', () => {
      const a = p();
      const opt = new torch.optim.SGD([a], { lr: 0.1 });
      expect(() => opt.addParamGroup({ params: [p(), a] })).toThrow();
      expect(opt.paramGroups.length).toBe(1);
      expect(opt.paramGroups[0]!.params).toEqual([a]);
    });
  });
}
