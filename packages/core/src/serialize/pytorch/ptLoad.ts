/**
 * `torch.load` of PyTorch's own checkpoint files: the zip format `torch.save` writes since
 * PyTorch 1.6 (`<folder>/data.pkl`, `<folder>/data/<key>` per storage, `<folder>/version`,
 * and since 2.x `<folder>/byteorder`; the folder is the file's stem, or `archive`).
 *
 * What loads is what PyTorch's `weights_only=True` loads, minus what stepwise cannot hold:
 * tensors (`torch._utils._rebuild_tensor_v2`, `_rebuild_tensor`, `_rebuild_parameter`,
 * `_rebuild_parameter_with_state`) over float32, float64, int64 (→ int32, every value
 * checked), int32, int16/int8/uint8 (→ int32) and bool storages; `collections.OrderedDict`
 * (with a BUILD of `_metadata`, as module state dicts carry); `torch.Size`; dtypes (as their
 * names); dicts with str or int keys, lists, tuples, ints, floats, strings, bools, None. Any
 * other global is refused when the pickle names it, before anything is called; float16,
 * bfloat16 and complex storages are refused naming the tensor.
 *
 * Tensors are views, as in PyTorch: each storage becomes one stepwise storage, and each
 * tensor a strided view of it (size, stride, storage offset as saved), so tensors that
 * shared a storage in PyTorch share one here, and an in-place op on one writes through to
 * the others. A tensor's extent is checked against its storage, and a storage's element
 * count against its record's bytes, before anything is allocated; nothing is allocated
 * when a load is refused.
 *
 * The result: OrderedDict and dict → plain objects (keys as written, int keys as their
 * decimal text, every key an own data property — `__proto__` included — so no prototype is
 * reached), lists and tuples → arrays, None → null, ints beyond 2^53 → bigint. A module
 * state dict's `_metadata` is kept as a non-enumerable property of its object (so
 * `Object.keys` and `loadStateDict` see only the tensors), and written back by
 * `torch.save(..., { format: 'pt' })`.
 */
import type { Backend } from '../../backend.js';
import { isFloat } from '../../dtype.js';
import { resolveBackend } from '../../registry.js';
import type { Tensor } from '../../tensor.js';
import { CheckpointError, MAX_DEPTH, MAX_ELEMENTS, rules } from '../checkpointFormat.js';
import {
  allocateAll,
  checkLoadable,
  hostArray,
  overflowMessage,
  SOURCE_BYTES,
  type SourceDType,
  TARGET,
  tensorOf,
} from '../hostData.js';
import {
  PyDict,
  PyGlobal,
  PyList,
  PyObject,
  PyTuple,
  type PyValue,
  pyTypeName,
  type UnpickleHooks,
  unpickle,
} from './pickle.js';
import { readZip } from './zip.js';

function fail(msg: string): never {
  throw new CheckpointError(`torch.load: ${msg}`);
}

/**
 * PyTorch's storage classes, by name in `torch`: the element type, or null for those
 * stepwise has no dtype for (named when a tensor over one is refused).
 */
const STORAGE_TYPES: Record<string, SourceDType | null> = {
  FloatStorage: 'float32',
  DoubleStorage: 'float64',
  LongStorage: 'int64',
  IntStorage: 'int32',
  ShortStorage: 'int16',
  CharStorage: 'int8',
  ByteStorage: 'uint8',
  BoolStorage: 'bool',
  HalfStorage: null,
  BFloat16Storage: null,
  ComplexFloatStorage: null,
  ComplexDoubleStorage: null,
};

/** What each refused storage class holds, for the error. */
const REFUSED_STORAGE: Record<string, string> = {
  HalfStorage: 'float16',
  BFloat16Storage: 'bfloat16',
  ComplexFloatStorage: 'complex64',
  ComplexDoubleStorage: 'complex128',
};

/** `torch.<dtype>` globals (a pickled `torch.float32` is `GLOBAL torch float32`); they load as their names. */
const DTYPE_NAMES = new Set([
  'float32',
  'float64',
  'float16',
  'bfloat16',
  'int64',
  'int32',
  'int16',
  'int8',
  'uint8',
  'bool',
  'complex32',
  'complex64',
  'complex128',
]);

const REBUILDS = new Set([
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
]);

/** Which globals a pickle may name: the rebuild functions, OrderedDict, torch.Size, storages, dtypes. */
function allowedGlobal(module: string, name: string): boolean {
  const path = `${module}.${name}`;
  if (REBUILDS.has(path) || path === 'collections.OrderedDict' || path === 'torch.Size') return true;
  return module === 'torch' && (Object.hasOwn(STORAGE_TYPES, name) || DTYPE_NAMES.has(name));
}

/** One storage of the file (a persistent id `('storage', type, key, location, numel)`). */
class PtStorage extends PyObject {
  get typeName(): string {
    return `torch.${this.type}`;
  }
  constructor(
    readonly key: string,
    readonly type: string,
    readonly numel: number,
  ) {
    super();
  }
}

/** One tensor: a strided view of a storage. */
class PtTensor extends PyObject {
  readonly typeName = 'torch.Tensor';
  constructor(
    readonly storage: PtStorage,
    readonly offset: number,
    readonly size: readonly number[],
    readonly stride: readonly number[],
    readonly requiresGrad: boolean,
  ) {
    super();
  }
}

function isInt(v: PyValue): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

/** A tuple of non-negative ints (a tensor's size or stride), or an error naming `what`. */
function intTuple(v: PyValue, what: string): number[] {
  if (!(v instanceof PyTuple)) return fail(`${what} is a ${pyTypeName(v)}, not a tuple of ints`);
  if (v.items.length > 64) fail(`${what} has ${v.items.length} dimensions (at most 64)`);
  return v.items.map((x) => {
    if (!isInt(x) || x < 0) fail(`${what} holds ${String(x)}, not a non-negative int`);
    return x as number;
  });
}

/** Backward hooks, metadata or a Parameter's state that a rebuild carries: only empty ones load. */
function checkEmpty(v: PyValue, what: string): void {
  if (v === null) return;
  if (v instanceof PyDict && v.entries.size === 0) return;
  fail(`a tensor's ${what} is not empty (a ${pyTypeName(v)}): only plain tensors load`);
}

function hooksFor(what: string, storages: Map<string, PtStorage>): UnpickleHooks {
  const at = (msg: string) => new CheckpointError(`torch.load: ${what}: ${msg}`);
  return {
    global(module, name) {
      if (!allowedGlobal(module, name)) {
        throw at(
          `the pickle asks for the global '${module}.${name}', which is refused: only tensors and plain containers load (PyTorch's weights_only=True rule), and nothing was called`,
        );
      }
      return new PyGlobal(module, name);
    },
    reduce(fn, args) {
      if (!(fn instanceof PyGlobal)) throw at(`REDUCE calls a ${pyTypeName(fn)}, which is not callable`);
      const a = args.items;
      const arity = (...n: number[]) => {
        if (!n.includes(a.length)) throw at(`${fn.path} takes ${n.join(' or ')} arguments, got ${a.length}`);
      };
      switch (fn.path) {
        case 'torch._utils._rebuild_tensor_v2':
        case 'torch._utils._rebuild_tensor': {
          const v2 = fn.name === '_rebuild_tensor_v2';
          if (v2) arity(6, 7);
          else arity(4);
          const [storage, offset, size, stride, requiresGrad, hooks, metadata] = a;
          if (!(storage instanceof PtStorage))
            throw at(`${fn.path} of a ${pyTypeName(storage!)}, not a storage`);
          if (!isInt(offset!) || offset < 0) throw at(`a tensor's storage offset is ${String(offset)}`);
          const sz = intTuple(size!, "a tensor's size");
          const st = intTuple(stride!, "a tensor's stride");
          if (st.length !== sz.length)
            throw at(`a tensor's size (${sz.length} dims) and stride (${st.length}) differ in length`);
          if (v2) {
            if (typeof requiresGrad !== 'boolean')
              throw at(`requires_grad is a ${pyTypeName(requiresGrad!)}`);
            checkEmpty(hooks!, 'backward hooks');
            if (a.length === 7) checkEmpty(metadata!, 'metadata');
          }
          return new PtTensor(storage, offset, sz, st, requiresGrad === true);
        }
        case 'torch._utils._rebuild_parameter':
        case 'torch._utils._rebuild_parameter_with_state': {
          const withState = fn.name === '_rebuild_parameter_with_state';
          arity(withState ? 4 : 3);
          const [data, requiresGrad, hooks, state] = a;
          if (!(data instanceof PtTensor)) throw at(`${fn.path} of a ${pyTypeName(data!)}, not a tensor`);
          if (typeof requiresGrad !== 'boolean') throw at(`requires_grad is a ${pyTypeName(requiresGrad!)}`);
          checkEmpty(hooks!, 'backward hooks');
          if (withState) checkEmpty(state!, 'Parameter state');
          return new PtTensor(data.storage, data.offset, data.size, data.stride, requiresGrad);
        }
        case 'collections.OrderedDict': {
          arity(0, 1);
          const d = new PyDict(true);
          if (a.length === 1) {
            const pairs = a[0]!;
            if (!(pairs instanceof PyList))
              throw at(`OrderedDict of a ${pyTypeName(pairs)} (a list of pairs or nothing loads)`);
            for (const p of pairs.items) {
              if (!(p instanceof PyTuple) || p.items.length !== 2)
                throw at('OrderedDict of a list that is not pairs');
              const [k, v] = p.items;
              if (typeof k === 'string') d.entries.set(k, { key: { text: k, int: false }, value: v! });
              else if (isInt(k!))
                d.entries.set(String(k), { key: { text: String(k), int: true }, value: v! });
              else throw at(`an OrderedDict key of type ${pyTypeName(k!)}`);
            }
          }
          return d;
        }
        case 'torch.Size': {
          arity(1);
          return new PyTuple(intTuple(a[0]!, 'torch.Size'));
        }
        default:
          throw at(`REDUCE calls ${fn.path}, which is not a rebuild function`);
      }
    },
    build(target, state) {
      if (!(target instanceof PyDict) || !target.ordered)
        throw at(`BUILD of a ${pyTypeName(target)} (only an OrderedDict's attributes load)`);
      if (!(state instanceof PyDict)) throw at(`BUILD with a state of type ${pyTypeName(state)}`);
      target.attrs ??= new PyDict(false);
      for (const [k, e] of state.entries) target.attrs.entries.set(k, e);
    },
    persistentLoad(pid) {
      if (!(pid instanceof PyTuple) || pid.items[0] !== 'storage')
        throw at(`a persistent id of type ${pyTypeName(pid)} (only ('storage', ...) loads)`);
      if (pid.items.length !== 5) throw at(`a storage id has ${pid.items.length} fields, not 5`);
      const [, type, key, location, numel] = pid.items;
      if (!(type instanceof PyGlobal) || type.module !== 'torch' || !Object.hasOwn(STORAGE_TYPES, type.name))
        throw at(`a storage of type ${pyTypeName(type!)}`);
      if (typeof key !== 'string' || key === '' || key.includes('/'))
        throw at(`a storage key ${String(key)}`);
      if (typeof location !== 'string')
        throw at(`storage '${key}' has a location of type ${pyTypeName(location!)}`);
      if (!isInt(numel!) || numel < 0) throw at(`storage '${key}' has ${String(numel)} elements`);
      const had = storages.get(key);
      if (had) {
        if (had.type !== type.name || had.numel !== numel)
          throw at(
            `storage '${key}' is named twice with different types or sizes (${had.type} of ${had.numel}, ${type.name} of ${numel})`,
          );
        return had;
      }
      const s = new PtStorage(key, type.name, numel);
      storages.set(key, s);
      return s;
    },
  };
}

const IDENT = /^[A-Za-z_$][\w$]*$/;

function childPath(path: string, key: string, int: boolean): string {
  if (int) return `${path}[${key}]`;
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

/** The tensors of a loaded tree, each with the path of its first appearance. */
type Found = Map<PtTensor, string>;

/**
 * Checks the tree the pickle made (nesting, cycles, values that are not data) and finds
 * its tensors, walking it exactly as `build` will (shared nodes once), so `build`
 * recurses no deeper than this checked.
 */
function walk(
  v: PyValue,
  path: string,
  depth: number,
  onPath: Set<object>,
  seen: Set<object>,
  found: Found,
): void {
  if (v === null || typeof v !== 'object') return;
  if (depth > MAX_DEPTH) throw rules.tooDeep('torch.load', path);
  if (onPath.has(v)) fail(`${path} contains itself (a cycle)`);
  if (seen.has(v)) return;
  if (v instanceof PtTensor) {
    found.set(v, path);
  } else if (v instanceof PtStorage) {
    fail(`${path} is a bare storage (torch.${v.type}), not a tensor`);
  } else if (v instanceof PyGlobal) {
    if (!(v.module === 'torch' && DTYPE_NAMES.has(v.name))) fail(`${path} is the global ${v.path}, not data`);
  } else {
    onPath.add(v);
    if (v instanceof PyList || v instanceof PyTuple) {
      for (let i = 0; i < v.items.length; i++)
        walk(v.items[i]!, `${path}[${i}]`, depth + 1, onPath, seen, found);
    } else if (v instanceof PyDict) {
      for (const { key, value } of v.entries.values())
        walk(value, childPath(path, key.text, key.int), depth + 1, onPath, seen, found);
      const meta = v.attrs?.entries.get('_metadata');
      if (meta) walk(meta.value, `${path}._metadata`, depth + 1, onPath, seen, found);
    }
    onPath.delete(v);
  }
  seen.add(v);
}

function defineKey(o: object, key: string, value: unknown, enumerable = true): void {
  Object.defineProperty(o, key, { value, enumerable, writable: true, configurable: true });
}

function build(v: PyValue, tensors: Map<PtTensor, Tensor>, cache: Map<object, unknown>): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (cache.has(v)) return cache.get(v);
  let out: unknown;
  if (v instanceof PtTensor) out = tensors.get(v);
  else if (v instanceof PyGlobal) out = v.name;
  else if (v instanceof PyList || v instanceof PyTuple) {
    const arr: unknown[] = [];
    cache.set(v, arr);
    for (const x of v.items) arr.push(build(x, tensors, cache));
    out = arr;
  } else if (v instanceof PyDict) {
    const o: Record<string, unknown> = {};
    cache.set(v, o);
    for (const { key, value } of v.entries.values()) defineKey(o, key.text, build(value, tensors, cache));
    const meta = v.attrs?.entries.get('_metadata');
    if (meta && !Object.hasOwn(o, '_metadata'))
      defineKey(o, '_metadata', build(meta.value, tensors, cache), false);
    out = o;
  }
  cache.set(v, out);
  return out;
}

/** The zip entries `torch.load` reads (TorchScript's `constants.pkl` only to name it in the error). */
const ENTRY = /^[^/]+\/(?:data\.pkl|constants\.pkl|byteorder|version|\.data\/version|data\/[^/]+)$/;

/** `torch.load` of a PyTorch zip checkpoint onto `backend` (see the file comment). */
export function loadPt(buf: Uint8Array, opts: { backend?: string | Backend } = {}): any {
  const entries = readZip(buf, (name) => ENTRY.test(name));
  const pkls = [...entries.keys()].filter((n) => n.endsWith('/data.pkl'));
  if (pkls.length === 0) fail('the zip file has no <folder>/data.pkl: not a PyTorch checkpoint');
  if (pkls.length > 1)
    fail(`the zip file has ${pkls.length} data.pkl entries (${pkls.slice(0, 3).join(', ')})`);
  const folder = pkls[0]!.slice(0, -'/data.pkl'.length);
  if (entries.has(`${folder}/constants.pkl`))
    fail(
      'this is a TorchScript archive (torch.jit.save), which holds code: load it in PyTorch and torch.save(model.state_dict(), f) instead',
    );
  const order = entries.get(`${folder}/byteorder`);
  if (order) {
    const o = new TextDecoder().decode(order).trim();
    if (o === 'big')
      fail(
        `the file was written on a big-endian machine (${folder}/byteorder is 'big'); stepwise reads little-endian data: re-save it on a little-endian machine`,
      );
    if (o !== 'little') fail(`${folder}/byteorder is '${o.slice(0, 20)}', not 'little'`);
  }
  const version = entries.get(`${folder}/.data/version`) ?? entries.get(`${folder}/version`);
  if (version && !/^\d{1,4}\s*$/.test(new TextDecoder().decode(version)))
    fail(`${folder}/version is not a version number`);

  const storages = new Map<string, PtStorage>();
  const what = `${folder}/data.pkl`;
  const root = unpickle(entries.get(what)!, what, hooksFor(what, storages));
  const found: Found = new Map();
  walk(root, 'obj', 0, new Set(), new Set(), found);

  // Every tensor within its storage; every used storage's record of the right size.
  const users = new Map<PtStorage, string[]>();
  for (const [t, path] of found) {
    const s = t.storage;
    const at = `at ${path}`;
    if (!users.has(s)) users.set(s, []);
    users.get(s)!.push(path);
    const source = STORAGE_TYPES[s.type];
    if (!source) {
      const dt = REFUSED_STORAGE[s.type];
      fail(
        `the ${dt} tensor ${at} (torch.${s.type}) has no stepwise dtype: convert it in PyTorch (t.float()) before saving`,
      );
    }
    let numel = 1;
    for (const d of t.size) numel *= d;
    if (numel > MAX_ELEMENTS) throw rules.tooManyElements('torch.load', `the tensor ${at}`, t.size, numel);
    if (numel > 0) {
      let last = t.offset;
      for (let i = 0; i < t.size.length; i++) last += (t.size[i]! - 1) * t.stride[i]!;
      if (last >= s.numel)
        fail(
          `the tensor ${at} (size [${t.size.join(', ')}], stride [${t.stride.join(', ')}], offset ${t.offset}) reaches element ${last} of storage '${s.key}', which has ${s.numel}`,
        );
    } else if (t.offset > s.numel) {
      fail(
        `the empty tensor ${at} starts at element ${t.offset} of storage '${s.key}', which has ${s.numel}`,
      );
    }
    if (t.requiresGrad && !isFloat(TARGET[source!]))
      fail(`the ${source} tensor ${at} requires grad, but only floating point tensors can`);
  }
  const backend = resolveBackend(opts.backend);
  const plans = [...users].map(([s, paths]) => {
    const source = STORAGE_TYPES[s.type]!;
    const where = `at ${paths[0]}${paths.length > 1 ? ` (and ${paths.length - 1} more sharing its storage)` : ''}`;
    const rec = entries.get(`${folder}/data/${s.key}`);
    if (!rec) fail(`the tensor ${where} needs the record ${folder}/data/${s.key}, which the file lacks`);
    const want = s.numel * SOURCE_BYTES[source];
    if (rec!.length !== want)
      fail(
        `storage '${s.key}' (the tensor ${where}) declares ${s.numel} ${source} elements (${want} bytes), but its record holds ${rec!.length} bytes`,
      );
    const dtype = TARGET[source];
    checkLoadable(backend, dtype, [s.numel], where);
    const host = hostArray(rec!, source);
    if (!ArrayBuffer.isView(host)) fail(overflowMessage(where, host));
    return { storage: s, dtype, host };
  });
  // Everything is checked: allocate the storages, then the views.
  const bases = allocateAll(plans, (p) => tensorOf(p.host, p.dtype, backend));
  const byStorage = new Map(plans.map((p, i) => [p.storage, bases[i]!]));
  const tensors = new Map<PtTensor, Tensor>();
  try {
    for (const t of found.keys()) {
      const view = byStorage.get(t.storage)!._asStrided(t.size, t.stride, t.offset);
      tensors.set(t, view);
      if (t.requiresGrad) view.requiresGrad = true;
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  } finally {
    for (const b of bases) b.dispose();
  }
  return build(root, tensors, new Map());
}
