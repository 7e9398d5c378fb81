/**
 * PyTorch's own files: `torch.load` of .pt checkpoints and safetensors files written by
 * real PyTorch 1.13 (`tooling/golden/pt_files.py`, fixtures in `fixtures/pytorch_files/`
 * with `fixtures/pytorch_files.json` saying what each holds or how it must be refused);
 * `torch.save(..., { format: 'pt' | 'safetensors' })` round trips, and real PyTorch reading
 * what stepwise wrote (`tooling/golden/check_pt.py`, skipped only where `/usr/bin/python3`
 * has no torch); strict validation; fast-check fuzzing of damaged files.
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { loadFile, saveFile } from '@stepwise/core/node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromFixture } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { liveOf } from '../testMemory.js';
import {
  applyEdits,
  checkProperty,
  expectClearError,
  expectNoPollution,
  FUZZ_SEED,
  hostileValue,
  runs,
  type TreeEdit,
  treeEdit,
} from './property.js';
import { thrown, values } from './util.js';

interface FileCase {
  readonly file: string;
  readonly what: string;
  readonly value?: unknown;
  readonly error?: string;
  readonly metadata?: Record<string, string>;
}

const FIXTURES = new URL('../../fixtures/pytorch_files/', import.meta.url);
const CHECK_PT = fileURLToPath(new URL('../../../../tooling/golden/check_pt.py', import.meta.url));
const PYTHON = '/usr/bin/python3';

function fixtureBytes(file: string): Uint8Array {
  return new Uint8Array(readFileSync(new URL(file, FIXTURES)));
}

function expectCheckpointError(fn: () => unknown, re?: RegExp): Error {
  const e = thrown(fn);
  expect(e.name, e.message).toBe('CheckpointError');
  if (re) expect(e.message).toMatch(re);
  return e;
}

/** True when an encoded value holds a float64 tensor (refused by backends without float64). */
function hasFloat64(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasFloat64);
  if (v && typeof v === 'object') {
    const o = v as Record<string, any>;
    if (o.$tensor) return o.$tensor.dtype === 'float64';
    return Object.values(o).some(hasFloat64);
  }
  return false;
}

/** The JS order of keys written in `keys` order (integer-like keys first, as every JS object). */
function jsOrder(keys: readonly string[]): string[] {
  const o = {};
  for (const k of keys) Object.defineProperty(o, k, { value: 1, enumerable: true });
  return Object.keys(o);
}

/** Storage indices a strided tensor reads, row-major. */
function storageIndices(shape: readonly number[], stride: readonly number[], offset: number): number[] {
  const out: number[] = [];
  const walk = (d: number, at: number) => {
    if (d === shape.length) return void out.push(at);
    for (let i = 0; i < shape[d]!; i++) walk(d + 1, at + i * stride[d]!);
  };
  walk(0, offset);
  return out;
}

interface TensorExpect {
  shape: number[];
  dtype: torch.DType;
  data: (number | string | boolean)[];
  stride: number[];
  offset: number;
  requiresGrad: boolean;
  storage: number;
  id: number;
}

/** What one comparison learned: tensors by storage group and by object id. */
class Seen {
  readonly storages = new Map<number, Tensor[]>();
  readonly ids = new Map<number, Tensor>();
}

function expectedNumbers(spec: TensorExpect): number[] {
  return spec.data.map((x) => {
    const n = typeof x === 'boolean' ? (x ? 1 : 0) : fromFixture(x as number);
    return spec.dtype === 'float32' ? Math.fround(n) : n;
  });
}

async function expectTensor(t: unknown, spec: TensorExpect, path: string, seen: Seen): Promise<void> {
  expect(t, `${path} is a tensor`).toBeInstanceOf(torch.Tensor);
  const x = t as Tensor;
  expect(x.dtype, `${path} dtype`).toBe(spec.dtype);
  expect([...x.shape], `${path} shape`).toEqual(spec.shape);
  expect([...x.stride()], `${path} stride`).toEqual(spec.stride);
  expect(x.storageOffset(), `${path} storageOffset`).toBe(spec.offset);
  expect(x.requiresGrad, `${path} requiresGrad`).toBe(spec.requiresGrad);
  const got = await values(x);
  const want = expectedNumbers(spec);
  expect(got.length, `${path} numel`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${path} value ${i}: ${got[i]}, expected ${want[i]}`);
  }
  const same = seen.ids.get(spec.id);
  if (same) expect(x, `${path} is the same object as the tensor saved with id ${spec.id}`).toBe(same);
  seen.ids.set(spec.id, x);
  const group = seen.storages.get(spec.storage) ?? [];
  if (!group.includes(x)) group.push(x);
  seen.storages.set(spec.storage, group);
}

async function expectValue(actual: unknown, e: any, path: string, seen: Seen): Promise<void> {
  if (e === null || typeof e !== 'object') {
    expect(actual, path).toBe(e);
    return;
  }
  if (e.$tensor) return expectTensor(actual, e.$tensor, path, seen);
  if (e.$float) {
    const want = {
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      '-inf': Number.NEGATIVE_INFINITY,
      '-0': -0,
    }[e.$float as string];
    expect(Object.is(actual, want), `${path}: ${String(actual)}, expected ${e.$float}`).toBe(true);
    return;
  }
  if (e.$bigint) {
    expect(actual, path).toBe(BigInt(e.$bigint));
    return;
  }
  if (e.$dtype) {
    expect(actual, path).toBe(e.$dtype);
    return;
  }
  if (e.$list || e.$tuple) {
    const items = e.$list ?? e.$tuple;
    expect(Array.isArray(actual), `${path} is an array`).toBe(true);
    expect((actual as unknown[]).length, `${path} length`).toBe(items.length);
    for (let i = 0; i < items.length; i++)
      await expectValue((actual as unknown[])[i], items[i], `${path}[${i}]`, seen);
    return;
  }
  if (e.$dict) {
    expect(
      actual !== null && typeof actual === 'object' && !Array.isArray(actual),
      `${path} is an object`,
    ).toBe(true);
    expect(Object.getPrototypeOf(actual), `${path} is a plain object`).toBe(Object.prototype);
    const o = actual as Record<string, unknown>;
    const entries = e.$dict as [string, boolean, unknown][];
    expect(Object.keys(o), `${path} keys`).toEqual(jsOrder(entries.map((x) => x[0])));
    for (const [k, , v] of entries) {
      expect(Object.hasOwn(o, k), `${path} has its own key ${k}`).toBe(true);
      await expectValue(o[k], v, `${path}[${JSON.stringify(k)}]`, seen);
    }
    if (e.metadata) {
      const d = Object.getOwnPropertyDescriptor(o, '_metadata');
      expect(d?.enumerable, `${path}._metadata is a non-enumerable property`).toBe(false);
      await expectValue(d!.value, e.metadata, `${path}._metadata`, seen);
    }
    return;
  }
  throw new Error(`${path}: unknown expected value ${JSON.stringify(e).slice(0, 80)}`);
}

/**
 * Tensors of one storage group are views of one storage: `add_(100)` on one shows in every
 * other exactly where their storage elements coincide.
 */
async function expectSharing(seen: Seen): Promise<void> {
  for (const [id, group] of seen.storages) {
    const live = group.filter((t) => t.numel() > 0);
    const writer = live.find((t) => !t.requiresGrad && t.stride().every((s, d) => s > 0 || t.shape[d] === 1));
    if (live.length < 2 || !writer) continue;
    const written = new Set(storageIndices(writer.shape, writer.stride(), writer.storageOffset()));
    const before = await Promise.all(live.map((t) => values(t)));
    writer.add_(100);
    for (let k = 0; k < live.length; k++) {
      const t = live[k]!;
      if (t === writer) continue;
      const idx = storageIndices(t.shape, t.stride(), t.storageOffset());
      const want = before[k]!.map((v, i) => {
        const w = written.has(idx[i]!) ? v + 100 : v;
        return t.dtype === 'float32' ? Math.fround(w) : w;
      });
      expect(await values(t), `storage ${id}: a write through one view shows in another`).toEqual(want);
    }
  }
}

/** `torch.save` on synchronous backends, `torch.saveAsync` elsewhere. */
async function saveBytes(
  ctx: ConformanceContext,
  obj: unknown,
  opts?: torch.SaveOptions,
): Promise<Uint8Array> {
  return ctx.syncReads ? torch.save(obj, opts) : torch.saveAsync(obj, opts);
}

/** Every tensor in a loaded value. */
function tensorsIn(v: unknown, out: Set<Tensor> = new Set(), seen = new Set<object>()): Set<Tensor> {
  if (v instanceof torch.Tensor) out.add(v);
  else if (v && typeof v === 'object' && !seen.has(v)) {
    seen.add(v);
    for (const x of Object.values(v)) tensorsIn(x, out, seen);
  }
  return out;
}

/** The encoding of a stepwise value that `check_pt.py` compares PyTorch's load with. */
async function encodeForPython(
  v: unknown,
  storageOf: Map<Tensor, number>,
  ids: Map<Tensor, number>,
): Promise<unknown> {
  if (v instanceof torch.Tensor) {
    if (!ids.has(v)) ids.set(v, ids.size);
    if (!storageOf.has(v)) storageOf.set(v, 1000 + ids.get(v)!);
    const data = Array.from(await v.data(), (x) =>
      v.dtype === 'bool'
        ? x !== 0
        : Number.isNaN(x)
          ? 'nan'
          : x === Infinity
            ? 'inf'
            : x === -Infinity
              ? '-inf'
              : x,
    );
    return {
      $tensor: {
        shape: [...v.shape],
        dtype: v.dtype,
        data,
        stride: [...v.stride()],
        offset: v.storageOffset(),
        requiresGrad: v.requiresGrad,
        storage: storageOf.get(v),
        id: ids.get(v),
      },
    };
  }
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return { $bigint: String(v) };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $float: 'nan' };
    if (v === Infinity || v === -Infinity) return { $float: v > 0 ? 'inf' : '-inf' };
    if (Object.is(v, -0)) return { $float: '-0' };
    return v;
  }
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) return { $list: await Promise.all(v.map((x) => encodeForPython(x, storageOf, ids))) };
  const entries = v instanceof Map ? [...v] : Object.keys(v).map((k) => [k, (v as any)[k]]);
  const out: Record<string, unknown> = {
    $dict: await Promise.all(
      entries.map(async ([k, x]) => [
        String(k),
        typeof k !== 'string',
        await encodeForPython(x, storageOf, ids),
      ]),
    ),
    ordered: false,
  };
  const meta = Object.getOwnPropertyDescriptor(v, '_metadata');
  if (meta && !meta.enumerable) {
    out.ordered = true;
    out.metadata = await encodeForPython(meta.value, storageOf, ids);
  }
  return out;
}

let torchInPython: string | null | undefined;
/** Null when `/usr/bin/python3` imports torch, else why not. */
function pythonTorchMissing(): string | null {
  if (torchInPython === undefined) {
    const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
    torchInPython =
      r.status === 0
        ? null
        : `${PYTHON} -c "import torch" failed (${r.error?.message ?? r.stderr.trim().split('\n').pop()}): install python3-torch to run this check`;
  }
  return torchInPython;
}

/** Offset and length of the first zip entry's data (data.pkl, in PyTorch's and stepwise's .pt). */
function firstEntry(pt: Uint8Array): [number, number] {
  const v = new DataView(pt.buffer, pt.byteOffset, pt.byteLength);
  const start = 30 + v.getUint16(26, true) + v.getUint16(28, true);
  // PyTorch's local headers hold no sizes (it writes data descriptors): the central
  // directory's first header does.
  let eocd = pt.length - 22;
  while (eocd > 0 && v.getUint32(eocd, true) !== 0x06054b50) eocd--;
  const size = v.getUint32(v.getUint32(eocd + 16, true) + 20, true);
  return [start, Math.max(1, size)];
}

type PtDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'pickle'; writes: [number, number][] };

const OPCODES = [
  0x28, 0x29, 0x2e, 0x4a, 0x4b, 0x4d, 0x4e, 0x51, 0x52, 0x58, 0x5d, 0x61, 0x62, 0x63, 0x65, 0x68, 0x6a, 0x71,
  0x72, 0x73, 0x74, 0x75, 0x7d, 0x80, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8c, 0x93, 0x94, 0x95, 0x00, 0xff,
  0x7f,
];

const ptDamage: fc.Arbitrary<PtDamage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({
    kind: fc.constant('pickle' as const),
    writes: fc.array(
      fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 255 }))),
      { minLength: 1, maxLength: 6 },
    ),
  }),
);

function damagePt(good: Uint8Array, d: PtDamage): Uint8Array {
  if (d.kind === 'truncate') return good.subarray(0, d.at % good.length);
  const out = good.slice();
  if (d.kind === 'flip') for (const [at, x] of d.flips) out[at % out.length]! ^= x;
  else {
    const [start, len] = firstEntry(good);
    for (const [at, b] of d.writes) out[start + (at % len)] = b;
  }
  return out;
}

type StDamage =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; flips: [number, number][] }
  | { kind: 'length'; value: number }
  | { kind: 'header'; edits: TreeEdit[] };

const stDamage: fc.Arbitrary<StDamage> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('flip' as const),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 6 }),
  }),
  fc.record({ kind: fc.constant('length' as const), value: fc.integer({ min: 0, max: 0xffffffff }) }),
  fc.record({
    kind: fc.constant('header' as const),
    edits: fc.array(
      treeEdit(
        hostileValue([
          fc.constantFrom('F32', 'F64', 'I64', 'BOOL', 'F16', 'X'),
          fc.array(fc.integer({ min: -2, max: 2 ** 31 }), { maxLength: 3 }),
        ]),
      ),
      { minLength: 1, maxLength: 3 },
    ),
  }),
);

function stHeader(bytes: Uint8Array): any {
  const n = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  return {
    json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))),
    data: bytes.subarray(8 + n),
  };
}

function stWith(json: unknown, data: Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(json));
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setUint32(0, h.length, true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function damageSt(good: Uint8Array, d: StDamage): Uint8Array {
  if (d.kind === 'truncate') return good.subarray(0, d.at % good.length);
  const out = good.slice();
  if (d.kind === 'flip') for (const [at, x] of d.flips) out[at % out.length]! ^= x;
  else if (d.kind === 'length') new DataView(out.buffer).setUint32(0, d.value, true);
  else {
    const { json, data } = stHeader(good);
    return stWith(applyEdits(json, d.edits), data);
  }
  return out;
}

/**
 * One damaged input: either a CheckpointError with a clear message that leaves nothing
 * allocated, or a value whose tensors' storage fits in the input; never a crash, and
 * nothing polluted. Returns whether it loaded.
 */
function loadDamaged(ctx: ConformanceContext, bytes: Uint8Array): boolean {
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
    return false;
  }
  const made = liveOf(ctx).bytes - before.bytes;
  for (const t of tensorsIn(out)) t.dispose();
  expectNoPollution();
  if (made > bytes.length)
    throw new Error(`a load of ${bytes.length} bytes allocated ${made} bytes of tensors`);
  return true;
}

export function registerPytorchFilesTests(ctx: ConformanceContext): void {
  const { cases } = loadFixture<{ cases: FileCase[] }>('pytorch_files');

  describe('files written by PyTorch 1.13 (tooling/golden/pt_files.py)', () => {
    for (const c of cases.filter((x) => x.value !== undefined)) {
      it(`loads ${c.file}: ${c.what}`, async () => {
        const bytes = fixtureBytes(c.file);
        if (hasFloat64(c.value) && !ctx.supports('float64')) {
          const before = liveOf(ctx);
          expectCheckpointError(() => torch.load(bytes), /float64 tensor .*cannot be loaded onto/);
          expect(liveOf(ctx), 'a refused load allocates nothing').toEqual(before);
          return;
        }
        const out = torch.load(bytes);
        const seen = new Seen();
        await expectValue(out, c.value, 'obj', seen);
        await expectSharing(seen);
        if (c.file.endsWith('.safetensors')) {
          expect(torch.loadSafetensors(bytes).metadata).toEqual(c.metadata ?? null);
        }
        expectNoPollution();
      });
    }

    for (const c of cases.filter((x) => x.error !== undefined)) {
      it(`refuses ${c.file}: ${c.what}`, () => {
        const before = liveOf(ctx);
        expectCheckpointError(() => torch.load(fixtureBytes(c.file)), new RegExp(c.error!));
        expect(liveOf(ctx), 'a refused load allocates nothing').toEqual(before);
        expectNoPollution();
      });
    }

    it('keys named like prototype properties are own data properties, and nothing is polluted', () => {
      const out = torch.load(fixtureBytes('prototype_keys.pt'));
      expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
      expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: true });
      expect(Object.hasOwn(out, 'constructor')).toBe(true);
      expect(out.hasOwnProperty).toBe(2);
      expect(({} as any).polluted).toBeUndefined();
    });

    it('a module state dict made by PyTorch loads into a stepwise module', async () => {
      const sd = torch.load(fixtureBytes('state_dict.pt'));
      expect(Object.keys(sd)).not.toContain('_metadata');
      expect(sd['2.num_batches_tracked'].dtype).toBe('int32');
      const lin = new torch.nn.Linear(4, 3);
      lin.loadStateDict({ weight: sd['0.weight'], bias: sd['0.bias'] });
      expect(await values(lin.weight)).toEqual(await values(sd['0.weight']));
      expect(await values(lin.bias!)).toEqual(await values(sd['0.bias']));
    });

    it("a training checkpoint keeps PyTorch's layout (int state keys as strings, snake_case)", () => {
      const ck = torch.load(fixtureBytes('checkpoint.pt'));
      expect(ck.epoch).toBe(3);
      expect(ck.loss).toBe(0.25);
      expect(Object.keys(ck.optimizer)).toEqual(['state', 'param_groups']);
      expect(Object.keys(ck.optimizer.state)).toEqual(['0', '1', '2', '3', '4', '5']);
      expect(ck.optimizer.param_groups[0].params).toEqual([0, 1, 2, 3, 4, 5]);
      expect(ck.optimizer.param_groups[0].lr).toBe(0.001);
      expect(ck.optimizer.state[0].exp_avg.shape).toEqual([3, 4]);
    });

    it('torch.load tells the formats apart by their first bytes', async () => {
      expect(torch.detectFormat(fixtureBytes('float32.pt'))).toBe('pt');
      expect(torch.detectFormat(fixtureBytes('tensors.safetensors'))).toBe('safetensors');
      expect(torch.detectFormat(fixtureBytes('legacy.pt'))).toBe('pickle');
      expect(torch.detectFormat(await saveBytes(ctx, { a: 1 }))).toBe('stepwise');
      expect(torch.detectFormat(new Uint8Array([1, 2, 3]))).toBe('unknown');
      expectCheckpointError(() => torch.load(new Uint8Array(40).fill(7)), /magic.*PyTorch \.pt.*safetensors/);
    });
  });

  describe("torch.save in PyTorch's formats", () => {
    it('.pt round trip: values, dtypes, views of one storage, identity, nesting, numbers', async () => {
      const base = torch.arange(0, 12, 1, { dtype: 'float32' });
      const w = torch.tensor(
        [
          [1.5, -2],
          [3, Number.NaN],
        ],
        { requiresGrad: true },
      );
      const meta = { '': { version: 1 } };
      const sd: Record<string, unknown> = { 'fc.weight': w };
      Object.defineProperty(sd, '_metadata', {
        value: meta,
        enumerable: false,
        writable: true,
        configurable: true,
      });
      const obj = {
        base,
        view: base.narrow(0, 2, 4),
        grid: base.view(3, 4).T,
        again: base,
        i: torch.tensor([1, -7, 2 ** 30], { dtype: 'int32' }),
        b: torch.tensor([true, false]),
        ...(ctx.supports('float64') ? { d: torch.tensor([0.1, -0.5], { dtype: 'float64' }) } : {}),
        sd,
        intKeys: new Map<number | string, unknown>([
          [0, 'zero'],
          [7, [1, 2]],
          ['s', null],
        ]),
        nums: [
          0,
          -1,
          2 ** 31,
          -(2 ** 31) - 1,
          2 ** 53,
          0.25,
          -0,
          Number.NaN,
          Number.POSITIVE_INFINITY,
          2n ** 70n,
        ],
        text: 'héllo ✓ 𝔘',
        flags: [true, false, null, undefined],
        nested: [[[{ deep: [w] }]]],
      };
      const back = torch.load(await saveBytes(ctx, obj, { format: 'pt' }));
      expect(back.again).toBe(back.base);
      expect(back.nested[0][0][0].deep[0]).toBe(back.sd['fc.weight']);
      expect(back.view.storageOffset()).toBe(2);
      expect([...back.grid.stride()]).toEqual([1, 4]);
      expect(await values(back.grid)).toEqual(await values(obj.grid));
      back.base.add_(100);
      expect(await values(back.view)).toEqual([102, 103, 104, 105]);
      expect(await values(back.i)).toEqual([1, -7, 2 ** 30]);
      expect(back.i.dtype).toBe('int32');
      expect(back.b.dtype).toBe('bool');
      if (ctx.supports('float64')) {
        expect(back.d.dtype).toBe('float64');
        expect(await values(back.d)).toEqual([0.1, -0.5]);
      }
      expect(back.sd['fc.weight'].requiresGrad).toBe(true);
      expect(await values(back.sd['fc.weight'])).toEqual([1.5, -2, 3, Number.NaN]);
      expect(Object.keys(back.sd)).toEqual(['fc.weight']);
      expect(back.sd._metadata).toEqual(meta);
      expect(back.intKeys).toEqual({ 0: 'zero', 7: [1, 2], s: null });
      expect(back.nums).toEqual([
        0,
        -1,
        2 ** 31,
        -(2 ** 31) - 1,
        2 ** 53,
        0.25,
        -0,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        2n ** 70n,
      ]);
      expect(Object.is(back.nums[6], -0)).toBe(true);
      expect(back.text).toBe(obj.text);
      expect(back.flags).toEqual([true, false, null, null]);
    });

    it('safetensors round trip with metadata; what safetensors cannot hold is refused', async () => {
      const tensors = {
        w: torch.tensor([
          [1, 2, 3],
          [4, 5, 6],
        ]),
        mask: torch.tensor([true, false, true]),
        idx: torch.tensor([3, -4], { dtype: 'int32' }),
        scalar: torch.tensor(2.5),
        empty: torch.zeros([0, 2]),
        t: torch.tensor([
          [1, 2],
          [3, 4],
        ]).T,
      };
      const bytes = await saveBytes(ctx, tensors, {
        format: 'safetensors',
        metadata: { format: 'pt', note: 'x' },
      });
      expect(new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true) % 8).toBe(0);
      const { tensors: back, metadata } = torch.loadSafetensors(bytes);
      expect(metadata).toEqual({ format: 'pt', note: 'x' });
      expect(Object.keys(back)).toEqual(Object.keys(tensors));
      for (const k of Object.keys(tensors) as (keyof typeof tensors)[]) {
        expect(back[k]!.dtype, k).toBe(tensors[k].dtype);
        expect([...back[k]!.shape], k).toEqual([...tensors[k].shape]);
        expect(await values(back[k]!), k).toEqual(await values(tensors[k]));
      }
      expect(torch.load(bytes).w).toBeInstanceOf(torch.Tensor);
      await expect(saveBytes(ctx, { a: 1 }, { format: 'safetensors' })).rejects.toThrow(
        /only tensors.*obj\["a"\]/,
      );
      await expect(saveBytes(ctx, [tensors.w], { format: 'safetensors' })).rejects.toThrow(
        /flat object of tensors/,
      );
      await expect(
        saveBytes(ctx, { w: tensors.w }, { format: 'safetensors', metadata: { n: 1 as any } }),
      ).rejects.toThrow(/metadata\["n"\].*not a string/);
    });

    it('options are checked; what a .pt cannot hold is refused naming where', async () => {
      const t = torch.tensor([1]);
      expect(() => torch.save({ t }, { format: 'onnx' as any })).toThrow(/unknown format "onnx"/);
      expect(() => torch.save({ t }, { format: 'pt', metadata: {} })).toThrow(/metadata.*safetensors/);
      expect(() => torch.save({ t }, { fromat: 'pt' } as any)).toThrow(/unknown option 'fromat'/);
      const cyc: any = { a: [] };
      cyc.a.push(cyc);
      await expect(saveBytes(ctx, cyc, { format: 'pt' })).rejects.toThrow(/obj\.a\[0\].*cycle/);
      await expect(saveBytes(ctx, { m: new Map([[{}, 1]]) }, { format: 'pt' })).rejects.toThrow(
        /obj\.m.*Map key/,
      );
      await expect(saveBytes(ctx, { f: () => 1 }, { format: 'pt' })).rejects.toThrow(/obj\.f/);
      let deep: unknown = 1;
      for (let i = 0; i < 300; i++) deep = [deep];
      await expect(saveBytes(ctx, deep, { format: 'pt' })).rejects.toThrow(/nested deeper than 256/);
      // What save writes load reads: 255 levels of arrays and objects round-trip.
      let ok: any = { w: t };
      for (let i = 0; i < 255; i++) ok = i % 2 ? [ok] : { a: ok };
      let back = torch.load(await saveBytes(ctx, ok, { format: 'pt' }));
      for (let i = 254; i >= 0; i--) back = i % 2 ? back[0] : back.a;
      expect(await values(back.w)).toEqual([1]);
    });

    it('torch.save(obj, path) and saveFile write the format the options or the extension name; loadFile reads all three', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'stepwise-pt-'));
      try {
        const obj = { w: torch.tensor([1, 2, 3]), step: 4 };
        const files = {
          pt: join(dir, 'model.pt'),
          st: join(dir, 'w.safetensors'),
          sw: join(dir, 'model.ckpt'),
        };
        if (ctx.syncReads) {
          torch.save(obj, files.pt);
          torch.save({ w: obj.w }, files.st);
          torch.save(obj, files.sw);
        } else {
          await torch.saveAsync(obj, files.pt);
          await torch.saveAsync({ w: obj.w }, files.st);
          await torch.saveAsync(obj, files.sw);
        }
        const pt = new Uint8Array(readFileSync(files.pt));
        expect(torch.detectFormat(pt)).toBe('pt');
        expect(new TextDecoder().decode(pt.subarray(30, 30 + 14))).toBe('model/data.pkl');
        expect(torch.detectFormat(new Uint8Array(readFileSync(files.st)))).toBe('safetensors');
        expect(torch.detectFormat(new Uint8Array(readFileSync(files.sw)))).toBe('stepwise');
        for (const f of [files.pt, files.sw]) {
          const back = await loadFile(f);
          expect(await values(back.w), f).toEqual([1, 2, 3]);
          expect(back.step, f).toBe(4);
        }
        expect(await values((await loadFile(files.st)).w)).toEqual([1, 2, 3]);
        const chosen = join(dir, 'chosen.bin');
        await saveFile(chosen, obj, { format: 'pt' });
        expect(torch.detectFormat(new Uint8Array(readFileSync(chosen)))).toBe('pt');
        await saveFile(join(dir, 'x.safetensors'), { w: obj.w }, { metadata: { a: 'b' } });
        expect(torch.loadSafetensors(readFileSync(join(dir, 'x.safetensors'))).metadata).toEqual({ a: 'b' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('PyTorch reads what stepwise writes (tooling/golden/check_pt.py)', async (t) => {
      const missing = pythonTorchMissing();
      // CI installs python3-torch (.ci/install-pytorch.sh): there a missing PyTorch is a failure.
      if (missing && process.env.CI) throw new Error(`CI must run this check: ${missing}`);
      if (missing) t.skip(missing);
      const dir = mkdtempSync(join(tmpdir(), 'stepwise-check-pt-'));
      try {
        const manifest: unknown[] = [];
        const add = async (
          file: string,
          obj: unknown,
          opts: torch.SaveOptions,
          extra: Record<string, unknown> = {},
          storageOf = new Map<Tensor, number>(),
        ) => {
          writeFileSync(join(dir, file), await saveBytes(ctx, obj, opts));
          manifest.push({ file, value: await encodeForPython(obj, storageOf, new Map()), ...extra });
        };
        const base = torch.arange(0, 10, 1, { dtype: 'float32' });
        const views = { base, a: base.narrow(0, 2, 3), b: base.view(2, 5).T, again: base };
        const p = torch.tensor([0.5, -1.25], { requiresGrad: true });
        await add(
          'tensors.pt',
          {
            ...views,
            p,
            i: torch.tensor(
              [
                [1, -2],
                [3, 2 ** 30],
              ],
              { dtype: 'int32' },
            ),
            m: torch.tensor([true, false, true]),
            s: torch.tensor(7.5),
            e: torch.zeros([0, 3]),
            nested: [p, { k: 'v', n: null, t: true, big: 2n ** 70n, neg: -5, large: 2 ** 40 }],
            intKeys: new Map<number, unknown>([
              [0, 'zero'],
              [3, [1, 2]],
            ]),
          },
          { format: 'pt' },
          { weightsOnly: true },
          new Map([base, views.a, views.b].map((x) => [x, 0])),
        );
        await add(
          'floats.pt',
          { lr: 0.001, nan: Number.NaN, inf: Number.NEGATIVE_INFINITY, negZero: -0, w: torch.tensor([1.5]) },
          { format: 'pt' },
          { weightsOnly: false },
        );
        if (ctx.supports('float64'))
          await add(
            'float64.pt',
            { d: torch.tensor([0.1, 1e-300], { dtype: 'float64' }) },
            { format: 'pt' },
            { weightsOnly: true },
          );
        const lin = new torch.nn.Linear(4, 3);
        await add(
          'linear.pt',
          lin.stateDict(),
          { format: 'pt' },
          { weightsOnly: true, loadInto: 'linear_4_3' },
        );
        const sd = torch.load(fixtureBytes('state_dict.pt'));
        await add('resaved_state_dict.pt', sd, { format: 'pt' }, { weightsOnly: true });
        const st = {
          w: torch.tensor([
            [1, 2],
            [3, 4],
          ]).T,
          i: torch.tensor([5], { dtype: 'int32' }),
          m: torch.tensor([false, true]),
          z: torch.zeros([0]),
        };
        writeFileSync(
          join(dir, 'tensors.safetensors'),
          await saveBytes(ctx, st, { format: 'safetensors', metadata: { a: 'b' } }),
        );
        const stValue = await encodeForPython(
          Object.fromEntries(Object.entries(st).map(([k, v]) => [k, v.contiguous()])),
          new Map(),
          new Map(),
        );
        // safetensors has no strides or sharing: compare values and shapes only.
        for (const [, , v] of (stValue as any).$dict) {
          delete v.$tensor.stride;
          delete v.$tensor.storage;
          delete v.$tensor.id;
        }
        manifest.push({ file: 'tensors.safetensors', value: stValue, metadata: { a: 'b' } });
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ cases: manifest }));
        const r = spawnSync(PYTHON, [CHECK_PT, dir], { encoding: 'utf8', timeout: 120_000 });
        expect(r.status, `check_pt.py:\n${r.stdout}\n${r.stderr}`).toBe(0);
        expect(r.stdout).toMatch(/ok tensors\.pt \(weights_only=True\)/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }, 180_000);
  });

  describe('strict validation', () => {
    const f32 = (n: number) => ({ dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] });
    const cases: [string, unknown, number, RegExp][] = [
      ['overlap', { a: f32(2), b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8, /overlaps/],
      [
        'gap',
        { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } },
        8,
        /bytes 0\.\.4 .*belong to no tensor/,
      ],
      ['trailing', { a: f32(1) }, 8, /bytes 4\.\.8 .*belong to no tensor/],
      ['size', { a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8, /needs 12 bytes/],
      [
        'outside',
        { a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } },
        8,
        /outside the 8-byte data section/,
      ],
      ['field', { a: { ...f32(2), extra: 1 } }, 8, /not exactly dtype, shape and data_offsets/],
      ['dtype', { a: { ...f32(2), dtype: 'F12' } }, 8, /unknown dtype "F12"/],
      ['negative', { a: { ...f32(2), shape: [-2] } }, 8, /size -2/],
      ['huge', { a: { ...f32(2), shape: [2 ** 20, 2 ** 20] } }, 8, /2\^31/],
      ['metadata', { __metadata__: { a: 1 }, a: f32(2) }, 8, /__metadata__\["a"\] is not a string/],
      ['array', [1], 0, /not a JSON object/],
    ];
    for (const [name, header, data, re] of cases) {
      it(`safetensors: ${name}`, () => {
        const before = liveOf(ctx);
        expectCheckpointError(() => torch.loadSafetensors(stWith(header, new Uint8Array(data))), re);
        expect(liveOf(ctx)).toEqual(before);
      });
    }

    it('safetensors: header lengths past the input or above 100 MB', () => {
      const good = stWith({ a: f32(1) }, new Uint8Array(4));
      const long = good.slice();
      new DataView(long.buffer).setUint32(0, 1000, true);
      expectCheckpointError(() => torch.loadSafetensors(long), /runs past the end/);
      new DataView(long.buffer).setUint32(0, 0, true);
      new DataView(long.buffer).setUint32(4, 1, true);
      expectCheckpointError(() => torch.loadSafetensors(long), /larger than the 100000000 allowed/);
      expect([...torch.loadSafetensors(good).tensors.a!.shape]).toEqual([1]);
    });

    it('.pt: every truncation of a file is a CheckpointError', async () => {
      const bytes = await saveBytes(ctx, { w: torch.tensor([1, 2, 3]), s: 'x' }, { format: 'pt' });
      for (let n = 0; n < bytes.length; n += 7) expectCheckpointError(() => torch.load(bytes.subarray(0, n)));
    });
  });

  describe(`fast-check, seed ${FUZZ_SEED}`, () => {
    it(`.pt: a damaged file loads within its size or is a CheckpointError that allocates nothing (${runs(300)} runs)`, async () => {
      const bases = [
        fixtureBytes('containers.pt'),
        fixtureBytes('shared_views.pt'),
        fixtureBytes('state_dict.pt'),
        fixtureBytes('requires_grad.pt'),
        await saveBytes(
          ctx,
          {
            w: torch.tensor([
              [1, 2],
              [3, 4],
            ]).T,
            n: [1, 'a', null],
            m: new Map([[1, 2]]),
          },
          { format: 'pt' },
        ),
      ];
      let loaded = 0;
      await checkProperty(
        fc.property(fc.nat(), ptDamage, (which, d) => {
          if (loadDamaged(ctx, damagePt(bases[which % bases.length]!, d))) loaded++;
        }),
        300,
        14,
      );
      expect(loaded, 'some damaged files still load').toBeGreaterThan(0);
    }, 180_000);

    it(`safetensors: a damaged file loads within its size or is a CheckpointError that allocates nothing (${runs(300)} runs)`, async () => {
      const bases = [
        await saveBytes(
          ctx,
          {
            w: torch.tensor([
              [1, 2],
              [3, 4],
            ]),
            i: torch.tensor([1, 2], { dtype: 'int32' }),
            m: torch.tensor([true]),
          },
          { format: 'safetensors', metadata: { a: 'b' } },
        ),
        ...(ctx.supports('float64') ? [fixtureBytes('tensors.safetensors')] : []),
      ];
      let loaded = 0;
      await checkProperty(
        fc.property(fc.nat(), stDamage, (which, d) => {
          if (loadDamaged(ctx, damageSt(bases[which % bases.length]!, d))) loaded++;
        }),
        300,
        15,
      );
      expect(loaded, 'some damaged files still load').toBeGreaterThan(0);
    }, 180_000);
  });
}
