/** The WebGPU backend's storage: a pooled GPU buffer holding `size` 32-bit elements. */
import type { DType, Storage } from '@stepwise/core';
import type { PooledBuffer } from './pool.js';

/**
 * float32 is stored as f32, int32 as i32, and bool as i32 0/1 (WGSL has no 8-bit storage
 * type; one word per element keeps every kernel's indexing the same).
 */
export class GpuStorage implements Storage {
  freed = false;
  /**
   * The host values of a small int32 storage as last written from the host, until a kernel
   * writes it. Index tensors usually come from host data: this lets the indexing kernels
   * reject an out-of-range index at the call, as PyTorch does, without a read-back.
   */
  host: Int32Array | null = null;
  /** Reused buffer whose zero-fill is still owed (see `WebGPUBackend.alloc`). */
  dirty = false;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    readonly buf: PooledBuffer,
  ) {}
}

/** The WGSL scalar type that stores a dtype. */
export function wgslType(d: DType): 'f32' | 'i32' {
  return d === 'float32' ? 'f32' : 'i32';
}
