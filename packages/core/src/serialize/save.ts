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
import { assemblePt, planPt, readStorages, readStoragesSync } from './pytorch/ptSave.js';
import { assembleSafetensors, safetensorsEntries } from './safetensors.js';

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

/** The formats `torch.save` writes. */
export type CheckpointFormat = 'stepwise' | 'pt' | 'safetensors';

/** `torch.save` / `saveFile` options. */
export interface SaveOptions {
  /**
   * `'stepwise'` (the default: stepwise's own format, `checkpointFormat.ts`), `'pt'`
   * (PyTorch's zip format, `pytorch/ptSave.ts`) or `'safetensors'` (a flat object of
   * tensors). With a path and no format, the extension picks: `.pt`/`.pth` → pt,
   * `.safetensors` → safetensors, anything else → stepwise.
   */
  format?: CheckpointFormat;
  /** safetensors only: the header's `__metadata__`, an object of strings. */
  metadata?: Record<string, string>;
}

const FORMATS: readonly CheckpointFormat[] = ['stepwise', 'pt', 'safetensors'];

/** The format a path's extension asks for (see `SaveOptions.format`). */
export function formatForPath(path: string): CheckpointFormat {
  const p = path.toLowerCase();
  if (p.endsWith('.pt') || p.endsWith('.pth')) return 'pt';
  if (p.endsWith('.safetensors')) return 'safetensors';
  return 'stepwise';
}

/** The options in force: `opts` checked, the format from the path's extension when not given. */
export function resolveSaveOptions(
  opts: SaveOptions | undefined,
  path?: string,
): Required<Pick<SaveOptions, 'format'>> & SaveOptions {
  if (opts !== undefined && (opts === null || typeof opts !== 'object'))
    throw new TypeError(`torch.save: options must be an object, got ${opts === null ? 'null' : typeof opts}`);
  const o = opts ?? {};
  for (const k of Object.keys(o))
    if (k !== 'format' && k !== 'metadata')
      throw new TypeError(`torch.save: unknown option '${k}' (format, metadata)`);
  const format = o.format ?? (path === undefined ? 'stepwise' : formatForPath(path));
  if (!FORMATS.includes(format))
    throw new TypeError(
      `torch.save: unknown format ${JSON.stringify(format)} (${FORMATS.map((f) => `'${f}'`).join(', ')})`,
    );
  if (o.metadata !== undefined && format !== 'safetensors')
    throw new TypeError(`torch.save: metadata is written by the 'safetensors' format only, not '${format}'`);
  return { ...o, format };
}

/** The folder PyTorch names a .pt file's records with: the file's stem, or `archive` for bytes. */
export function ptFolder(path?: string): string {
  if (path === undefined) return 'archive';
  const base = path.split(/[\\/]/).pop() ?? '';
  const dot = base.lastIndexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem || 'archive';
}

function checkSyncReads(list: readonly Tensor[]): void {
  for (const t of list) {
    if (!t.backend.syncReads) {
      throw new TypeError(
        `torch.save: a tensor is on '${t.backend.name}', which cannot be read synchronously; use \`await torch.saveAsync(obj, ...)\``,
      );
    }
  }
}

/** @internal The bytes of `obj` in the (resolved) format, reading tensors synchronously. */
export function encodeSync(
  obj: unknown,
  opts: SaveOptions & { format: CheckpointFormat },
  folder?: string,
): Uint8Array {
  if (opts.format === 'pt') {
    const plan = planPt(obj);
    return assemblePt(plan, readStoragesSync(plan), folder);
  }
  if (opts.format === 'safetensors') {
    const entries = safetensorsEntries(obj, opts.metadata);
    checkSyncReads(entries.map((e) => e[1]));
    return assembleSafetensors(
      entries,
      entries.map((e) => e[1].dataSync()),
      opts.metadata,
    );
  }
  const tensors = new Map<Tensor, number>();
  const root = encode(obj, 'obj', tensors, new Set(), 0);
  const list = [...tensors.keys()];
  checkSyncReads(list);
  return assemble(
    root,
    list,
    list.map((t) => t.dataSync()),
  );
}

/** @internal `encodeSync` for every backend: reads tensors with `await`. */
export async function encodeAsync(
  obj: unknown,
  opts: SaveOptions & { format: CheckpointFormat },
  folder?: string,
): Promise<Uint8Array> {
  if (opts.format === 'pt') {
    const plan = planPt(obj);
    return assemblePt(plan, await readStorages(plan), folder);
  }
  if (opts.format === 'safetensors') {
    const entries = safetensorsEntries(obj, opts.metadata);
    const datas = await Promise.all(entries.map((e) => e[1].data()));
    return assembleSafetensors(entries, datas, opts.metadata);
  }
  const tensors = new Map<Tensor, number>();
  const root = encode(obj, 'obj', tensors, new Set(), 0);
  const list = [...tensors.keys()];
  const datas = await Promise.all(list.map((t) => t.data()));
  return assemble(root, list, datas);
}

interface NodeFs {
  openSync(path: string, flags: string): number;
  writeSync(fd: number, data: Uint8Array, offset: number, length: number): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

/**
 * Writes `bytes` to `path` atomically (a temporary beside it, flushed, then renamed over
 * it), with Node's `fs` reached through `process.getBuiltinModule` so that core stays free
 * of Node imports (Node >= 20.16). `saveFile` of `@stepwise/core/node` does the same with
 * the clean-up of temporaries that killed saves left.
 */
function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const proc = (globalThis as { process?: { getBuiltinModule?: (m: string) => unknown; pid?: number } })
    .process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs)
    throw new TypeError(
      'torch.save(obj, path) writes files in Node (>= 20.16) only; elsewhere save to bytes with torch.save(obj, { format }) and store them yourself',
    );
  const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  const rand = [...crypto.getRandomValues(new Uint8Array(6))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  const tmp = `${path.slice(0, slash + 1)}.${path.slice(slash + 1)}.${proc?.pid ?? 0}.${rand}.tmp`;
  const fd = fs.openSync(tmp, 'wx');
  try {
    for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at, bytes.length - at);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fs.renameSync(tmp, path);
  } catch (e) {
    try {
      fs.closeSync(fd);
    } catch {
      // closed already
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // gone already
    }
    throw e;
  }
}

/**
 * `torch.save(obj)`: any nesting of plain objects, arrays, numbers, strings, booleans,
 * null and tensors (model, optimizer and scheduler state dicts together) → bytes, in
 * stepwise's format (`checkpointFormat.ts`) or with `{ format: 'pt' }` PyTorch's, with
 * `{ format: 'safetensors', metadata }` a safetensors file of a flat object of tensors.
 * `torch.save(obj, path, opts?)` writes the file instead (Node; the format from `opts` or
 * the path's extension, see `SaveOptions`). Synchronous, so it needs backends with
 * synchronous reads; on webgpu use `await torch.saveAsync(...)`.
 */
export function save(obj: unknown, opts?: SaveOptions): Uint8Array;
export function save(obj: unknown, path: string, opts?: SaveOptions): void;
export function save(
  obj: unknown,
  pathOrOpts?: string | SaveOptions,
  opts?: SaveOptions,
): Uint8Array | undefined {
  if (typeof pathOrOpts === 'string') {
    writeFileAtomic(pathOrOpts, encodeSync(obj, resolveSaveOptions(opts, pathOrOpts), ptFolder(pathOrOpts)));
    return undefined;
  }
  return encodeSync(obj, resolveSaveOptions(pathOrOpts));
}

/** `torch.save` for every backend (webgpu included): reads tensors with `await t.data()`. */
export function saveAsync(obj: unknown, opts?: SaveOptions): Promise<Uint8Array>;
export function saveAsync(obj: unknown, path: string, opts?: SaveOptions): Promise<undefined>;
export async function saveAsync(
  obj: unknown,
  pathOrOpts?: string | SaveOptions,
  opts?: SaveOptions,
): Promise<Uint8Array | undefined> {
  if (typeof pathOrOpts === 'string') {
    writeFileAtomic(
      pathOrOpts,
      await encodeAsync(obj, resolveSaveOptions(opts, pathOrOpts), ptFolder(pathOrOpts)),
    );
    return undefined;
  }
  return encodeAsync(obj, resolveSaveOptions(pathOrOpts));
}
