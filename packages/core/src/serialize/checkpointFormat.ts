/**
 * The stepwise checkpoint format (version 1), written by `torch.save` and read by
 * `torch.load`. Safetensors-like: a JSON header, then raw little-endian tensor bytes.
 *
 *   offset 0   8 bytes   magic: ASCII "STEPWISE"
 *   offset 8   u32 LE    format version (1)
 *   offset 12  u32 LE    header length H in bytes
 *   offset 16  H bytes   header: UTF-8 JSON (below)
 *   16 + H     ...       data: every tensor's elements, row-major, little-endian
 *                        (float32, float64, int32: IEEE / two's complement; bool: one
 *                        byte 0 or 1), each starting at a multiple of 8 bytes
 *
 * Header: `{ "tensors": [ { "dtype", "shape", "offset", "bytes", "requiresGrad" } ],
 * "root": value }`, offsets counted from the start of the data section. A value is JSON
 * with tagged objects so that nothing a user stores can be mistaken for a tag:
 *   - numbers, strings, booleans, null, arrays: as JSON;
 *   - a plain object: `{ "$object": { ...entries } }`;
 *   - a tensor: `{ "$tensor": i }` (an index into `tensors`; a tensor stored twice is
 *     written once and loads as one tensor, as PyTorch preserves sharing);
 *   - NaN, ±Infinity, -0 (which JSON cannot hold): `{ "$number": "nan" | "inf" | "-inf" | "-0" }`;
 *   - undefined: `{ "$undefined": true }`.
 *
 * Readers reject: a wrong magic, a newer version, a header or tensor outside the input,
 * sizes that do not match shape × dtype, tensors whose byte ranges overlap, `requiresGrad`
 * on a non-float tensor, unknown tags, object keys `__proto__`, `constructor` and
 * `prototype`, and nesting deeper than `MAX_DEPTH`. The writer refuses the same values
 * (forbidden keys, nesting, tensors of more than `MAX_ELEMENTS` elements) with the same
 * `CheckpointError` message, so what `torch.save` writes `torch.load` reads.
 *
 * Why overlapping ranges are refused rather than loaded as shared storage: the writer
 * never produces them (a tensor stored twice is written once and referenced twice), so
 * they only come from a crafted or corrupted file; refusing them bounds what a load
 * allocates by the size of the data section (2,048 entries aliasing one 1 MiB range
 * would otherwise allocate 2 GiB from a 1.2 MB file), and no loaded tensor silently
 * writes through to another.
 */
export const MAGIC = 'STEPWISE';
export const FORMAT_VERSION = 1;
export const PREAMBLE_BYTES = 16;
export const ALIGN = 8;
export const MAX_DEPTH = 256;
/** The most elements one stored tensor may have (int32, stepwise's index dtype, addresses them). */
export const MAX_ELEMENTS = 2 ** 31 - 1;
/** Object keys neither side accepts: they would reach or replace a prototype when rebuilt. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** A header's description of one tensor. */
export interface TensorEntry {
  dtype: string;
  shape: number[];
  offset: number;
  bytes: number;
  requiresGrad?: boolean;
}

/** True on little-endian hosts (every current browser and Node platform); others byte-swap. */
export const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `width`-byte element, in place (big-endian hosts only). */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** A malformed, truncated or hostile checkpoint, or a value the format cannot hold. */
export class CheckpointError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'CheckpointError';
}

/**
 * The messages of the rules both sides enforce, so `torch.save` refuses with the words
 * `torch.load` would use (`who` is `torch.save` or `torch.load`, `path` where in the value).
 */
export const rules = {
  tooDeep: (who: string, path: string) =>
    new CheckpointError(`${who}: ${path} is nested deeper than ${MAX_DEPTH} levels`),
  forbiddenKey: (who: string, path: string, key: string) =>
    new CheckpointError(
      `${who}: ${path} has the forbidden key '${key}' (__proto__, constructor and prototype are refused: rebuilt, they would reach a prototype)`,
    ),
  tooManyElements: (who: string, what: string, shape: readonly number[], n: number) =>
    new CheckpointError(
      `${who}: ${what} [${shape.join(', ')}] has ${n} elements, more than the ${MAX_ELEMENTS} (2^31 - 1) a checkpoint holds`,
    ),
};
