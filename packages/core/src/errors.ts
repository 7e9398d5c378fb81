/**
 * Error classes. Messages name the offending shape, dtype, key or parameter, the way
 * PyTorch's do; the class tells callers what kind of mistake it was.
 */

/** A shape that does not fit (PyTorch raises RuntimeError for these). */
export class ShapeError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'ShapeError';
}

/** A dtype that an op or a backend cannot take. */
export class DTypeError extends TypeError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'DTypeError';
}

/** Use of a tensor after `dispose()`. */
export class DisposedTensorError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'DisposedTensorError';
}

/** Autograd misuse: backward twice without retainGraph, in-place on a leaf, version mismatch. */
export class AutogradError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'AutogradError';
}

/**
 * Tensors of different backends in one op, an unknown backend name, or a failure inside a
 * backend. Every backend's own errors extend it.
 */
export class BackendError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'BackendError';
}

/**
 * An allocation that a backend cannot serve: memory is exhausted, or one tensor is past what
 * the backend can hold (PyTorch's `torch.OutOfMemoryError`). Every backend throws this class
 * or a subclass of it (`WasmOutOfMemoryError`, `WebGPUOutOfMemoryError`), so one
 * `e instanceof OutOfMemoryError` catches them all; the message names the dtype, the element
 * count and the bytes at fault, and whether disposing tensors can help.
 */
export class OutOfMemoryError extends BackendError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'OutOfMemoryError';
}

/** A value the caller passed that is out of range or of the wrong kind. */
export class ValueError extends Error {
  /** The error class's name, as `error.name` reports it. */
  override name = 'ValueError';
}

/** A shape as PyTorch prints it in messages: `[2, 3]`. */
export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
