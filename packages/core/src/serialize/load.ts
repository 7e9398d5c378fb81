import type { Backend } from '../backend.js';
import { bytesPerElement, DTYPES, type DType, isFloat, typedArrayFor } from '../dtype.js';
import { fromHost } from '../ops/creation.js';
import { checkDTypeSupported } from '../ops/util.js';
import { resolveBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { checkTensorSize } from '../tensorSize.js';
import {
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
import { loadPt } from './pytorch/ptLoad.js';
import { loadSafetensors, looksLikeSafetensors } from './safetensors.js';

function fail(msg: string): never {
  throw new CheckpointError(`torch.load: ${msg}`);
}

function isPlain(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function checkEntries(raw: unknown, dataBytes: number): TensorEntry[] {
  if (!Array.isArray(raw)) fail("header field 'tensors' must be an array");
  return raw.map((e, i) => {
    if (!isPlain(e)) fail(`tensors[${i}] must be an object`);
    const { dtype, shape, offset, bytes } = e as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(DTYPES as readonly string[]).includes(dtype)) {
      fail(`tensors[${i}] has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || shape.length > 64)
      fail(`tensors[${i}].shape must be an array of at most 64 sizes`);
    let n = 1;
    for (const d of shape) {
      if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0)
        fail(`tensors[${i}].shape has an invalid size ${d}`);
      n *= d;
    }
    if (n > MAX_ELEMENTS) throw rules.tooManyElements('torch.load', `tensors[${i}]`, shape as number[], n);
    const want = n * bytesPerElement(dtype as DType);
    if (bytes !== want)
      fail(
        `tensors[${i}] declares ${bytes === undefined ? 'no' : String(bytes)} bytes, but ${dtype} [${shape.join(', ')}] needs ${want}`,
      );
    if (
      typeof offset !== 'number' ||
      !Number.isSafeInteger(offset) ||
      offset < 0 ||
      offset + want > dataBytes
    ) {
      fail(
        `tensors[${i}] lies outside the data section (offset ${String(offset)}, ${want} bytes, section of ${dataBytes})`,
      );
    }
    const requiresGrad = (e as Record<string, unknown>).requiresGrad;
    if (requiresGrad !== undefined && typeof requiresGrad !== 'boolean')
      fail(`tensors[${i}].requiresGrad must be a boolean, got ${JSON.stringify(requiresGrad)}`);
    if (requiresGrad && !isFloat(dtype as DType))
      fail(
        `tensors[${i}] (${dtype} [${shape.join(', ')}]) has requiresGrad: true, but only floating point tensors can require gradients`,
      );
    return { dtype, shape: shape as number[], offset, bytes: want, requiresGrad: requiresGrad === true };
  });
}

/**
 * Refuses overlapping byte ranges (see `checkpointFormat.ts` for why), which bounds the bytes a load
 * allocates for tensor data by the size of the data section.
 */
function checkDisjoint(entries: readonly TensorEntry[]): void {
  const order = entries
    .map((_e, i) => i)
    .filter((i) => entries[i]!.bytes > 0)
    .sort((a, b) => entries[a]!.offset - entries[b]!.offset || a - b);
  for (let k = 1; k < order.length; k++) {
    const prev = entries[order[k - 1]!]!;
    const cur = entries[order[k]!]!;
    if (cur.offset < prev.offset + prev.bytes) {
      fail(
        `tensors[${order[k]}] (bytes ${cur.offset}..${cur.offset + cur.bytes}) overlaps tensors[${order[k - 1]}] (bytes ${prev.offset}..${prev.offset + prev.bytes}); each tensor must have its own byte range`,
      );
    }
  }
}

/** Checks a decoded value completely (tags, keys, tensor indices, depth) before anything is built. */
function check(v: unknown, path: string, nTensors: number, depth: number): void {
  if (depth > MAX_DEPTH) throw rules.tooDeep('torch.load', path);
  if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) check(v[i], `${path}[${i}]`, nTensors, depth + 1);
    return;
  }
  if (!isPlain(v)) fail(`${path} has an unsupported value`);
  const keys = Object.keys(v);
  if (keys.length !== 1) fail(`${path} is an untagged object (keys: ${keys.slice(0, 5).join(', ')})`);
  const tag = keys[0]!;
  const x = v[tag];
  switch (tag) {
    case '$tensor':
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= nTensors) {
        fail(`${path} refers to tensor ${String(x)}, but the checkpoint has ${nTensors}`);
      }
      return;
    case '$number':
      if (x !== 'nan' && x !== 'inf' && x !== '-inf' && x !== '-0')
        fail(`${path} has an unknown $number ${String(x)}`);
      return;
    case '$undefined':
      return;
    case '$object':
      if (!isPlain(x)) fail(`${path}: $object must hold an object`);
      for (const k of Object.keys(x)) {
        if (FORBIDDEN_KEYS.has(k)) throw rules.forbiddenKey('torch.load', path, k);
        check(x[k], `${path}.${k}`, nTensors, depth + 1);
      }
      return;
    default:
      fail(`${path} has an unknown tag '${tag.slice(0, 40)}'`);
  }
}

function build(v: unknown, tensors: Tensor[]): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => build(x, tensors));
  const o = v as Record<string, any>;
  if ('$tensor' in o) return tensors[o.$tensor];
  if ('$number' in o) {
    return o.$number === 'nan'
      ? Number.NaN
      : o.$number === 'inf'
        ? Number.POSITIVE_INFINITY
        : o.$number === '-inf'
          ? Number.NEGATIVE_INFINITY
          : -0;
  }
  if ('$undefined' in o) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o.$object)) out[k] = build(o.$object[k], tensors);
  return out;
}

/** The file formats `torch.load` tells apart by their first bytes. */
export type DetectedFormat = 'stepwise' | 'pt' | 'safetensors' | 'pickle' | 'unknown';

/**
 * Which format `buf` is, from its first bytes: `STEPWISE`; a zip (`PK\x03\x04`, or
 * `PK\x05\x06` for an empty one) is PyTorch's .pt; a pickle's PROTO opcode (`\x80` and
 * protocol 2-5) at offset 0 is a legacy (pre-1.6) PyTorch file or a bare pickle; a
 * little-endian length below 2^32 followed by `{` is safetensors.
 */
export function detectFormat(buf: Uint8Array): DetectedFormat {
  if (buf.length >= MAGIC.length && [...MAGIC].every((c, i) => buf[i] === c.charCodeAt(0))) return 'stepwise';
  if (
    buf.length >= 4 &&
    buf[0] === 0x50 &&
    buf[1] === 0x4b &&
    ((buf[2] === 3 && buf[3] === 4) || (buf[2] === 5 && buf[3] === 6))
  )
    return 'pt';
  if (buf.length >= 2 && buf[0] === 0x80 && buf[1]! >= 2 && buf[1]! <= 5) return 'pickle';
  if (looksLikeSafetensors(buf)) return 'safetensors';
  return 'unknown';
}

/**
 * `torch.load(bytes, { backend })`: a checkpoint's object with its tensors created on
 * `backend` (default: the current default backend). Reads stepwise's own format (what
 * `torch.save(obj)` writes), PyTorch's .pt files (the zip format of PyTorch ≥ 1.6, see
 * `pytorch/ptLoad.ts`) and safetensors files (a flat object of tensors; its metadata via
 * `loadSafetensors`), told apart by their first bytes (`detectFormat`). The input is
 * checked completely before any tensor is created, so malformed, truncated or hostile
 * input is a `CheckpointError` and never a crash, a huge allocation, code run or a
 * polluted prototype. Allocation is bounded by the input's own size.
 */
export function load(bytes: Uint8Array | ArrayBuffer, opts: { backend?: string | Backend } = {}): any {
  const buf = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(buf instanceof Uint8Array)) fail(`expected a Uint8Array or ArrayBuffer, got ${typeof bytes}`);
  switch (detectFormat(buf)) {
    case 'pt':
      return loadPt(buf, opts);
    case 'safetensors':
      return loadSafetensors(buf, opts).tensors;
    case 'pickle':
      return fail(
        'this is a legacy PyTorch file (written before PyTorch 1.6, or with _use_new_zipfile_serialization=False) or a bare pickle, which stepwise does not read: re-save it in PyTorch >= 1.6 with torch.save(obj, f) (the zip format, the default)',
      );
    default:
      return loadStepwise(buf, opts);
  }
}

/** `torch.load` of stepwise's own format (`checkpointFormat.ts`). */
function loadStepwise(buf: Uint8Array, opts: { backend?: string | Backend }): any {
  if (buf.length < PREAMBLE_BYTES) fail(`input of ${buf.length} bytes is too short to be a checkpoint`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (buf[i] !== MAGIC.charCodeAt(i))
      fail('not a stepwise checkpoint (bad magic bytes), nor a PyTorch .pt (zip) or safetensors file');
  }
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION) {
    fail(
      version > FORMAT_VERSION
        ? `checkpoint format version ${version} is newer than this stepwise reads (${FORMAT_VERSION})`
        : `unknown checkpoint format version ${version}`,
    );
  }
  const headerLen = view.getUint32(12, true);
  if (headerLen > buf.length - PREAMBLE_BYTES) {
    fail(`header of ${headerLen} bytes runs past the end of the input (${buf.length} bytes): truncated?`);
  }
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder('utf-8', { fatal: true }).decode(
        buf.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerLen),
      ),
    );
  } catch (e) {
    fail(`the header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isPlain(header)) fail('the header must be a JSON object');
  const dataStart = PREAMBLE_BYTES + headerLen;
  const entries = checkEntries(header.tensors, buf.length - dataStart);
  checkDisjoint(entries);
  if (!('root' in header)) fail("the header has no 'root'");
  check(header.root, 'root', entries.length, 0);
  const backend = resolveBackend(opts.backend);
  // What the backend could refuse is asked before the first tensor exists, so a refusal
  // leaves nothing allocated.
  entries.forEach((e, i) => {
    try {
      checkDTypeSupported(backend, e.dtype as DType);
      checkTensorSize(e.shape, e.dtype as DType, backend, 'load');
    } catch (err) {
      fail(
        `tensors[${i}] (${e.dtype} [${e.shape.join(', ')}]) cannot be loaded onto '${backend.name}': ${(err as Error).message.replace(/^load: /, '')}`,
      );
    }
  });
  const tensors: Tensor[] = [];
  try {
    for (const e of entries) {
      const host = typedArrayFor(e.dtype as DType, e.bytes / bytesPerElement(e.dtype as DType));
      const raw = new Uint8Array(host.buffer);
      raw.set(buf.subarray(dataStart + e.offset, dataStart + e.offset + e.bytes));
      if (!hostIsLittleEndian) swapBytes(raw, bytesPerElement(e.dtype as DType));
      tensors.push(
        fromHost(host, e.shape, { dtype: e.dtype as DType, backend, requiresGrad: e.requiresGrad }),
      );
    }
  } catch (err) {
    for (const t of tensors) t.dispose();
    throw err;
  }
  return build(header.root, tensors);
}
