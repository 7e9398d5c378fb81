/**
 * Error classes. Messages name the offending shape, dtype, key or parameter, the way
 * PyTorch's do; the class tells callers what kind of mistake it was.
 */

/** A shape that does not fit (PyTorch raises RuntimeError for these). */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

/** A dtype that an op or a backend cannot take. */
export class DTypeError extends TypeError {
  override name = 'DTypeError';
}

/** Use of a tensor after `dispose()`. */
export class DisposedTensorError extends Error {
  override name = 'DisposedTensorError';
}

/** Autograd misuse: backward twice without retainGraph, in-place on a leaf, version mismatch. */
export class AutogradError extends Error {
  override name = 'AutogradError';
}

/** Tensors of different backends in one op, or an unknown backend name. */
export class BackendError extends Error {
  override name = 'BackendError';
}

/** A value the caller passed that is out of range or of the wrong kind. */
export class ValueError extends Error {
  override name = 'ValueError';
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}
