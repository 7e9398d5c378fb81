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

/**
 * One run of float32 values under a bool condition, every stride 0 or 1 (relu's backward:
 * `where(out > 0, grad, 0)`). Only ever sees these array types, so it stays monomorphic.
 */
function whereRunF32(
  C: Uint8Array,
  ic: number,
  sc: number,
  A: Float32Array,
  ia: number,
  sa: number,
  B: Float32Array,
  ib: number,
  sb: number,
  O: Float32Array,
  n: number,
): void {
  if (sc === 1 && sa === 1 && sb === 0) {
    const y = B[ib];
    for (let i = 0; i < n; i++) O[i] = C[ic + i] !== 0 ? A[ia + i] : y;
  } else if (sc === 1 && sa === 0 && sb === 1) {
    const x = A[ia];
    for (let i = 0; i < n; i++) O[i] = C[ic + i] !== 0 ? x : B[ib + i];
  } else {
    for (let i = 0; i < n; i++, ic += sc, ia += sa, ib += sb) O[i] = C[ic] !== 0 ? A[ia] : B[ib];
  }
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
  if (
    r === 1 &&
    C instanceof Uint8Array &&
    A instanceof Float32Array &&
    B instanceof Float32Array &&
    O instanceof Float32Array
  ) {
    whereRunF32(C, cOffset, stC[0], A, aOffset, stA[0], B, bOffset, stB[0], O, n);
    return;
  }
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
