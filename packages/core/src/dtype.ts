/**
 * dtypes and PyTorch's type promotion, restricted to the four stepwise stores.
 * PyTorch's int64 (`torch.long`) maps to int32 here: JS has no fast 64-bit integer
 * arrays, and indices beyond 2^31 do not fit a browser's memory anyway.
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

/** Typed arrays used to move data between host and device, one per dtype. */
export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Every dtype, in the order backends list them. */
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Whether `d` is a floating-point dtype (float32 or float64). */
export function isFloat(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

/** Bytes one element of `d` takes in storage. */
export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'bool' ? 1 : 4;
}

/** The typed array that holds one dtype on the host. */
export function typedArrayFor(d: DType, size: number): TypedArray {
  switch (d) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
  }
}

let defaultFloat: 'float32' | 'float64' = 'float32';

/**
 * `torch.set_default_dtype(d)`: the float dtype that creation functions give when no dtype
 * is named (JS numbers, `zeros`, `rand`, ...), that integer tensors become when an op needs
 * a float (a fractional JS number, `mean`, `sqrt`, true division), and that new layers'
 * parameters take. float32 unless set; only float32 and float64 are accepted, as PyTorch.
 */
export function setDefaultDtype(d: DType): void {
  if (d !== 'float32' && d !== 'float64') {
    throw new TypeError(
      `only floating-point types are supported as the default type (float32, float64), got ${String(d)}`,
    );
  }
  defaultFloat = d;
}

/** `torch.get_default_dtype()`: float32 unless `setDefaultDtype` changed it. */
export function getDefaultDtype(): 'float32' | 'float64' {
  return defaultFloat;
}

const rank: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/** PyTorch's promotion of two tensor dtypes (both dimensioned, or both 0-dim). */
export function promoteTypes(a: DType, b: DType): DType {
  return rank[a] >= rank[b] ? a : b;
}

/**
 * The result dtype of `t op number`: a JS number keeps the tensor's dtype, except that a
 * non-integer number lifts a bool/int tensor to the default float dtype (float32 unless
 * `setDefaultDtype` says otherwise), and an integer lifts bool to int32 — as PyTorch does
 * for Python floats and ints.
 */
export function promoteWithScalar(t: DType, value: number): DType {
  if (isFloat(t)) return t;
  if (!Number.isInteger(value)) return defaultFloat;
  return t === 'bool' ? 'int32' : t;
}

export function assertDType(d: unknown, what = 'dtype'): DType {
  if (typeof d === 'string' && (DTYPES as readonly string[]).includes(d)) return d as DType;
  throw new TypeError(`${what} must be one of ${DTYPES.join(', ')}, got ${String(d)}`);
}
