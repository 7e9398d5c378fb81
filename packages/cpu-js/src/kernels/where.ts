import type { TypedArray } from '@stepwise/core';
import { collapseDims, numelOf } from './strided.js';

/** One run of torch.where: `O[io..io+n) = C != 0 ? A : B`, inputs strided. */
function whereRun(
  C: TypedArray,
  ic: number,
  sc: number,
  A: TypedArray,
  ia: number,
  sa: number,
  B: TypedArray,
  ib: number,
  sb: number,
  O: TypedArray,
  io: number,
  n: number,
): void {
  const end = io + n;
  for (let i = io; i < end; i++, ic += sc, ia += sa, ib += sb) O[i] = C[ic] !== 0 ? A[ia] : B[ib];
}

/** torch.where(cond, a, b) over broadcast views; an odometer walks all but the innermost dim. */
export function whereKernel(
  C: TypedArray,
  cStrides: readonly number[],
  cOffset: number,
  A: TypedArray,
  aStrides: readonly number[],
  aOffset: number,
  B: TypedArray,
  bStrides: readonly number[],
  bOffset: number,
  O: TypedArray,
  outShape: readonly number[],
): void {
  const total = numelOf(outShape);
  if (total === 0) return;
  const col = collapseDims(outShape, [cStrides, aStrides, bStrides]);
  const shape = col.shape;
  const [stC, stA, stB] = col.strides;
  const r = shape.length;
  const n = shape[r - 1];
  const rows = total / n;
  const idx = new Array<number>(r).fill(0);
  let ic = cOffset;
  let ia = aOffset;
  let ib = bOffset;
  for (let row = 0, io = 0; row < rows; row++, io += n) {
    whereRun(C, ic, stC[r - 1], A, ia, stA[r - 1], B, ib, stB[r - 1], O, io, n);
    for (let d = r - 2; d >= 0; d--) {
      ic += stC[d];
      ia += stA[d];
      ib += stB[d];
      if (++idx[d] < shape[d]) break;
      ic -= stC[d] * shape[d];
      ia -= stA[d] * shape[d];
      ib -= stB[d] * shape[d];
      idx[d] = 0;
    }
  }
}
