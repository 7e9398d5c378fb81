/** Argument normalisation shared by the convolution and pooling functions. */
import type { Backend } from '../../backend.js';
import type { DType } from '../../dtype.js';
import { DTypeError, ValueError } from '../../errors.js';
import { checkSameBackend } from '../../ops/util.js';
import type { Tensor } from '../../tensor.js';

/** A PyTorch `int or (int, int)` argument. */
export type IntPair = number | readonly [number, number];

/** `x` or `[h, w]` → `[h, w]`, checking that each is an integer ≥ `min`. */
export function pair(v: IntPair, what: string, min: number): [number, number] {
  const p: [number, number] =
    typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : [NaN, NaN];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) {
    throw new ValueError(`${what} must be an integer >= ${min} or a pair of them, got ${JSON.stringify(v)}`);
  }
  return p;
}

/** A PyTorch `int or (int,)` argument of a 1-D layer. */
export type IntSingle = number | readonly [number];

/** `x` or `[x]` → `x`, checking that it is an integer ≥ `min`. */
export function single(v: IntSingle, what: string, min: number): number {
  const x = typeof v === 'number' ? v : Array.isArray(v) && v.length === 1 ? v[0] : NaN;
  if (!(Number.isInteger(x) && x >= min)) {
    throw new ValueError(
      `${what} must be an integer >= ${min} (or a 1-element list), got ${JSON.stringify(v)}`,
    );
  }
  return x;
}

/**
 * The checks every convolution makes of its operands: one backend, a floating point input,
 * the weight and bias in its dtype, `groups` a positive integer. `op` names the caller.
 */
export function convOperands(
  op: string,
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  groups: number,
): { backend: Backend; dtype: DType } {
  const backend = bias ? checkSameBackend(op, input, weight, bias) : checkSameBackend(op, input, weight);
  const dtype = input.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${op}: expected a floating point input, got dtype ${dtype}`);
  }
  if (weight.dtype !== dtype || (bias && bias.dtype !== dtype)) {
    throw new DTypeError(
      `${op}: input (${dtype}), weight (${weight.dtype})${bias ? ` and bias (${bias.dtype})` : ''} must have the same dtype`,
    );
  }
  if (!Number.isInteger(groups) || groups < 1)
    throw new ValueError(`${op}: groups must be a positive integer, got ${groups}`);
  return { backend, dtype };
}
