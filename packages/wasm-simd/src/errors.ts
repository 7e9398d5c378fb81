/**
 * Errors of the wasm-simd backend. Each extends core's `BackendError` (what went wrong was
 * the backend's, not the caller's shapes or dtypes) and names what failed and what would help.
 */
import { BackendError, OutOfMemoryError } from '@stepwise/core';

/**
 * An allocation that cannot be served: a tensor past the backend's limits (the message says
 * disposing will not help), or a heap that is full and cannot grow (it names the bytes in use).
 * Core's `OutOfMemoryError`, as every backend throws, under the name this package had.
 */
export class WasmOutOfMemoryError extends OutOfMemoryError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'WasmOutOfMemoryError';
}

/** The JS engine cannot run WebAssembly SIMD128; the message names cpu-js as the fallback. */
export class WasmSimdUnsupportedError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'WasmSimdUnsupportedError';
  constructor(detail: string) {
    super(
      `wasm-simd: this JavaScript engine cannot run WebAssembly SIMD128 (${detail}); ` +
        "use '@stepwise/cpu-js/register' instead",
    );
  }
}

/** A worker died in the middle of a parallel kernel: the call's result is lost. */
export class WasmWorkerError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'WasmWorkerError';
}
