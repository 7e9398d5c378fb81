/**
 * The size rules every new tensor obeys, checked once in core before a backend is asked for
 * storage, so an impossible size is one clear error naming the shape, element count, bytes
 * and limit, the same on every backend — never a raw `RangeError` from a typed array, a
 * silently huge reservation, or a backend's out-of-memory message.
 *
 *  - every size is a non-negative integer (a `ShapeError`, PyTorch's "negative dimension");
 *  - the element count is at most `MAX_TENSOR_ELEMENTS` = 2^31 - 1. Why: int32 is
 *    stepwise's index dtype (it stands for PyTorch's int64, see `dtype.ts`), so `argmax`,
 *    indices and counts (`sum` of a bool tensor) of a larger tensor would wrap silently —
 *    on cpu-js `torch.ones([2 ** 31 + 2], { dtype: 'bool' }).sum()` gave -2147483646
 *    while `zeros([2 ** 31])` "succeeded" by reserving 8 GiB of address space;
 *  - the bytes (elements × bytes per element) are at most the backend's own
 *    `maxTensorBytes`, where it declares one (wasm32's 4 GiB, a GPU's largest buffer).
 */
import type { Backend } from './backend.js';
import { bytesPerElement, type DType } from './dtype.js';
import { ShapeError, shapeStr } from './errors.js';

/** The most elements one tensor may have: every element must be addressable by an int32 index. */
export const MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;

/**
 * A tensor size that is not a size, or one larger than a tensor (or this backend) can hold.
 * A `RangeError`, as the engine's own "Invalid typed array length" was, so code that
 * caught that still does; `name` is `'TensorSizeError'`.
 */
export class TensorSizeError extends RangeError {
  /** The error class's name, as `error.name` reports it. */
  override name = 'TensorSizeError';
}

function sizeStr(shape: readonly unknown[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : (JSON.stringify(d) ?? String(d)))).join(', ')}]`;
}

/**
 * Checks that `shape` holds non-negative integer sizes (else a `ShapeError`) and at most `MAX_TENSOR_ELEMENTS`
 * elements; returns the element count. `what` names the caller (`'zeros'`, `'torch.load'`).
 */
export function checkShape(shape: readonly unknown[], what: string, dtype: DType = 'float32'): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${what}: trying to create tensor with negative or non-integer dimension ${typeof d === 'number' ? d : String(d)} in shape ${sizeStr(shape)}`,
      );
    }
    n *= d;
  }
  if (n > MAX_TENSOR_ELEMENTS) {
    const count = Number.isSafeInteger(n) ? String(n) : n.toExponential(3);
    const bytes = n * bytesPerElement(dtype);
    throw new TensorSizeError(
      `${what}: shape ${shapeStr(shape as number[])} has ${count} elements (${Number.isSafeInteger(bytes) ? bytes : bytes.toExponential(3)} bytes of ${dtype}), more than the ${MAX_TENSOR_ELEMENTS} (2^31 - 1) elements a tensor can hold: int32 indices must address every element`,
    );
  }
  return n;
}

/**
 * `checkShape`, then the backend's own limit: a tensor of `shape` and `dtype` must fit in
 * one storage of at most `backend.maxTensorBytes` bytes. Returns the element count.
 */
export function checkTensorSize(
  shape: readonly unknown[],
  dtype: DType,
  backend: Backend,
  what: string,
): number {
  const n = checkShape(shape, what, dtype);
  const max = backend.maxTensorBytes;
  const bytes = n * bytesPerElement(dtype);
  if (max !== undefined && bytes > max) {
    throw new TensorSizeError(
      `${what}: a ${dtype} tensor of shape ${shapeStr(shape as number[])} (${n} elements) needs ${bytes} bytes, more than the '${backend.name}' backend holds in one tensor (${max} bytes)`,
    );
  }
  return n;
}
