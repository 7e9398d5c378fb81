/**
 * Fuzzing `torch.load` and `Optimizer.loadStateDict` with random and mutated inputs:
 * every case must either load or fail with a clear error (a `CheckpointError` for bytes),
 * never crash with an internal error, hang, allocate beyond the input's size or pollute a
 * prototype — and a failed `loadStateDict` must leave the optimizer exactly as it was.
 * STEPWISE_FUZZ_CASES (default 1500 per target) and STEPWISE_FUZZ_SEED run more on demand.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { makeParams, setGrads } from './optim.js';
import { saveAny } from './serialize.js';

const CASES = Number(process.env.STEPWISE_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.STEPWISE_FUZZ_SEED ?? 20261121);

/** mulberry32: a small deterministic PRNG, so a failing case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const internalErrors =
  /Cannot read prop|is not a function|is not iterable|of undefined|of null|Maximum call stack|Invalid typed array|Array buffer allocation/;

function randomValue(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 14);
  switch (k) {
    case 0:
      return null;
    case 1:
      return Math.floor(r() * 2 ** 33) - 2 ** 32;
    case 2:
      return r() < 0.5 ? Number.NaN : Number.POSITIVE_INFINITY;
    case 3:
      return -1;
    case 4:
      return 1e308;
    case 5:
      return 'x'.repeat(Math.floor(r() * 5));
    case 6:
      return r() < 0.5;
    case 7:
      return depth > 2 ? [] : [randomValue(r, depth + 1), randomValue(r, depth + 1)];
    case 8:
      return depth > 2 ? {} : { $tensor: Math.floor(r() * 4) };
    case 9:
      return { $object: depth > 2 ? {} : { a: randomValue(r, depth + 1) } };
    case 10:
      return { $number: r() < 0.5 ? 'nan' : 'bogus' };
    case 11:
      return 0.5;
    case 12:
      return { __proto__: null, polluted: 1 };
    default:
      return [2 ** 31, 2 ** 31];
  }
}

/** Replaces, deletes or adds one randomly chosen entry somewhere in a JSON-like tree. */
function mutateTree(root: any, r: () => number): any {
  const copy = JSON.parse(JSON.stringify(root));
  const nodes: any[] = [];
  const walk = (v: any) => {
    if (v && typeof v === 'object') {
      nodes.push(v);
      for (const k of Object.keys(v)) walk(v[k]);
    }
  };
  walk(copy);
  const node = nodes[Math.floor(r() * nodes.length)];
  const keys = Object.keys(node);
  const extra = Array.isArray(node) ? [String(node.length)] : ['__proto__', 'constructor', 'zz', '0'];
  const key =
    keys.length && r() < 0.8 ? keys[Math.floor(r() * keys.length)]! : extra[Math.floor(r() * extra.length)]!;
  if (r() < 0.2 && !Array.isArray(node)) delete node[key];
  else
    Object.defineProperty(node, key, {
      value: randomValue(r),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return copy;
}

function headerOf(bytes: Uint8Array): { json: any; dataStart: number } {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len))), dataStart: 16 + len };
}

function withJson(json: unknown, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(16 + h.length + data.length);
  out.set(new TextEncoder().encode('STEPWISE'));
  new DataView(out.buffer).setUint32(8, 1, true);
  new DataView(out.buffer).setUint32(12, h.length, true);
  out.set(h, 16);
  out.set(data, 16 + h.length);
  return out;
}

function mutateBytes(good: Uint8Array, r: () => number): Uint8Array {
  const kind = Math.floor(r() * 6);
  if (kind === 0) return good.subarray(0, Math.floor(r() * good.length));
  if (kind === 1) {
    const out = good.slice();
    const flips = 1 + Math.floor(r() * 8);
    for (let i = 0; i < flips; i++) out[Math.floor(r() * out.length)] = Math.floor(r() * 256);
    return out;
  }
  if (kind === 2) {
    const out = new Uint8Array(Math.floor(r() * 256));
    for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
    if (r() < 0.5)
      out.set(new TextEncoder().encode('STEPWISE\u0001\u0000\u0000\u0000').subarray(0, out.length));
    return out;
  }
  if (kind === 3) {
    const out = good.slice();
    const v = new DataView(out.buffer);
    v.setUint32(r() < 0.5 ? 12 : 8, Math.floor(r() * 2 ** 32), true);
    return out;
  }
  const { json, dataStart } = headerOf(good);
  return withJson(mutateTree(json, r), good.subarray(dataStart));
}

interface Snapshot {
  groups: string;
  state: Map<Tensor, Record<string, unknown>>;
  values: Map<Tensor, number[]>;
}

async function snapshot(opt: any): Promise<Snapshot> {
  const values = new Map<Tensor, number[]>();
  for (const st of opt.state.values()) {
    for (const v of Object.values(st))
      if (v instanceof torch.Tensor) values.set(v, Array.from(await v.data()));
  }
  return {
    groups: JSON.stringify(opt.paramGroups.map((g: any) => ({ ...g, params: g.params.length }))),
    state: new Map([...opt.state].map(([p, s]: [Tensor, any]) => [p, { ...s }])),
    values,
  };
}

async function expectUnchanged(opt: any, snap: Snapshot, what: string): Promise<void> {
  expect(JSON.stringify(opt.paramGroups.map((g: any) => ({ ...g, params: g.params.length }))), what).toBe(
    snap.groups,
  );
  expect(opt.state.size, what).toBe(snap.state.size);
  for (const [p, s] of opt.state as Map<Tensor, Record<string, unknown>>) {
    const before = snap.state.get(p)!;
    expect(Object.keys(s).sort(), what).toEqual(Object.keys(before).sort());
    for (const [k, v] of Object.entries(before)) {
      expect(s[k], `${what}: ${k}`).toBe(v);
      if (v instanceof torch.Tensor)
        expect(Array.from(await v.data()), `${what}: ${k} values`).toEqual(snap.values.get(v));
    }
  }
}

export function registerFuzzTests(ctx: ConformanceContext): void {
  describe(`${CASES} cases per target, seed ${SEED}`, () => {
    it('torch.load: every mutated checkpoint loads or fails with a CheckpointError', async () => {
      const ps = makeParams([[5], [3]], 'float32');
      const opt = new torch.optim.Adam(ps, { lr: 0.1 });
      setGrads(ps, 0);
      opt.step();
      const good = await saveAny(ctx, {
        model: { w: ps[0], b: ps[1] },
        optim: opt.stateDict(),
        note: 'x',
        n: [1, 2],
      });
      const r = rng(SEED);
      let loaded = 0;
      for (let i = 0; i < CASES; i++) {
        const bytes = mutateBytes(good, r);
        try {
          torch.load(bytes);
          loaded++;
        } catch (e) {
          const err = e as Error;
          if (err?.name !== 'CheckpointError' || internalErrors.test(err.message)) {
            expect.fail(`case ${i} (seed ${SEED}): ${err?.name}: ${err?.message}`);
          }
        }
      }
      expect(({} as any).polluted).toBeUndefined();
      expect(loaded).toBeGreaterThan(0);
    });

    it('loadStateDict: every mutated state dict loads or fails leaving the optimizer unchanged', async () => {
      const r = rng(SEED + 1);
      const makers = [
        (p: Tensor[]) => new torch.optim.Adam(p, { lr: 0.1, amsgrad: true }),
        (p: Tensor[]) => new torch.optim.SGD(p, { lr: 0.1, momentum: 0.9 }),
        (p: Tensor[]) => new torch.optim.Rprop(p),
        (p: Tensor[]) => new torch.optim.ASGD(p),
      ];
      const n = Math.max(50, Math.floor(CASES / 4));
      for (let m = 0; m < makers.length; m++) {
        const ps = makeParams([[4], [2]], 'float32');
        const opt: any = makers[m]!(ps);
        setGrads(ps, 0);
        opt.step();
        const good = opt.stateDict();
        const plain = JSON.parse(
          JSON.stringify(good, (_k, v) => (v instanceof torch.Tensor ? { $t: [...v.shape] } : v)),
        );
        for (let i = 0; i < n; i++) {
          const mutated = mutateTree(plain, r);
          // Tensors back in where the tree still says so (with the mutated shape when changed).
          const revive = (v: any): any => {
            if (Array.isArray(v)) return v.map(revive);
            if (v && typeof v === 'object') {
              if (
                Array.isArray(v.$t) &&
                v.$t.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0 && (d as number) < 64)
              ) {
                return torch.zeros(v.$t);
              }
              const o: any = {};
              for (const k of Object.keys(v))
                Object.defineProperty(o, k, {
                  value: revive(v[k]),
                  enumerable: true,
                  writable: true,
                  configurable: true,
                });
              return o;
            }
            return v;
          };
          const sd = revive(mutated);
          const snap = await snapshot(opt);
          try {
            opt.loadStateDict(sd);
          } catch (e) {
            const err = e as Error;
            if (!(err instanceof Error) || internalErrors.test(err.message)) {
              expect.fail(`optimizer ${m} case ${i}: internal error ${err?.name}: ${err?.message}`);
            }
            await expectUnchanged(opt, snap, `optimizer ${m} case ${i} (${err.message})`);
            continue;
          }
          // Loaded: the next step either works or fails with a clear error; then restore.
          try {
            setGrads(ps, 1);
            opt.step();
          } catch (e) {
            const err = e as Error;
            if (internalErrors.test(err.message))
              expect.fail(`optimizer ${m} case ${i}: step after load: ${err.message}`);
          }
          opt.loadStateDict(good);
        }
      }
      expect(({} as any).polluted).toBeUndefined();
    });
  });
}
