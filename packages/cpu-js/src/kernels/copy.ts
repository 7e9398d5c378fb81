import type { TypedArray } from '@stepwise/core';
import { collapseDims, numelOf } from './strided.js';

/**
 * Strided gather into a contiguous output (what `contiguous()`, `permute`, `expand`,
 * `narrow` lower to). A view that collapses to one unit-stride run is a `TypedArray.set`;
 * otherwise an odometer walks all but the innermost dimension.
 */
export function copyKernel(
  S: TypedArray,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  O: TypedArray,
): void {
  const total = numelOf(shape);
  if (total === 0) return;
  const c = collapseDims(shape, [strides]);
  const cs = c.shape;
  const st = c.strides[0];
  const r = cs.length;
  const n = cs[r - 1];
  const s = st[r - 1];
  if (r === 1 && s === 1 && O.constructor === S.constructor) {
    O.set(S.subarray(offset, offset + n));
    return;
  }
  const rows = total / n;
  const idx = new Array<number>(r).fill(0);
  let is = offset;
  for (let row = 0, io = 0; row < rows; row++) {
    if (s === 1) for (let j = 0, k = is; j < n; j++, k++) O[io++] = S[k];
    else for (let j = 0, k = is; j < n; j++, k += s) O[io++] = S[k];
    for (let d = r - 2; d >= 0; d--) {
      is += st[d];
      if (++idx[d] < cs[d]) break;
      is -= st[d] * cs[d];
      idx[d] = 0;
    }
  }
}
