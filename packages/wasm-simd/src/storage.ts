import type { DType, Storage, View } from '@stepwise/core';
import { bytesPerElement } from '@stepwise/core';

/** A wasm-simd storage: a 64-byte aligned block of the backend's linear memory. */
export class WasmStorage implements Storage {
  /** Set by `free`; a freed storage must never reach a kernel again. */
  freed = false;
  constructor(
    readonly dtype: DType,
    readonly size: number,
    /** Byte offset of element 0 in the linear memory. */
    readonly ptr: number,
    /** Bytes requested (size * bytes per element); the heap rounds the block up to 64. */
    readonly bytes: number,
  ) {}
}

/** The wasm-simd storage behind a core `Storage` (core only hands a backend its own). */
export function ws(s: Storage): WasmStorage {
  return s as WasmStorage;
}

/** Byte offset of a view's first element. */
export function viewPtr(v: View): number {
  return ws(v.storage).ptr + v.offset * bytesPerElement(v.storage.dtype);
}
