/** Argument normalisation shared by the convolution and pooling functions. */
import { ValueError } from '../../errors.js';

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
