/**
 * What an optimizer refuses (issue 10, items 4 and 5), on every backend:
 * - `loadStateDict` checks every state entry and hyperparameter against what the optimizer
 *   itself writes (kind, shape, dtype, presence for its configuration): for every optimizer,
 *   a table of bad state dicts, each refused with an error naming the key, and the
 *   optimizer's state dict unchanged afterwards (tensor values and identities included).
 * - Integer and bool parameters are refused when added (constructor, `addParamGroup`), and
 *   an integer gradient at `step()` before any backend work, with one message naming the
 *   dtype on every backend.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { type Optimizer, type OptimizerInfo, optimizers } from './optim/info.js';
import { makeParams, setGrads } from './optim/params.js';
import { thrown, values } from './util.js';

/** Builds the optimizer of `info` over `params` in a configuration that writes every state entry it can. */
const fullState = (info: OptimizerInfo, params: Tensor[]) => info.make(params, info.fullStateOptions);

interface Snapshot {
  json: string;
  tensors: Tensor[];
  data: [string, number[], number[]][];
}

/** The state dict as text, with every tensor's dtype, shape and values (read on any backend). */
async function snapshot(opt: Optimizer): Promise<Snapshot> {
  const tensors: Tensor[] = [];
  const json = JSON.stringify(opt.stateDict(), (_k, v) => {
    if (v instanceof torch.Tensor) return `<tensor ${tensors.push(v) - 1}>`;
    return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
  });
  const data = await Promise.all(
    tensors.map(async (t) => [t.dtype, [...t.shape], await values(t)] as [string, number[], number[]]),
  );
  return { json, tensors, data };
}

async function expectUnchanged(opt: Optimizer, before: Snapshot, label: string): Promise<void> {
  const after = await snapshot(opt);
  expect(after.json, `${label}: state dict after the failed load`).toBe(before.json);
  expect(after.data, `${label}: state tensors after the failed load`).toEqual(before.data);
  after.tensors.forEach((t, i) => {
    expect(t, `${label}: state tensor ${i} is still the same tensor`).toBe(before.tensors[i]);
  });
}

const counts = new Set(['step', 'funcEvals', 'nIter']);

/**
 * Bad variants of `good`, each with the text its error must contain: every state entry
 * removed (where the optimizer always writes it), null, a string, an object, NaN; tensors of
 * the wrong shape and of an integer or bool dtype; counts that are negative or fractional;
 * lists holding the wrong things; an unknown key; every hyperparameter of the wrong kind.
 */
function badStateDicts(good: any, info: OptimizerInfo): [label: string, sd: any, names: string][] {
  const out: [string, any, string][] = [];
  const withEntry = (i: string, k: string, v: unknown, remove = false) => {
    const st = { ...good.state[i] };
    if (remove) delete st[k];
    else st[k] = v;
    return { state: { ...good.state, [i]: st }, paramGroups: good.paramGroups };
  };
  const bad = (i: string, k: string, v: unknown, what: string) =>
    out.push([`state[${i}].${k} = ${what}`, withEntry(i, k, v), `state[${i}].${k}`]);
  for (const [i, st] of Object.entries<Record<string, unknown>>(good.state)) {
    for (const [k, v] of Object.entries(st)) {
      // An empty state is a fresh one (nothing to check), so a lone entry may go.
      if (!info.optionalState?.includes(k) && Object.keys(st).length > 1)
        out.push([`state[${i}].${k} removed`, withEntry(i, k, 0, true), `state[${i}].${k}`]);
      if (!info.nullableState?.includes(k)) bad(i, k, null, 'null');
      bad(i, k, 'a', "'a'");
      bad(i, k, { x: 1 }, 'an object');
      if (v instanceof torch.Tensor) {
        const n = v.numel();
        bad(i, k, torch.zeros([n + 1]), `a tensor of shape [${n + 1}]`);
        bad(i, k, torch.zeros([...v.shape], { dtype: 'int32' }), 'an int32 tensor');
        bad(i, k, torch.zeros([...v.shape], { dtype: 'bool' }), 'a bool tensor');
        bad(i, k, 3, 'a number');
        bad(i, k, [v], 'an array');
      } else if (typeof v === 'number') {
        bad(i, k, [v], 'an array');
        if (k !== 'prevLoss') {
          bad(i, k, Number.NaN, 'NaN');
          bad(i, k, Number.POSITIVE_INFINITY, 'Infinity');
        }
        if (counts.has(k)) {
          bad(i, k, -1, '-1');
          bad(i, k, 1.5, '1.5');
        }
      } else if (Array.isArray(v)) {
        bad(i, k, 5, 'a number');
        bad(i, k, ['a'], "['a']");
        if (v[0] instanceof torch.Tensor)
          bad(i, k, [torch.zeros([v[0].numel() + 1])], 'a wrong-shaped tensor list');
        else bad(i, k, [Number.NaN], '[NaN]');
      }
    }
    out.push([`state[${i}].bogus = 1`, withEntry(i, 'bogus', 1), `state[${i}].bogus`]);
  }
  const g0 = good.paramGroups[0];
  const withHyper = (k: string, v: unknown) => ({
    state: good.state,
    paramGroups: [{ ...g0, [k]: v }, ...good.paramGroups.slice(1)],
  });
  for (const [k, v] of Object.entries<unknown>(g0)) {
    if (k === 'params' || k === 'paramNames' || v === null || typeof v === 'string') continue;
    const put = (b: unknown, what: string) =>
      out.push([`paramGroups[0].${k} = ${what}`, withHyper(k, b), `paramGroups[0].${k}`]);
    put(null, 'null');
    put('a', "'a'");
    if (typeof v === 'number') {
      put(Number.NaN, 'NaN');
      put([v], 'an array');
    } else if (typeof v === 'boolean') {
      put(1, '1');
    } else if (Array.isArray(v)) {
      put([...v, 0], 'one element too many');
      put(
        v.map(() => 'a'),
        'strings',
      );
      put(
        v.map((x) => (x === null ? x : null)),
        'nulls',
      );
    }
  }
  return out;
}

export function registerOptimValidationTests(ctx: ConformanceContext): void {
  describe('loadStateDict refuses a bad state dict, naming the key, and changes nothing', () => {
    for (const info of optimizers) {
      const name = info.name;
      it(name, async () => {
        const ps = makeParams(info.stateShapes, 'float32');
        const opt = fullState(info, ps);
        for (let t = 0; t < 3; t++) await info.step(opt, ps, t);
        const good = opt.stateDict();
        const before = await snapshot(opt);
        const table = badStateDicts(good, info);
        expect(table.length).toBeGreaterThan(20);
        for (const [label, sd, names] of table) {
          let err: Error | undefined;
          try {
            opt.loadStateDict(sd);
          } catch (e) {
            err = e as Error;
          }
          expect(err, `${label}: expected the load to be refused`).toBeInstanceOf(Error);
          expect(err!.message, label).toContain(names);
          await expectUnchanged(opt, before, label);
        }
        // The good dict still loads, and the optimizer steps on from it.
        opt.loadStateDict(good);
        await info.step(opt, ps, 3);
        for (const p of ps)
          expect((await values(p)).every(Number.isFinite), `${name}: finite after a step`).toBe(true);
      });
    }
  });

  describe('the loads issue 10 reported as accepted', () => {
    const stepped = async (make: (ps: Tensor[]) => Optimizer, shapes: number[][]) => {
      const ps = makeParams(shapes, 'float32');
      const opt = make(ps);
      for (let t = 0; t < 2; t++) {
        setGrads(ps, t);
        opt.step();
      }
      return { opt, sd: opt.stateDict(), before: await snapshot(opt) };
    };

    it('RMSprop(centered) without squareAvg (was NaN weights on the next step)', async () => {
      const { opt, sd, before } = await stepped(
        (ps) => new torch.optim.RMSprop(ps, { centered: true }),
        [[3]],
      );
      const { squareAvg: _, ...st0 } = sd.state[0]!;
      const e = thrown(() => opt.loadStateDict({ ...sd, state: { 0: st0 } }));
      expect(e.message).toMatch(/state\[0\]\.squareAvg is missing/);
      await expectUnchanged(opt, before, 'RMSprop');
    });

    it('Adafactor: a rowVar of the wrong shape, colVar: 3', async () => {
      const { opt, sd, before } = await stepped((ps) => new torch.optim.Adafactor(ps), [[3, 4]]);
      const rowVar = torch.zeros([4, 1]);
      expect(
        thrown(() => opt.loadStateDict({ ...sd, state: { 0: { ...sd.state[0], rowVar } } })).message,
      ).toMatch(/state\[0\]\.rowVar has shape \[4, 1\], but Adafactor writes shape \[3, 1\]/);
      expect(
        thrown(() => opt.loadStateDict({ ...sd, state: { 0: { ...sd.state[0], colVar: 3 } } })).message,
      ).toMatch(/state\[0\]\.colVar must be a floating point tensor of shape \[1, 4\]/);
      await expectUnchanged(opt, before, 'Adafactor');
    });

    it('Muon and Adafactor: lr, momentum, eps of null', async () => {
      for (const [make, keys] of [
        [(ps: Tensor[]) => new torch.optim.Muon(ps), ['lr', 'momentum', 'eps']],
        [(ps: Tensor[]) => new torch.optim.Adafactor(ps), ['lr', 'eps']],
      ] as const) {
        const { opt, sd, before } = await stepped(make, [[3, 4]]);
        for (const k of keys) {
          const e = thrown(() =>
            opt.loadStateDict({ ...sd, paramGroups: [{ ...sd.paramGroups[0], [k]: null }] }),
          );
          expect(e.message).toContain(`paramGroups[0].${k}`);
          await expectUnchanged(opt, before, `${opt.constructor.name} ${k}`);
        }
        // ...and as constructor options.
        for (const k of keys) {
          const ctor = opt.constructor as any;
          expect(() => new ctor([torch.zeros([2, 2], { requiresGrad: true })], { [k]: null }), k).toThrow();
        }
      }
    });
  });

  it('an optimizer loads its own state dict after a scheduler stepped the lr just below 0', () => {
    // CosineAnnealingLR applied step by step can undershoot 0 (as in PyTorch, which loads
    // any lr): the load checks the lr's kind, not its sign. Found by the scheduler fuzz.
    const ps = makeParams([[3]], 'float32');
    const opt = new torch.optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
    opt.paramGroups[0]!.lr = -2.8e-4;
    const fresh = new torch.optim.SGD(makeParams([[3]], 'float32'), { lr: 0.1, momentum: 0.9 });
    fresh.loadStateDict(opt.stateDict());
    expect(fresh.paramGroups[0]!.lr).toBe(-2.8e-4);
    expect(() =>
      fresh.loadStateDict({
        ...opt.stateDict(),
        paramGroups: [{ ...opt.stateDict().paramGroups[0], lr: Number.NaN }],
      }),
    ).toThrow(/lr/);
  });

  describe('integer and bool parameters are refused, naming the dtype, on every backend', () => {
    for (const dtype of ['int32', 'bool'] as const) {
      it(`${dtype}: every optimizer's constructor and addParamGroup`, () => {
        if (!ctx.supports(dtype)) return;
        for (const info of optimizers) {
          const name = info.name;
          const bad = torch.zeros([2, 2], { dtype });
          const e = thrown(() => fullState(info, [bad]));
          expect(e, name).toBeInstanceOf(torch.DTypeError);
          expect(e.message, name).toMatch(
            new RegExp(`floating point parameters, but parameter 0 of the group has dtype ${dtype}`),
          );
          if (info.singleGroup) continue; // no addParamGroup to refuse with
          const ok = makeParams([info.minimalShape], 'float32');
          const opt = fullState(info, ok);
          const groups = JSON.stringify(opt.paramGroups.map((g) => ({ ...g, params: g.params.length })));
          const e2 = thrown(() => opt.addParamGroup({ params: [torch.zeros([2, 2], { dtype })] }));
          expect(e2.message, `${name} addParamGroup`).toMatch(new RegExp(`has dtype ${dtype}`));
          expect(JSON.stringify(opt.paramGroups.map((g) => ({ ...g, params: g.params.length })))).toBe(
            groups,
          );
        }
      });
    }

    it('an int32 gradient at step() is refused before any parameter moves', async () => {
      if (!ctx.supports('int32')) return;
      const w = makeParams([[2]], 'float32')[0]!;
      const opt = new torch.optim.SGD([w], { lr: 0.1 });
      // An integer tensor that got into a group without addParamGroup (which refuses it).
      const n = torch.tensor([1, 2], { dtype: 'int32' });
      opt.paramGroups[0]!.params.push(n);
      w.grad = torch.onesLike(w);
      n.grad = torch.tensor([3, 4], { dtype: 'int32' });
      const wBefore = await values(w);
      const e = thrown(() => opt.step());
      expect(e).toBeInstanceOf(torch.DTypeError);
      expect(e.message).toMatch(/parameter 1 of group 0 has dtype int32/);
      expect(await values(w)).toEqual(wBefore);
      expect(await values(n)).toEqual([1, 2]);
    });
  });
}
