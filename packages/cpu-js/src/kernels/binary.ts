import type { BinaryOp, TypedArray } from '@stepwise/core';
import { collapseDims, isNaturalContiguous, numelOf } from './strided.js';

/**
 * One run of a binary op (torch.add, torch.maximum, torch.lt, ...): `n` outputs written
 * contiguously from `io`, inputs read from `ia`/`ib` stepping `sa`/`sb` (0 broadcasts).
 * The switch runs once per run, never per element. `intMul` selects wrapping int32
 * multiplication (Math.imul), which a float64 product would get wrong past 2^53.
 * maximum/minimum propagate NaN and, on ties (0 and -0), return the first operand, as
 * PyTorch's CPU kernels do.
 */
export function binaryRun(
  op: BinaryOp,
  A: TypedArray,
  ia: number,
  sa: number,
  B: TypedArray,
  ib: number,
  sb: number,
  O: TypedArray,
  io: number,
  n: number,
  intMul: boolean,
): void {
  const end = io + n;
  switch (op) {
    case 'add':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] + B[ib];
      return;
    case 'sub':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] - B[ib];
      return;
    case 'mul':
      if (intMul) for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = Math.imul(A[ia], B[ib]);
      else for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] * B[ib];
      return;
    case 'div':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] / B[ib];
      return;
    case 'pow':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] ** B[ib];
      return;
    case 'maximum':
      for (let i = io; i < end; i++, ia += sa, ib += sb) {
        const x = A[ia];
        const y = B[ib];
        O[i] = x >= y || Number.isNaN(x) ? x : y;
      }
      return;
    case 'minimum':
      for (let i = io; i < end; i++, ia += sa, ib += sb) {
        const x = A[ia];
        const y = B[ib];
        O[i] = x <= y || Number.isNaN(x) ? x : y;
      }
      return;
    case 'eq':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] === B[ib] ? 1 : 0;
      return;
    case 'ne':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] !== B[ib] ? 1 : 0;
      return;
    case 'lt':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] < B[ib] ? 1 : 0;
      return;
    case 'le':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] <= B[ib] ? 1 : 0;
      return;
    case 'gt':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] > B[ib] ? 1 : 0;
      return;
    case 'ge':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] >= B[ib] ? 1 : 0;
      return;
    case 'and':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] !== 0 && B[ib] !== 0 ? 1 : 0;
      return;
    case 'or':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] !== 0 || B[ib] !== 0 ? 1 : 0;
      return;
    default:
      throw new TypeError(`cpu-js: unknown binary op '${String(op)}'`);
  }
}

/** Ops whose result is a number (not 0/1): on a bool output they need re-normalising. */
export function isArithmetic(op: BinaryOp): boolean {
  return (
    op === 'add' ||
    op === 'sub' ||
    op === 'mul' ||
    op === 'div' ||
    op === 'pow' ||
    op === 'maximum' ||
    op === 'minimum'
  );
}

/** PyTorch's bool arithmetic saturates (True + True = True): map any nonzero back to 1. */
export function normaliseBool(O: TypedArray, n: number): void {
  for (let i = 0; i < n; i++) if (O[i] !== 0) O[i] = 1;
}

/**
 * Broadcasting binary op over `outShape`. Same-shape contiguous operands take one run;
 * otherwise dims are collapsed and an odometer walks all but the innermost dimension.
 */
export function binaryKernel(
  op: BinaryOp,
  A: TypedArray,
  aShape: readonly number[],
  aStrides: readonly number[],
  aOffset: number,
  B: TypedArray,
  bShape: readonly number[],
  bStrides: readonly number[],
  bOffset: number,
  O: TypedArray,
  outShape: readonly number[],
  intMul: boolean,
): void {
  const total = numelOf(outShape);
  if (total === 0) return;
  if (isNaturalContiguous(aShape, aStrides, aOffset) && isNaturalContiguous(bShape, bStrides, bOffset)) {
    binaryRun(op, A, 0, 1, B, 0, 1, O, 0, total, intMul);
    return;
  }
  const c = collapseDims(outShape, [aStrides, bStrides]);
  const shape = c.shape;
  const stA = c.strides[0];
  const stB = c.strides[1];
  const r = shape.length;
  const n = shape[r - 1];
  const sa = stA[r - 1];
  const sb = stB[r - 1];
  if (r === 1) {
    binaryRun(op, A, aOffset, sa, B, bOffset, sb, O, 0, n, intMul);
    return;
  }
  const rows = total / n;
  const idx = new Array<number>(r - 1).fill(0);
  let ia = aOffset;
  let ib = bOffset;
  for (let row = 0, io = 0; row < rows; row++, io += n) {
    binaryRun(op, A, ia, sa, B, ib, sb, O, io, n, intMul);
    for (let d = r - 2; d >= 0; d--) {
      ia += stA[d];
      ib += stB[d];
      if (++idx[d] < shape[d]) break;
      ia -= stA[d] * shape[d];
      ib -= stB[d] * shape[d];
      idx[d] = 0;
    }
  }
}
