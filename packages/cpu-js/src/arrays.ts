import { type DType, type TypedArray, typedArrayFor } from '@stepwise/core';

/** A zero-filled typed array of the dtype's kind (core's mapping, so the two never disagree). */
export const newArray: (dtype: DType, size: number) => TypedArray = typedArrayFor;

/** Shared zero-length arrays that freed storages point at. */
export const EMPTY: Record<DType, TypedArray> = {
  float32: new Float32Array(0),
  float64: new Float64Array(0),
  int32: new Int32Array(0),
  bool: new Uint8Array(0),
};
