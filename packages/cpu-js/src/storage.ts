import type { DType, Storage, TypedArray } from '@stepwise/core';

/**
 * cpu-js storage: a typed array of the dtype's kind (float32 → Float32Array, float64 →
 * Float64Array, int32 → Int32Array, bool → Uint8Array holding 0/1). No PyTorch
 * equivalent is public; it plays the part of a CPU `at::Storage`.
 */
export class CpuStorage implements Storage {
  /** Dropped (replaced by an empty array) on `free`, so the memory can be collected. */
  data: TypedArray;
  /** Whether the storage was freed. */
  freed = false;
  constructor(
    /** The element type. */
    readonly dtype: DType,
    /** Number of elements. */
    readonly size: number,
    data: TypedArray,
  ) {
    this.data = data;
  }
}

/** The typed array behind a storage this backend allocated (core guarantees the origin). */
export function dataOf(s: Storage): TypedArray {
  return (s as CpuStorage).data;
}
