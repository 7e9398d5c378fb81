/**
 * Property-based fuzzing (fast-check, see `property.ts`) of `torch.load` and
 * `Optimizer.loadStateDict`: every generated input must either load or fail with a clear
 * error (a `CheckpointError` for bytes), never crash with an internal error, allocate
 * beyond the input's size, allocate anything when it fails, or pollute a prototype — and a
 * failed `loadStateDict` must leave the optimizer exactly as it was. A failure prints the
 * smallest input fast-check shrank it to, with the seed and path that replay it.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { headerOf, saveAny, withHeader } from '../checkpoint.js';
import type { ConformanceContext } from '../context.js';
import { liveOf } from '../testMemory.js';
import { optimizers } from './optim/info.js';
import { makeParams, setGrads } from './optim/params.js';
import {
  applyEdits,
  checkProperty,
  expectClearError,
  expectNoPollution,
  FUZZ_SEED,
  hostileValue,
  internalErrors,
  runs,
  type TreeEdit,
  treeEdit,
} from './property.js';

const MAGIC_V1 = new TextEncoder().encode('STEPWISE\u0001\u0000\u0000\u0000');

/**
 * A tensor entry that is valid unless `fault` says which field to spoil: its offset lands
 * in the data section (modulo its length, at multiples of 4, so entries often overlap), its
 * byte count matches, and `requiresGrad` is any boolean whatever the dtype. Shrinks toward
 * a one-element float32 tensor at offset 0 with no fault.
 */
const entry = fc.record({
  dtype: fc.constantFrom('float32', 'float64', 'int32', 'bool'),
  shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 2 }),
  slot: fc.nat(),
  requiresGrad: fc.constantFrom(undefined, false, true),
  // One entry in five has a fault.
  fault: fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    {
      weight: 1,
      arbitrary: fc.oneof(
        fc.record({ dtype: fc.constantFrom('float16', 5, null) }),
        fc.record({
          shape: fc.constantFrom([-1], [1.5], [2 ** 31], [1e9, 1e9], ['2'], 'big', [2 ** 16, 2 ** 16, 0]),
        }),
        fc.record({ offset: fc.constantFrom(-8, 2, 2 ** 53, '0', 1e12) }),
        fc.record({ bytes: fc.constantFrom(-4, 0, 3, 2 ** 40, null) }),
        fc.record({ requiresGrad: fc.constantFrom('yes', 1, null) }),
      ),
    },
  ),
});
type Entry = typeof entry extends fc.Arbitrary<infer T> ? T : never;

function entryJson(e: Entry, dataBytes: number): Record<string, unknown> {
  const width = e.dtype === 'float64' ? 8 : e.dtype === 'bool' ? 1 : 4;
  const n = e.shape.reduce((a, d) => a * d, 1);
  const bytes = n * width;
  const room = Math.max(0, dataBytes - bytes);
  const offset = room ? 4 * (((e.slot * 4) % (room + 1)) >> 2) : 0;
  return {
    dtype: e.dtype,
    shape: e.shape,
    offset,
    bytes,
    ...(e.requiresGrad === undefined ? {} : { requiresGrad: e.requiresGrad }),
    ...(e.fault ?? {}),
  };
}

/** The ways a checkpoint reaches `torch.load` damaged, each shrinking toward a small damage. */
type Damage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'random'; bytes: Uint8Array; magic: boolean }
  | { kind: 'field'; at: 8 | 12; value: number }
  | { kind: 'header'; edits: TreeEdit[] }
  | { kind: 'entries'; entries: Entry[]; refs: number[] };

const damage: fc.Arbitrary<Damage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('random' as const),
    bytes: fc.uint8Array({ maxLength: 256 }),
    magic: fc.boolean(),
  }),
  fc.record({
    kind: fc.constant('field' as const),
    at: fc.constantFrom(8 as const, 12 as const),
    value: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({
    kind: fc.constant('header' as const),
    edits: fc.array(treeEdit(hostileValue()), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({
    kind: fc.constant('entries' as const),
    entries: fc.array(entry, { maxLength: 8 }),
    refs: fc.array(
      fc.oneof({ weight: 9, arbitrary: fc.nat() }, { weight: 1, arbitrary: fc.constantFrom(-1, 1e9, 0.5) }),
      { maxLength: 4 },
    ),
  }),
);

function damaged(good: Uint8Array, d: Damage): Uint8Array {
  switch (d.kind) {
    case 'truncate':
      return good.subarray(0, d.at % good.length);
    case 'flip': {
      const out = good.slice();
      for (const [at, v] of d.flips) out[at % out.length] = v;
      return out;
    }
    case 'random': {
      const out = d.bytes.slice();
      if (d.magic) out.set(MAGIC_V1.subarray(0, out.length));
      return out;
    }
    case 'field': {
      const out = good.slice();
      new DataView(out.buffer).setUint32(d.at, d.value, true);
      return out;
    }
    case 'header': {
      const { json, data } = headerOf(good);
      return withHeader(applyEdits(json, d.edits), data);
    }
    case 'entries': {
      const { data } = headerOf(good);
      const n = d.entries.length;
      // Valid references (modulo the entry count) unless the index itself is the fault.
      const refs = d.refs.map((i) => ({ $tensor: Number.isInteger(i) && i >= 0 && n ? i % n : i }));
      // Every entry referenced once (so each loaded tensor is reachable, counted and disposed).
      const all = d.entries.map((_e, i) => ({ $tensor: i }));
      return withHeader(
        { tensors: d.entries.map((e) => entryJson(e, data.length)), root: { $object: { all, r: refs } } },
        data,
      );
    }
  }
}

/** Every tensor reachable from a loaded value. */
function tensorsIn(v: unknown, out = new Set<Tensor>()): Set<Tensor> {
  if (v instanceof torch.Tensor) out.add(v);
  else if (v && typeof v === 'object') for (const x of Object.values(v)) tensorsIn(x, out);
  return out;
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

/** Tensors back where the mutated plain tree still says `{ $t: shape }` with a sane shape. */
function revive(v: any): any {
  if (Array.isArray(v)) return v.map(revive);
  if (v && typeof v === 'object') {
    if (
      Array.isArray(v.$t) &&
      v.$t.every((d: unknown) => Number.isInteger(d) && (d as number) >= 0 && (d as number) < 64)
    )
      return torch.zeros(v.$t);
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
}

/** The optimizers whose `loadStateDict` is fuzzed, each in its full-state configuration. */
const fuzzed = optimizers.filter((o) => o.fuzzLoad);

export function registerFuzzTests(ctx: ConformanceContext): void {
  describe(`fast-check, seed ${FUZZ_SEED}`, () => {
    it(`torch.load: a damaged checkpoint loads within its size or is a CheckpointError that allocates nothing (${runs(300)} runs)`, async () => {
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
      let loaded = 0;
      await checkProperty(
        fc.property(damage, (d) => {
          const bytes = damaged(good, d);
          const before = liveOf(ctx);
          let out: unknown;
          try {
            out = torch.load(bytes);
          } catch (e) {
            expectClearError(e, 'torch.load');
            if (e.name !== 'CheckpointError') throw new Error(`torch.load threw ${e.name}: ${e.message}`);
            const after = liveOf(ctx);
            if (after.tensors !== before.tensors || after.bytes !== before.bytes)
              throw new Error(`a refused load left ${after.tensors - before.tensors} tensors allocated`);
            expectNoPollution();
            return;
          }
          loaded++;
          // Tensor data within the data section: no two tensors were made from one range.
          const section = headerOf(bytes).data.length;
          let made = 0;
          for (const t of tensorsIn(out)) {
            made += t.numel() * torch.bytesPerElement(t.dtype);
            t.dispose();
          }
          expectNoPollution();
          if (made > section)
            throw new Error(`a load made ${made} bytes of tensors from a data section of ${section}`);
        }),
        300,
      );
      expect(loaded, 'some damaged checkpoints still load').toBeGreaterThan(0);
      // CI runs the three backends' suites at once on two cores: room for a loaded machine.
    }, 180_000);

    for (const [m, info] of fuzzed.entries()) {
      it(`loadStateDict (${info.name} ${JSON.stringify(info.fullStateOptions)}): an edited state dict loads or is refused leaving the optimizer unchanged (${runs(150)} runs)`, async () => {
        // One optimizer per run, so a failing run cannot disturb the next (or a shrink).
        const fresh = () => {
          const ps = makeParams([[4], [2]], 'float32');
          const opt = info.make(ps, info.fullStateOptions);
          setGrads(ps, 0);
          opt.step();
          return { ps, opt };
        };
        const plainOf = (sd: unknown) =>
          JSON.parse(JSON.stringify(sd, (_k, v) => (v instanceof torch.Tensor ? { $t: [...v.shape] } : v)));
        const shapes = fc.record({ $t: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 2 }) });
        const edits = fc.array(treeEdit(hostileValue([shapes])), { minLength: 1, maxLength: 3 });
        await checkProperty(
          fc.asyncProperty(edits, async (es) => {
            const { ps, opt } = fresh();
            const good = opt.stateDict();
            const sd = revive(applyEdits(plainOf(good), es));
            const snap = await snapshot(opt);
            try {
              opt.loadStateDict(sd);
            } catch (e) {
              expectClearError(e, 'loadStateDict');
              await expectUnchanged(opt, snap, `refused (${e.message})`);
              expectNoPollution();
              return;
            }
            // Loaded: the next step either works or fails with a clear error.
            try {
              setGrads(ps, 1);
              opt.step();
            } catch (e) {
              if (!(e instanceof Error) || internalErrors.test(e.message))
                throw new Error(`step after an accepted load: ${(e as Error)?.message}`);
            }
            expectNoPollution();
          }),
          150,
          1 + m,
        );
      });
    }
  });
}
