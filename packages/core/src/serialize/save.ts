import { bytesPerElement, type TypedArray } from '../dtype.js';
import { Tensor } from '../tensor.js';
import {
  ALIGN,
  CheckpointError,
  FORBIDDEN_KEYS,
  FORMAT_VERSION,
  hostIsLittleEndian,
  MAGIC,
  MAX_DEPTH,
  MAX_ELEMENTS,
  PREAMBLE_BYTES,
  rules,
  swapBytes,
  type TensorEntry,
} from './checkpointFormat.js';

/**
 * Walks a value into the header's tagged JSON, collecting tensors (each once). Plain
 * objects, arrays, numbers, strings, booleans, null, undefined and tensors are allowed;
 * anything else (a Map, a class instance, a function, a cycle) is an error naming where.
 * What `torch.load` would refuse — nesting deeper than `MAX_DEPTH`, the keys `__proto__`,
 * `constructor`, `prototype`, a tensor of more than `MAX_ELEMENTS` elements — is refused
 * here with the same `CheckpointError` message (depth counted the way `load` counts it:
 * the root is at depth 0, each array or object adds one), so nothing saved fails to load;
 * and the depth bound means a 5,000-deep value is that error, not a stack overflow.
 */
function encode(
  v: unknown,
  path: string,
  tensors: Map<Tensor, number>,
  stack: Set<object>,
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) throw rules.tooDeep('torch.save', path);
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v === undefined) return { $undefined: true };
  if (typeof v === 'number') {
    if (Number.isNaN(v)) return { $number: 'nan' };
    if (v === Number.POSITIVE_INFINITY) return { $number: 'inf' };
    if (v === Number.NEGATIVE_INFINITY) return { $number: '-inf' };
    if (Object.is(v, -0)) return { $number: '-0' };
    return v;
  }
  if (v instanceof Tensor) {
    if (v.isDisposed) throw new TypeError(`torch.save: the tensor at ${path} was used after ${v._goneWhy}`);
    const n = v.numel();
    if (n > MAX_ELEMENTS) throw rules.tooManyElements('torch.save', `the tensor at ${path}`, v.shape, n);
    let i = tensors.get(v);
    if (i === undefined) tensors.set(v, (i = tensors.size));
    return { $tensor: i };
  }
  if (typeof v === 'object') {
    if (stack.has(v)) throw new TypeError(`torch.save: ${path} refers back to one of its parents (a cycle)`);
    stack.add(v);
    try {
      if (Array.isArray(v)) {
        // Index by index, not `map`: a hole becomes `undefined` (as it reads), not `null`.
        const out = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) out[i] = encode(v[i], `${path}[${i}]`, tensors, stack, depth + 1);
        return out;
      }
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(
          `torch.save: cannot save ${path}, a ${(v as object).constructor?.name ?? 'non-plain object'}; only plain objects, arrays, numbers, strings, booleans, null and tensors`,
        );
      }
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(k)) throw rules.forbiddenKey('torch.save', path, k);
        out[k] = encode((v as Record<string, unknown>)[k], `${path}.${k}`, tensors, stack, depth + 1);
      }
      return { $object: out };
    } finally {
      stack.delete(v);
    }
  }
  throw new TypeError(`torch.save: cannot save ${path} of type ${typeof v}`);
}

function assemble(root: unknown, tensors: Tensor[], datas: TypedArray[]): Uint8Array {
  const entries: TensorEntry[] = [];
  let offset = 0;
  tensors.forEach((t, i) => {
    const bytes = datas[i]!.byteLength;
    entries.push({
      dtype: t.dtype,
      shape: [...t.shape],
      offset,
      bytes,
      ...(t.requiresGrad ? { requiresGrad: true } : {}),
    });
    // Padding only between tensors: the data section ends with the last tensor's bytes,
    // so any truncation of a checkpoint cuts real content (and is detected).
    offset += i === tensors.length - 1 ? bytes : Math.ceil(bytes / ALIGN) * ALIGN;
  });
  let json: string;
  try {
    json = JSON.stringify({ tensors: entries, root });
  } catch (e) {
    // The engine's string limit (about 2^29 characters in V8): too much text, not too many bytes.
    throw new CheckpointError(
      `torch.save: the header (all values but tensor data) is too large to write: ${(e as Error).message}`,
    );
  }
  const header = new TextEncoder().encode(json);
  if (header.length > 0xffffffff)
    throw new CheckpointError(`torch.save: the header of ${header.length} bytes exceeds the format's 4 GiB`);
  const dataStart = PREAMBLE_BYTES + header.length;
  const out = new Uint8Array(dataStart + offset);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  const view = new DataView(out.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, header.length, true);
  out.set(header, PREAMBLE_BYTES);
  entries.forEach((e, i) => {
    const d = datas[i]!;
    const raw = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    const at = dataStart + e.offset;
    out.set(raw, at);
    if (!hostIsLittleEndian) swapBytes(out.subarray(at, at + raw.length), bytesPerElement(tensors[i]!.dtype));
  });
  return out;
}

/**
 * `torch.save(obj)`: any nesting of plain objects, arrays, numbers, strings, booleans,
 * null and tensors (model, optimizer and scheduler state dicts together) → bytes in the
 * documented format (see `checkpointFormat.ts`). Synchronous, so it needs backends with synchronous
 * reads; on webgpu use `await torch.saveAsync(obj)`.
 */
export function save(obj: unknown): Uint8Array {
  const tensors = new Map<Tensor, number>();
  const root = encode(obj, 'obj', tensors, new Set(), 0);
  const list = [...tensors.keys()];
  for (const t of list) {
    if (!t.backend.syncReads) {
      throw new TypeError(
        `torch.save: a tensor is on '${t.backend.name}', which cannot be read synchronously; use \`await torch.saveAsync(obj)\``,
      );
    }
  }
  return assemble(
    root,
    list,
    list.map((t) => t.dataSync()),
  );
}

/** `torch.save` for every backend (webgpu included): reads tensors with `await t.data()`. */
export async function saveAsync(obj: unknown): Promise<Uint8Array> {
  const tensors = new Map<Tensor, number>();
  const root = encode(obj, 'obj', tensors, new Set(), 0);
  const list = [...tensors.keys()];
  const datas = await Promise.all(list.map((t) => t.data()));
  return assemble(root, list, datas);
}
