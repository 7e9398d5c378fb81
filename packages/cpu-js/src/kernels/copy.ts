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
  if (r === 2 && st[0] === 1 && s > 1 && total >= 4096) {
    transposeTiled(S, offset, cs[0], n, s, O);
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

/**
 * A transpose (`out[i, j] = S[offset + i + j*stride]`, `rows × cols`) in 32×32 tiles, so
 * that both the strided reads and the contiguous writes stay within a few cache lines per
 * tile instead of missing on every read of a long column.
 */
function transposeTiled(
  S: TypedArray,
  offset: number,
  rows: number,
  cols: number,
  stride: number,
  O: TypedArray,
): void {
  const T = 32;
  for (let i0 = 0; i0 < rows; i0 += T) {
    const i1 = Math.min(i0 + T, rows);
    for (let j0 = 0; j0 < cols; j0 += T) {
      const j1 = Math.min(j0 + T, cols);
      for (let i = i0; i < i1; i++) {
        const src = offset + i;
        const dst = i * cols;
        for (let j = j0; j < j1; j++) O[dst + j] = S[src + j * stride];
      }
    }
  }
}

/**
 * The inverse of `copyKernel`: writes the contiguous `S` into the strided view
 * (`shape`, `strides`, `offset`) of `O`, in row-major order of `shape`. How an in-place op
 * on a transposed or sliced view reaches its base.
 */
export function copyToViewKernel(
  S: TypedArray,
  O: TypedArray,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): void {
  const total = numelOf(shape);
  if (total === 0) return;
  const c = collapseDims(shape, [strides]);
  const cs = c.shape;
  const st = c.strides[0];
  const r = cs.length;
  const n = cs[r - 1];
  const s = st[r - 1];
  if (r === 1 && s === 1) {
    O.set(S.subarray(0, n), offset);
    return;
  }
  const rows = total / n;
  const idx = new Array<number>(r).fill(0);
  let io = offset;
  for (let row = 0, is = 0; row < rows; row++) {
    for (let j = 0, k = io; j < n; j++, k += s) O[k] = S[is++];
    for (let d = r - 2; d >= 0; d--) {
      io += st[d];
      if (++idx[d] < cs[d]) break;
      io -= st[d] * cs[d];
      idx[d] = 0;
    }
  }
}
