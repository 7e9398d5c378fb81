/**
 * Errors of the WebGPU backend. Each extends core's `BackendError` (what went wrong was the
 * backend's, not the caller's shapes or dtypes) and names what failed, so a lost device or an
 * out-of-memory surfaces as a readable error at the next `await`, never as a hang.
 */
import { BackendError, OutOfMemoryError } from '@stepwise/core';

/** The GPU device was lost (driver reset, `destroy()`, tab backgrounded too long, ...). */
export class WebGPUDeviceLostError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override readonly name = 'WebGPUDeviceLostError';
  constructor(
    /** Why the device was lost, as the device reported it. */
    readonly reason: string,
    detail: string,
  ) {
    super(`webgpu: the GPU device was lost (${reason}): ${detail}`);
  }
}

/**
 * A buffer could not be allocated: too large for the device's limits, or out of memory.
 * Core's `OutOfMemoryError`, as every backend throws, under the name this package had.
 */
export class WebGPUOutOfMemoryError extends OutOfMemoryError {
  /** The error class's name, as `error.name` reports it. */
  override readonly name = 'WebGPUOutOfMemoryError';
}

/** WebGPU is not available here (no `navigator.gpu`, no `webgpu` package, no adapter). */
export class WebGPUUnavailableError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override readonly name = 'WebGPUUnavailableError';
}

/** A validation or internal error reported by the WebGPU implementation. */
export class WebGPUInternalError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override readonly name = 'WebGPUInternalError';
}
