/**
 * The IDX file format (LeCun's MNIST format; torchvision's `read_sn3_pascalvincent_tensor`):
 * a 4-byte magic number `0x00 0x00 <type> <ndim>`, then `ndim` big-endian uint32 sizes,
 * then the values, big-endian, row-major. Every size is checked against the file's length
 * before anything is allocated, so a corrupt header can never ask for more memory than the
 * file itself implies.
 */
import { IdxFormatError } from '../errors.js';

/** The element types an IDX file can hold, by their type byte. */
const IDX_TYPES = {
  8: { dtype: 'uint8', size: 1 },
  9: { dtype: 'int8', size: 1 },
  11: { dtype: 'int16', size: 2 },
  12: { dtype: 'int32', size: 4 },
  13: { dtype: 'float32', size: 4 },
  14: { dtype: 'float64', size: 8 },
} as const;

/** The element type of an IDX file. */
export type IdxDType = (typeof IDX_TYPES)[keyof typeof IDX_TYPES]['dtype'];

/** The values of an IDX file: a flat row-major array and its sizes (torchvision gets a tensor). */
export interface IdxArray {
  /** The element type of the IDX file. */
  readonly dtype: IdxDType;
  /** The size of each dimension. */
  readonly shape: readonly number[];
  /** `uint8` data is a view of the input bytes (no copy); other types are decoded from big-endian. */
  readonly data: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

/** IDX magic number of MNIST's image files: uint8, 3 dimensions (count, rows, columns). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** IDX magic number of MNIST's label files: uint8, 1 dimension (count). */
export const IDX_LABELS_MAGIC = 0x00000801;

function hex(n: number): string {
  return `0x${(n >>> 0).toString(16).padStart(8, '0')}`;
}

function describeMagic(magic: number): string {
  const type = IDX_TYPES[((magic >>> 8) & 0xff) as keyof typeof IDX_TYPES];
  const nd = magic & 0xff;
  return `${hex(magic)} (${type ? type.dtype : 'unknown type'}, ${nd} dimension${nd === 1 ? '' : 's'})`;
}

/** Options of `parseIdx`. */
export interface ParseIdxOptions {
  /** Names the file in error messages. Default `'IDX data'`. */
  name?: string;
  /** The magic number the file must have (e.g. `IDX_IMAGES_MAGIC`); any valid one if absent. */
  magic?: number;
}

/**
 * Parses an (uncompressed) IDX file exactly as torchvision's `read_sn3_pascalvincent_tensor`
 * with `strict=True`: the file must hold the header and exactly the number of values its
 * sizes promise, no more, no less. Throws `IdxFormatError` naming the file, the expected and
 * the actual byte counts otherwise.
 */
export function parseIdx(bytes: Uint8Array, opts: ParseIdxOptions = {}): IdxArray {
  const name = opts.name ?? 'IDX data';
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `${name}: parseIdx expects a Uint8Array, got ${Object.prototype.toString.call(bytes)}`,
    );
  }
  if (bytes.length < 4) {
    throw new IdxFormatError(
      `${name}: expected at least 4 bytes (the IDX magic number), the file has ${bytes.length} bytes`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const typeByte = bytes[2]!;
  const ndim = bytes[3]!;
  const type = IDX_TYPES[typeByte as keyof typeof IDX_TYPES];
  if (bytes[0] !== 0 || bytes[1] !== 0 || !type) {
    throw new IdxFormatError(
      `${name}: not an IDX file: magic number ${hex(magic)}` +
        (opts.magic !== undefined ? `, expected ${describeMagic(opts.magic)}` : '') +
        ' (IDX files start with two zero bytes, a type byte 0x08/0x09/0x0b/0x0c/0x0d/0x0e and the number of dimensions)',
    );
  }
  if (opts.magic !== undefined && magic !== opts.magic) {
    throw new IdxFormatError(
      `${name}: IDX magic number ${describeMagic(magic)}, expected ${describeMagic(opts.magic)}`,
    );
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new IdxFormatError(
      `${name}: truncated header: expected ${headerBytes} bytes for the magic number and ${ndim} sizes, the file has ${bytes.length} bytes`,
    );
  }
  const shape: number[] = [];
  let count = 1n;
  for (let d = 0; d < ndim; d++) {
    const n = view.getUint32(4 + 4 * d, false);
    shape.push(n);
    count *= BigInt(n);
  }
  const expected = BigInt(headerBytes) + count * BigInt(type.size);
  if (expected !== BigInt(bytes.length)) {
    const dims = shape.length ? shape.join(' × ') : '1';
    const what =
      expected > BigInt(bytes.length) ? 'truncated' : `${BigInt(bytes.length) - expected} trailing bytes`;
    throw new IdxFormatError(
      `${name}: expected ${expected} bytes (${headerBytes} header bytes and ${dims} ${type.dtype} values), the file has ${bytes.length} bytes (${what})`,
    );
  }
  // From here on the sizes are those of the bytes we hold, so every allocation is bounded by them.
  const n = Number(count);
  const at = bytes.byteOffset + headerBytes;
  switch (type.dtype) {
    case 'uint8':
      return { dtype: 'uint8', shape, data: bytes.subarray(headerBytes) };
    case 'int8':
      return { dtype: 'int8', shape, data: new Int8Array(bytes.buffer, at, n).slice() };
    default: {
      const out =
        type.dtype === 'int16'
          ? new Int16Array(n)
          : type.dtype === 'int32'
            ? new Int32Array(n)
            : type.dtype === 'float32'
              ? new Float32Array(n)
              : new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const o = headerBytes + i * type.size;
        out[i] =
          type.dtype === 'int16'
            ? view.getInt16(o, false)
            : type.dtype === 'int32'
              ? view.getInt32(o, false)
              : type.dtype === 'float32'
                ? view.getFloat32(o, false)
                : view.getFloat64(o, false);
      }
      return { dtype: type.dtype, shape, data: out };
    }
  }
}

/**
 * Writes an IDX file (uint8 values only), the inverse of `parseIdx` for MNIST-style data:
 * handy for tests and for saving a subset in the format every MNIST reader takes.
 */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (shape.some((s) => !Number.isInteger(s) || s < 0 || s > 0xffffffff) || shape.length > 255) {
    throw new RangeError(
      `encodeIdx: sizes must be integers in [0, 2^32), at most 255 of them; got [${shape.join(', ')}]`,
    );
  }
  if (data.length !== n) {
    throw new RangeError(
      `encodeIdx: shape [${shape.join(', ')}] holds ${n} values, the data has ${data.length}`,
    );
  }
  const out = new Uint8Array(4 + 4 * shape.length + n);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0x0800 | shape.length, false);
  shape.forEach((s, d) => {
    view.setUint32(4 + 4 * d, s, false);
  });
  out.set(data, 4 + 4 * shape.length);
  return out;
}
