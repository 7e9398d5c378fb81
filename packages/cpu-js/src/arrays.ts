import type { DType, TypedArray } from '@stepwise/core';

/** A zero-filled typed array of the dtype's kind. */
export function newArray(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
    default:
      throw new TypeError(`cpu-js: unsupported dtype '${String(dtype)}'`);
  }
}

/** Shared zero-length arrays that freed storages point at. */
export const EMPTY: Record<DType, TypedArray> = {
  float32: new Float32Array(0),
  float64: new Float64Array(0),
  int32: new Int32Array(0),
  bool: new Uint8Array(0),
};
