/**
 * The generic checks PyTorch's own suite makes for every optimizer: the fused pass equals
 * the composed reference path, no-op without gradients and with zero gradients, state-dict
 * determinism, older dicts and numeric steps load, atomic failed loads, the right direction
 * (also with maximize and two param groups), hooks, per-group lr. Where an optimizer
 * differs from the generic expectation, its `OptimizerInfo` row says so, and why.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../../context.js';
import { expectValues, thrown, tol, values } from '../util.js';
import type { OptimizerInfo } from './info.js';
import { makeParams, setGrads } from './params.js';

const dtypes = ['float32', 'float64'] as const;

async function expectSame(a: Tensor, b: Tensor, what: string): Promise<void> {
  expect(Array.from(await a.data()), what).toEqual(Array.from(await b.data()));
}

export function registerGenericTests(ctx: ConformanceContext, info: OptimizerInfo): void {
  describe('generic', () => {
    const { make, options: opts, shapes } = info;

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

    const zeroGrads = async () => {
      const ps = makeParams(shapes, 'float32');
      const before = await Promise.all(ps.map(values));
      const opt = make(ps, opts);
      for (let t = 0; t < 3; t++) {
        for (const p of ps) p.grad = torch.zerosLike(p);
        opt.step();
      }
      return { before, after: await Promise.all(ps.map(values)) };
    };
    if (info.movesWithZeroGrads) {
      it(`moves the parameters with zero gradients: ${info.movesWithZeroGrads}`, async () => {
        const { before, after } = await zeroGrads();
        expect(after).not.toEqual(before);
      });
    } else {
      it('leaves parameters unchanged with zero gradients', async () => {
        const { before, after } = await zeroGrads();
        for (let k = 0; k < before.length; k++) expect(after[k]).toEqual(before[k]);
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
      const groupsBefore = JSON.stringify(opt.paramGroups.map((g) => ({ ...g, params: g.params.length })));
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
          ps.reduce((acc: Tensor | null, p) => (acc ? acc.add(p.square().sum()) : p.square().sum()), null)!;
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

    const zeroLrGroup = async () => {
      const ps = makeParams(shapes, 'float32');
      const before = await values(ps[0]!);
      const opt = make([{ params: [ps[0]!], lr: 0 }, { params: ps.slice(1) }], opts);
      for (let t = 0; t < 3; t++) {
        setGrads(ps, t);
        opt.step();
      }
      expect(await values(ps[1]!), 'the other group moves').not.toEqual(
        await values(makeParams(shapes, 'float32')[1]!),
      );
      return { before, after: await values(ps[0]!) };
    };
    if (info.movesWithZeroLr) {
      it(`per-group lr: a group with lr 0 still moves: ${info.movesWithZeroLr}`, async () => {
        const { before, after } = await zeroLrGroup();
        expect(after).not.toEqual(before);
      });
    } else {
      it('respects per-group lr: a group with lr 0 does not move', async () => {
        const { before, after } = await zeroLrGroup();
        expect(after).toEqual(before);
      });
    }

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
}
