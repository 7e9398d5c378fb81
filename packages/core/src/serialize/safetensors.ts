/**
 * safetensors files (huggingface/safetensors): an 8-byte little-endian header length N, N
 * bytes of UTF-8 JSON — `{ "<name>": { "dtype", "shape", "data_offsets": [begin, end] },
 * "__metadata__"?: { "<key>": "<string>" } }` — then the data, every tensor row-major and
 * little-endian at its offsets (counted from the end of the header).
 *
 * Reading is as strict as the reference implementation: the header is at most 100 MB and
 * within the input, every entry has exactly those three fields, its byte range matches
 * shape × dtype, and the ranges, sorted, tile the data exactly (no gap, no overlap, nothing
 * after), which also bounds what a load allocates by the input's size. F32, F64, I32 and
 * BOOL load as they are; I64 as int32 when every value fits (else an error naming the
 * tensor); I16, I8 and U8 widen to int32; F16, BF16 and the other types are refused naming
 * the tensor. Writing puts the header keys in the object's order and the data in order of
 * element size (largest first), so every tensor is aligned when the data section is; the
 * header is padded with spaces to a multiple of 8 bytes, as the reference writer pads it.
 */
import type { Backend } from '../backend.js';
import { bytesPerElement, type DType, type TypedArray } from '../dtype.js';
import { fromHost } from '../ops/creation.js';
import { resolveBackend } from '../registry.js';
import { Tensor } from '../tensor.js';
import { CheckpointError, hostIsLittleEndian, MAX_ELEMENTS, rules, swapBytes } from './checkpointFormat.js';
import {
  allocateAll,
  checkLoadable,
  hostArray,
  overflowMessage,
  SOURCE_BYTES,
  type SourceDType,
  TARGET,
} from './hostData.js';

/** The reference implementation's bound on the header. */
export const MAX_HEADER_BYTES = 100_000_000;

const SOURCE: Record<string, SourceDType> = {
  F32: 'float32',
  F64: 'float64',
  I64: 'int64',
  I32: 'int32',
  I16: 'int16',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

const REFUSED: Record<string, string> = {
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8_e4m3fn',
  F8_E5M2: 'float8_e5m2',
  U16: 'uint16',
  U32: 'uint32',
  U64: 'uint64',
  C64: 'complex64',
};

const CODE: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', bool: 'BOOL' };

function fail(msg: string): never {
  throw new CheckpointError(`torch.load: safetensors: ${msg}`);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** True when `buf` starts as a safetensors file does: a length below 2^32, then `{`. */
export function looksLikeSafetensors(buf: Uint8Array): boolean {
  return buf.length >= 10 && buf[4] === 0 && buf[5] === 0 && buf[6] === 0 && buf[7] === 0 && buf[8] === 0x7b;
}

interface Entry {
  name: string;
  source: SourceDType;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * A safetensors file's tensors (a plain object, in the header's order, every name an own
 * data property) on `backend`, and its `__metadata__` (null when absent). Checked
 * completely before the first tensor is allocated; a refusal allocates nothing.
 */
export function loadSafetensors(
  bytes: Uint8Array | ArrayBuffer,
  opts: { backend?: string | Backend } = {},
): {
  /** The tensors, by name. */
  tensors: Record<string, Tensor>;
  /** The file's `__metadata__` strings, or `null` without any. */
  metadata: Record<string, string> | null;
} {
  const buf = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(buf instanceof Uint8Array)) fail(`expected a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  if (buf.length < 8) fail(`a file of ${buf.length} bytes has no header length (truncated?)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (n > MAX_HEADER_BYTES) fail(`a header of ${n} bytes is larger than the ${MAX_HEADER_BYTES} allowed`);
  if (n > buf.length - 8)
    fail(`the header of ${n} bytes runs past the end of the ${buf.length}-byte input (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(8, 8 + n)));
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isPlain(header)) fail('the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = buf.length - dataStart;
  let metadata: Record<string, string> | null = null;
  const entries: Entry[] = [];
  for (const name of Object.keys(header)) {
    const e = header[name];
    if (name === '__metadata__') {
      if (!isPlain(e)) fail('__metadata__ is not an object of strings');
      metadata = {};
      for (const k of Object.keys(e)) {
        if (typeof e[k] !== 'string') fail(`__metadata__[${JSON.stringify(k)}] is not a string`);
        Object.defineProperty(metadata, k, {
          value: e[k],
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      continue;
    }
    const at = `tensor ${JSON.stringify(name)}`;
    if (!isPlain(e)) fail(`${at} is not an object`);
    const fields = Object.keys(e).sort().join(',');
    if (fields !== 'data_offsets,dtype,shape')
      fail(`${at} has the fields ${fields || 'none'}, not exactly dtype, shape and data_offsets`);
    const { dtype, shape, data_offsets: offs } = e as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(Object.hasOwn(SOURCE, dtype) || Object.hasOwn(REFUSED, dtype)))
      fail(`${at} has the unknown dtype ${JSON.stringify(dtype)}`);
    if (Object.hasOwn(REFUSED, dtype as string))
      fail(
        `${at} is ${dtype} (${REFUSED[dtype as string]}), which stepwise has no dtype for: convert it (to F32 or an integer type) before saving`,
      );
    const source = SOURCE[dtype as string]!;
    if (!Array.isArray(shape) || shape.length > 64)
      fail(`${at} has a shape that is not a list of at most 64 sizes`);
    let numel = 1;
    for (const d of shape) {
      if (!Number.isSafeInteger(d) || d < 0) fail(`${at} has the size ${JSON.stringify(d)} in its shape`);
      numel *= d;
    }
    if (numel > MAX_ELEMENTS) throw rules.tooManyElements('torch.load', `safetensors: ${at}`, shape, numel);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(`${at} has data_offsets ${JSON.stringify(offs)}, not [begin, end]`);
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen)
      fail(`${at} has data_offsets [${begin}, ${end}] outside the ${dataLen}-byte data section`);
    if (end - begin !== numel * SOURCE_BYTES[source])
      fail(
        `${at}: ${dtype} [${shape.join(', ')}] needs ${numel * SOURCE_BYTES[source]} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}`,
      );
    entries.push({ name, source, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of sorted) {
    if (e.begin !== cursor)
      fail(
        e.begin < cursor
          ? `tensor ${JSON.stringify(e.name)} (bytes ${e.begin}..${e.end}) overlaps the tensor before it`
          : `bytes ${cursor}..${e.begin} of the data section belong to no tensor`,
      );
    cursor = e.end;
  }
  if (cursor !== dataLen) fail(`bytes ${cursor}..${dataLen} of the data section belong to no tensor`);
  const backend = resolveBackend(opts.backend);
  const hosts = entries.map((e) => {
    const at = `${JSON.stringify(e.name)}`;
    const dtype = TARGET[e.source];
    checkLoadable(backend, dtype, e.shape, at);
    const host = hostArray(buf.subarray(dataStart + e.begin, dataStart + e.end), e.source);
    if (!ArrayBuffer.isView(host)) fail(overflowMessage(at, host));
    return { host, dtype };
  });
  const made = allocateAll(hosts, (h, i) => fromHost(h.host, entries[i]!.shape, { dtype: h.dtype, backend }));
  const tensors: Record<string, Tensor> = {};
  entries.forEach((e, i) => {
    Object.defineProperty(tensors, e.name, {
      value: made[i],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  });
  return { tensors, metadata };
}

/** The tensors of a safetensors save: `obj`'s own keys in order, each a tensor (checked). */
export function safetensorsEntries(obj: unknown, metadata: unknown): [string, Tensor][] {
  if (
    !isPlain(obj) ||
    obj instanceof Tensor ||
    (Object.getPrototypeOf(obj) !== Object.prototype && Object.getPrototypeOf(obj) !== null)
  )
    throw new TypeError(
      'torch.save: a safetensors file holds a flat object of tensors ({ name: tensor, ... })',
    );
  if (metadata !== undefined) {
    if (!isPlain(metadata)) throw new TypeError('torch.save: safetensors metadata is an object of strings');
    for (const k of Object.keys(metadata))
      if (typeof metadata[k] !== 'string')
        throw new TypeError(
          `torch.save: safetensors metadata[${JSON.stringify(k)}] is a ${typeof metadata[k]}, not a string`,
        );
  }
  return Object.keys(obj).map((name) => {
    const t = obj[name];
    if (name === '__metadata__')
      throw new TypeError(
        "torch.save: '__metadata__' is safetensors' own key; pass metadata as { metadata }",
      );
    if (!(t instanceof Tensor))
      throw new TypeError(
        `torch.save: a safetensors file holds only tensors, but obj[${JSON.stringify(name)}] is ${t === null ? 'null' : typeof t}`,
      );
    if (t.isDisposed)
      throw new TypeError(
        `torch.save: the tensor at obj[${JSON.stringify(name)}] was used after ${t._goneWhy}`,
      );
    const n = t.numel();
    if (n > MAX_ELEMENTS)
      throw rules.tooManyElements('torch.save', `the tensor at obj[${JSON.stringify(name)}]`, t.shape, n);
    return [name, t];
  });
}

/** The safetensors file of `entries` with their row-major data `datas`. */
export function assembleSafetensors(
  entries: readonly [string, Tensor][],
  datas: readonly TypedArray[],
  metadata?: Record<string, string>,
): Uint8Array {
  const order = entries.map((_e, i) => i);
  order.sort(
    (a, b) => bytesPerElement(entries[b]![1].dtype) - bytesPerElement(entries[a]![1].dtype) || a - b,
  );
  const begins = new Array<number>(entries.length);
  let at = 0;
  for (const i of order) {
    begins[i] = at;
    at += datas[i]!.byteLength;
  }
  const parts: string[] = [];
  if (metadata) {
    const m = Object.keys(metadata).map((k) => `${JSON.stringify(k)}:${JSON.stringify(metadata[k])}`);
    parts.push(`"__metadata__":{${m.join(',')}}`);
  }
  entries.forEach(([name, t], i) => {
    const info = {
      dtype: CODE[t.dtype],
      shape: [...t.shape],
      data_offsets: [begins[i], begins[i]! + datas[i]!.byteLength],
    };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(info)}`);
  });
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded > MAX_HEADER_BYTES)
    throw new CheckpointError(
      `torch.save: a safetensors header of ${padded} bytes exceeds the ${MAX_HEADER_BYTES} allowed`,
    );
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + at);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 8);
  entries.forEach((_e, i) => {
    const d = datas[i]!;
    const start = 8 + header.length + begins[i]!;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), start);
    if (!hostIsLittleEndian) swapBytes(out.subarray(start, start + d.byteLength), d.BYTES_PER_ELEMENT);
  });
  return out;
}
