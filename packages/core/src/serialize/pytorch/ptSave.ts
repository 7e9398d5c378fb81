/**
 * `torch.save(obj, { format: 'pt' })`: a file PyTorch's `torch.load` reads, laid out as
 * PyTorch's own `torch.save` lays it out (a zip of stored records: `<folder>/data.pkl`, a
 * protocol-2 pickle; `<folder>/byteorder`, `little`; `<folder>/data/<key>` per storage;
 * `<folder>/version`, `3`).
 *
 * - Tensors are pickled as PyTorch pickles them, `torch._utils._rebuild_tensor_v2(storage,
 *   storage_offset, size, stride, requires_grad, OrderedDict())`, over their whole storage:
 *   views of one stepwise storage stay views of one PyTorch storage (and, as in PyTorch, a
 *   small view of a large storage writes all of it). float32 → `FloatStorage`, float64 →
 *   `DoubleStorage`, int32 → `IntStorage` (PyTorch reads int32; `.long()` it there where
 *   an op wants int64), bool → `BoolStorage`. A tensor saved twice is one Python object.
 * - Plain objects → dict (an object with a non-enumerable `_metadata`, as `torch.load`
 *   makes of a module state dict, → OrderedDict with that `_metadata`, as PyTorch's);
 *   `Map`s → dict with their int (number/bigint) or str keys, so int-keyed dicts such as an
 *   optimizer's `state` can be written; arrays → list (holes and `undefined` → None);
 *   integers (safe, or bigint) → int; other numbers (fractions, NaN, ±Infinity, -0) →
 *   float (BINFLOAT); strings, booleans, null → str, bool, None.
 *
 * Which PyTorch reads it: every version since 1.6 with `torch.load(f)`, and with
 * `weights_only=True` too as long as the object holds no float: PyTorch 1.13's
 * `weights_only` unpickler lacks BINFLOAT (pytorch/pytorch#94670); 2.x reads floats there.
 */
import type { DType, TypedArray } from '../../dtype.js';
import { Tensor } from '../../tensor.js';
import {
  CheckpointError,
  hostIsLittleEndian,
  MAX_DEPTH,
  MAX_ELEMENTS,
  rules,
  swapBytes,
} from '../checkpointFormat.js';
import { Pickler } from './pickle.js';
import { writeZip } from './zip.js';

const STORAGE_OF: Record<DType, string> = {
  float32: 'FloatStorage',
  float64: 'DoubleStorage',
  int32: 'IntStorage',
  bool: 'BoolStorage',
};

/** One storage to write: a tensor holding it (to read it through) and its dtype and size. */
export interface PtStorageOut {
  readonly tensor: Tensor;
  readonly dtype: DType;
  readonly numel: number;
}

/** The pickle of an object and the storages its tensors need, before any tensor is read. */
export interface PtPlan {
  readonly pickle: Uint8Array;
  readonly storages: readonly PtStorageOut[];
}

class Writer {
  readonly p = new Pickler();
  readonly storages: PtStorageOut[] = [];
  readonly #storageKeys = new Map<object, number>();
  readonly #memo = new Map<object, number>();
  readonly #globals = new Map<string, number>();
  readonly #stack = new Set<object>();

  global(module: string, name: string): void {
    const path = `${module}\n${name}`;
    const i = this.#globals.get(path);
    if (i !== undefined) this.p.get(i);
    else {
      this.p.global(module, name);
      this.#globals.set(path, this.p.put());
    }
  }

  value(v: unknown, path: string, depth: number): void {
    if (depth > MAX_DEPTH) throw rules.tooDeep('torch.save', path);
    const p = this.p;
    if (v === null || v === undefined) p.none();
    else if (typeof v === 'boolean') p.bool(v);
    else if (typeof v === 'number') {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) p.int(v);
      else p.float(v);
    } else if (typeof v === 'bigint') p.int(v);
    else if (typeof v === 'string') p.str(v);
    else if (typeof v === 'object') this.object(v, path, depth);
    else throw new TypeError(`torch.save: cannot save ${path} of type ${typeof v}`);
  }

  object(v: object, path: string, depth: number): void {
    const p = this.p;
    // Before the memo: a reference back to a parent would pickle (Python allows cycles), but
    // torch.load refuses it, and what save writes load reads.
    if (this.#stack.has(v))
      throw new TypeError(`torch.save: ${path} refers back to one of its parents (a cycle)`);
    const again = this.#memo.get(v);
    if (again !== undefined) {
      p.get(again);
      return;
    }
    this.#stack.add(v);
    try {
      if (v instanceof Tensor) this.tensor(v, path);
      else if (Array.isArray(v)) {
        p.op(0x5d); // EMPTY_LIST
        this.#memo.set(v, p.put());
        if (v.length) {
          p.mark();
          for (let i = 0; i < v.length; i++) this.value(v[i], `${path}[${i}]`, depth + 1);
          p.op(0x65); // APPENDS
        }
      } else if (v instanceof Map) {
        p.op(0x7d); // EMPTY_DICT
        this.#memo.set(v, p.put());
        this.items(
          [...v].map(([k, x]) => {
            if (
              typeof k === 'string' ||
              typeof k === 'bigint' ||
              (typeof k === 'number' && Number.isSafeInteger(k))
            )
              return [k, x];
            throw new TypeError(
              `torch.save: ${path} has a Map key of type ${typeof k} (${String(k).slice(0, 20)}); a .pt dict key is an int or a string`,
            );
          }),
          path,
          depth,
        );
      } else {
        const proto = Object.getPrototypeOf(v);
        if (proto !== Object.prototype && proto !== null) {
          throw new TypeError(
            `torch.save: cannot save ${path}, a ${(v as object).constructor?.name ?? 'non-plain object'}; only plain objects, Maps, arrays, numbers, strings, booleans, null and tensors`,
          );
        }
        const meta = Object.getOwnPropertyDescriptor(v, '_metadata');
        const ordered = meta !== undefined && !meta.enumerable;
        if (ordered) {
          this.global('collections', 'OrderedDict');
          p.op(0x29, 0x52); // EMPTY_TUPLE REDUCE
        } else p.op(0x7d);
        this.#memo.set(v, p.put());
        const o = v as Record<string, unknown>;
        this.items(
          Object.keys(o).map((k) => [k, o[k]]),
          path,
          depth,
        );
        if (ordered) {
          p.op(0x7d); // state: {'_metadata': ...}
          p.str('_metadata');
          this.value(meta.value, `${path}._metadata`, depth + 1);
          p.op(0x73, 0x62); // SETITEM BUILD
        }
      }
    } finally {
      this.#stack.delete(v);
    }
  }

  items(entries: [string | number | bigint, unknown][], path: string, depth: number): void {
    if (!entries.length) return;
    this.p.mark();
    for (const [k, x] of entries) {
      this.value(k, path, depth + 1);
      this.value(x, typeof k === 'string' ? `${path}.${k}` : `${path}[${k}]`, depth + 1);
    }
    this.p.op(0x75); // SETITEMS
  }

  tensor(t: Tensor, path: string): void {
    if (t.isDisposed) throw new TypeError(`torch.save: the tensor at ${path} was used after ${t._goneWhy}`);
    const n = t.numel();
    if (n > MAX_ELEMENTS) throw rules.tooManyElements('torch.save', `the tensor at ${path}`, t.shape, n);
    const ref = t._liveRef();
    let key = this.#storageKeys.get(ref);
    if (key === undefined) {
      key = this.storages.length;
      this.#storageKeys.set(ref, key);
      this.storages.push({ tensor: t, dtype: t.dtype, numel: ref.storage!.size });
    }
    const p = this.p;
    this.global('torch._utils', '_rebuild_tensor_v2');
    p.mark();
    p.mark();
    p.str('storage');
    this.global('torch', STORAGE_OF[t.dtype]);
    p.str(String(key));
    p.str('cpu');
    p.int(this.storages[key]!.numel);
    p.op(0x74, 0x51); // TUPLE BINPERSID
    p.int(t.storageOffset());
    p.tuple(t.shape.length, () => {
      for (const d of t.shape) p.int(d);
    });
    p.tuple(t.shape.length, () => {
      for (const s of t.stride()) p.int(s);
    });
    p.bool(t.requiresGrad);
    this.global('collections', 'OrderedDict');
    p.op(0x29, 0x52, 0x74, 0x52); // EMPTY_TUPLE REDUCE (the hooks), TUPLE REDUCE
    this.#memo.set(t, p.put());
  }
}

/** The pickle of `obj` and the storages to write with it (nothing is read yet). */
export function planPt(obj: unknown): PtPlan {
  const w = new Writer();
  w.value(obj, 'obj', 0);
  return { pickle: w.p.finish(), storages: w.storages };
}

/** Reads every storage of the plan synchronously (cpu-js, wasm-simd). */
export function readStoragesSync(plan: PtPlan): TypedArray[] {
  return plan.storages.map((s) => {
    const b = s.tensor.backend;
    if (!b.syncReads || !b.readSync)
      throw new TypeError(
        `torch.save: a tensor is on '${b.name}', which cannot be read synchronously; use \`await torch.saveAsync(obj, ...)\``,
      );
    return b.readSync(s.tensor._liveRef().storage!);
  });
}

/** Reads every storage of the plan (any backend). */
export function readStorages(plan: PtPlan): Promise<TypedArray[]> {
  return Promise.all(plan.storages.map((s) => s.tensor.backend.read(s.tensor._liveRef().storage!)));
}

/** The .pt file: the zip of the plan's pickle and storages under `folder/`. */
export function assemblePt(plan: PtPlan, datas: readonly TypedArray[], folder = 'archive'): Uint8Array {
  if (!folder || folder.includes('/'))
    throw new CheckpointError(`torch.save: '${folder}' cannot name a .pt folder`);
  const enc = new TextEncoder();
  const entries = [
    { name: `${folder}/data.pkl`, data: plan.pickle },
    { name: `${folder}/byteorder`, data: enc.encode('little') },
  ];
  datas.forEach((d, i) => {
    let bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (!hostIsLittleEndian) {
      bytes = bytes.slice();
      swapBytes(bytes, d.BYTES_PER_ELEMENT);
    }
    entries.push({ name: `${folder}/data/${i}`, data: bytes });
  });
  entries.push({ name: `${folder}/version`, data: enc.encode('3\n') });
  return writeZip(entries);
}
