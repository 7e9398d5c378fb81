import type { BinaryOp, TypedArray } from '@stepwise/core';
import { collapseDims, isNaturalContiguous, numelOf } from './strided.js';

/**
 * C's pow (PyTorch's): JavaScript's `**` differs only where the base is 1 (1 for any
 * exponent, NaN included) or -1 with an infinite exponent (1); JS gives NaN for both.
 */
function floatPow(x: number, y: number): number {
  return x === 1 || (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY))
    ? 1
    : x ** y;
}

/**
 * PyTorch's int32 power: by squaring with wrapping products (exact where a float64 power
 * would round past 2^53); a negative exponent gives 1 for base 1, ±1 for base -1 and 0
 * otherwise (the integer part of the reciprocal).
 */
function intPow(x: number, y: number): number {
  if (y < 0) return x === 1 ? 1 : x === -1 ? (y & 1 ? -1 : 1) : 0;
  let r = 1;
  for (let base = x, e = y; e !== 0; e >>>= 1, base = Math.imul(base, base))
    if (e & 1) r = Math.imul(r, base);
  return r;
}

/**
 * One run of a binary op (torch.add, torch.maximum, torch.lt, ...): `n` outputs written
 * contiguously from `io`, inputs read from `ia`/`ib` stepping `sa`/`sb` (0 broadcasts).
 * The switch runs once per run, never per element. `int32Arith` selects int32 arithmetic
 * for mul and pow: wrapping multiplication (Math.imul), which a float64 product would get
 * wrong past 2^53, and PyTorch's integer powers (`intPow`).
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
  int32Arith: boolean,
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
      if (int32Arith) for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = Math.imul(A[ia], B[ib]);
      else for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] * B[ib];
      return;
    case 'div':
      for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = A[ia] / B[ib];
      return;
    case 'pow':
      if (int32Arith) for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = intPow(A[ia], B[ib]);
      else for (let i = io; i < end; i++, ia += sa, ib += sb) O[i] = floatPow(A[ia], B[ib]);
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

/**
 * float32 arithmetic (add, sub, mul, div) over `rows` rows of `n` outputs, written
 * contiguously from 0: operand rows start at `ia`/`ib` and advance by `ra`/`rb` (0 repeats a
 * row: a broadcast bias), elements step `sa`/`sb` (1, or 0 for one value broadcast along
 * the row; not both 0). Only ever called with Float32Arrays, so its loads and stores stay
 * monomorphic whatever else the process runs; the values are `binaryRun`'s (the same f64
 * arithmetic, rounded once on store). Returns false for what it does not take.
 */
export function binaryF32(
  op: BinaryOp,
  A: Float32Array,
  ia: number,
  ra: number,
  sa: number,
  B: Float32Array,
  ib: number,
  rb: number,
  sb: number,
  O: Float32Array,
  rows: number,
  n: number,
): boolean {
  if ((sa !== 0 && sa !== 1) || (sb !== 0 && sb !== 1) || (sa === 0 && sb === 0)) return false;
  // Each loop is unrolled by four: the rows of a small layer are short (20 features),
  // and the loop's own overhead is most of the cost of a short row.
  const n4 = n - (n % 4);
  switch (op) {
    case 'add':
      for (let r = 0, io = 0; r < rows; r++, ia += ra, ib += rb, io += n) {
        if (sb === 0) {
          const y = B[ib];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] + y;
            O[io + j + 1] = A[ia + j + 1] + y;
            O[io + j + 2] = A[ia + j + 2] + y;
            O[io + j + 3] = A[ia + j + 3] + y;
          }
          for (; j < n; j++) O[io + j] = A[ia + j] + y;
        } else if (sa === 0) {
          const x = A[ia];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = x + B[ib + j];
            O[io + j + 1] = x + B[ib + j + 1];
            O[io + j + 2] = x + B[ib + j + 2];
            O[io + j + 3] = x + B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = x + B[ib + j];
        } else {
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] + B[ib + j];
            O[io + j + 1] = A[ia + j + 1] + B[ib + j + 1];
            O[io + j + 2] = A[ia + j + 2] + B[ib + j + 2];
            O[io + j + 3] = A[ia + j + 3] + B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = A[ia + j] + B[ib + j];
        }
      }
      return true;
    case 'sub':
      for (let r = 0, io = 0; r < rows; r++, ia += ra, ib += rb, io += n) {
        if (sb === 0) {
          const y = B[ib];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] - y;
            O[io + j + 1] = A[ia + j + 1] - y;
            O[io + j + 2] = A[ia + j + 2] - y;
            O[io + j + 3] = A[ia + j + 3] - y;
          }
          for (; j < n; j++) O[io + j] = A[ia + j] - y;
        } else if (sa === 0) {
          const x = A[ia];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = x - B[ib + j];
            O[io + j + 1] = x - B[ib + j + 1];
            O[io + j + 2] = x - B[ib + j + 2];
            O[io + j + 3] = x - B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = x - B[ib + j];
        } else {
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] - B[ib + j];
            O[io + j + 1] = A[ia + j + 1] - B[ib + j + 1];
            O[io + j + 2] = A[ia + j + 2] - B[ib + j + 2];
            O[io + j + 3] = A[ia + j + 3] - B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = A[ia + j] - B[ib + j];
        }
      }
      return true;
    case 'mul':
      for (let r = 0, io = 0; r < rows; r++, ia += ra, ib += rb, io += n) {
        if (sb === 0) {
          const y = B[ib];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] * y;
            O[io + j + 1] = A[ia + j + 1] * y;
            O[io + j + 2] = A[ia + j + 2] * y;
            O[io + j + 3] = A[ia + j + 3] * y;
          }
          for (; j < n; j++) O[io + j] = A[ia + j] * y;
        } else if (sa === 0) {
          const x = A[ia];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = x * B[ib + j];
            O[io + j + 1] = x * B[ib + j + 1];
            O[io + j + 2] = x * B[ib + j + 2];
            O[io + j + 3] = x * B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = x * B[ib + j];
        } else {
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] * B[ib + j];
            O[io + j + 1] = A[ia + j + 1] * B[ib + j + 1];
            O[io + j + 2] = A[ia + j + 2] * B[ib + j + 2];
            O[io + j + 3] = A[ia + j + 3] * B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = A[ia + j] * B[ib + j];
        }
      }
      return true;
    case 'div':
      for (let r = 0, io = 0; r < rows; r++, ia += ra, ib += rb, io += n) {
        if (sb === 0) {
          const y = B[ib];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] / y;
            O[io + j + 1] = A[ia + j + 1] / y;
            O[io + j + 2] = A[ia + j + 2] / y;
            O[io + j + 3] = A[ia + j + 3] / y;
          }
          for (; j < n; j++) O[io + j] = A[ia + j] / y;
        } else if (sa === 0) {
          const x = A[ia];
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = x / B[ib + j];
            O[io + j + 1] = x / B[ib + j + 1];
            O[io + j + 2] = x / B[ib + j + 2];
            O[io + j + 3] = x / B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = x / B[ib + j];
        } else {
          let j = 0;
          for (; j < n4; j += 4) {
            O[io + j] = A[ia + j] / B[ib + j];
            O[io + j + 1] = A[ia + j + 1] / B[ib + j + 1];
            O[io + j + 2] = A[ia + j + 2] / B[ib + j + 2];
            O[io + j + 3] = A[ia + j + 3] / B[ib + j + 3];
          }
          for (; j < n; j++) O[io + j] = A[ia + j] / B[ib + j];
        }
      }
      return true;
    default:
      return false;
  }
}

/**
 * `binaryScalar` on float32: `O[i] = op(A[i], s)` (or `op(s, A[i])`), the scalar a JS
 * number as `binaryRun` reads it from its float64 cell. Arithmetic into float32, comparisons
 * into bool; false for the rest.
 */
export function scalarF32(
  op: BinaryOp,
  A: Float32Array,
  s: number,
  O: Float32Array | Uint8Array,
  n: number,
  scalarFirst: boolean,
): boolean {
  if (O instanceof Float32Array) return scalarArithF32(op, A, s, O, n, scalarFirst);
  if (scalarFirst) return false;
  switch (op) {
    case 'eq':
      for (let i = 0; i < n; i++) O[i] = A[i] === s ? 1 : 0;
      return true;
    case 'ne':
      for (let i = 0; i < n; i++) O[i] = A[i] !== s ? 1 : 0;
      return true;
    case 'lt':
      for (let i = 0; i < n; i++) O[i] = A[i] < s ? 1 : 0;
      return true;
    case 'le':
      for (let i = 0; i < n; i++) O[i] = A[i] <= s ? 1 : 0;
      return true;
    case 'gt':
      for (let i = 0; i < n; i++) O[i] = A[i] > s ? 1 : 0;
      return true;
    case 'ge':
      for (let i = 0; i < n; i++) O[i] = A[i] >= s ? 1 : 0;
      return true;
    default:
      return false;
  }
}

function scalarArithF32(
  op: BinaryOp,
  A: Float32Array,
  s: number,
  O: Float32Array,
  n: number,
  scalarFirst: boolean,
): boolean {
  switch (op) {
    case 'add':
      if (scalarFirst) for (let i = 0; i < n; i++) O[i] = s + A[i];
      else for (let i = 0; i < n; i++) O[i] = A[i] + s;
      return true;
    case 'sub':
      if (scalarFirst) for (let i = 0; i < n; i++) O[i] = s - A[i];
      else for (let i = 0; i < n; i++) O[i] = A[i] - s;
      return true;
    case 'mul':
      if (scalarFirst) for (let i = 0; i < n; i++) O[i] = s * A[i];
      else for (let i = 0; i < n; i++) O[i] = A[i] * s;
      return true;
    case 'div':
      if (scalarFirst) for (let i = 0; i < n; i++) O[i] = s / A[i];
      else for (let i = 0; i < n; i++) O[i] = A[i] / s;
      return true;
    default:
      return false;
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
 * float32 `A (rows × n, contiguous) op B (one row of n, repeated)`, or the mirror with A the
 * repeated row when `rowFirst`: a bias added to a batch. Four rows per pass over the row,
 * so each B value is loaded once for four outputs and the loop's typed-array bookkeeping
 * (V8 reloads it every iteration) is shared by four elements. Returns false for ops it
 * does not take.
 */
function rowBroadcastF32(
  op: BinaryOp,
  M: Float32Array,
  im: number,
  R: Float32Array,
  ir: number,
  O: Float32Array,
  rows: number,
  n: number,
  rowFirst: boolean,
): boolean {
  if (op !== 'add' && op !== 'sub' && op !== 'mul' && op !== 'div') return false;
  // sub and div with the row first are written as their own loops; add and mul commute.
  const kind = op === 'sub' ? (rowFirst ? 4 : 1) : op === 'div' ? (rowFirst ? 5 : 3) : op === 'add' ? 0 : 2;
  const rows4 = rows - (rows % 4);
  let r = 0;
  for (; r < rows4; r += 4) {
    const m0 = im + r * n;
    const m1 = m0 + n;
    const m2 = m1 + n;
    const m3 = m2 + n;
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n; j++) {
      const y = R[ir + j];
      const x0 = M[m0 + j];
      const x1 = M[m1 + j];
      const x2 = M[m2 + j];
      const x3 = M[m3 + j];
      switch (kind) {
        case 0:
          O[o0 + j] = x0 + y;
          O[o1 + j] = x1 + y;
          O[o2 + j] = x2 + y;
          O[o3 + j] = x3 + y;
          break;
        case 1:
          O[o0 + j] = x0 - y;
          O[o1 + j] = x1 - y;
          O[o2 + j] = x2 - y;
          O[o3 + j] = x3 - y;
          break;
        case 2:
          O[o0 + j] = x0 * y;
          O[o1 + j] = x1 * y;
          O[o2 + j] = x2 * y;
          O[o3 + j] = x3 * y;
          break;
        case 3:
          O[o0 + j] = x0 / y;
          O[o1 + j] = x1 / y;
          O[o2 + j] = x2 / y;
          O[o3 + j] = x3 / y;
          break;
        case 4:
          O[o0 + j] = y - x0;
          O[o1 + j] = y - x1;
          O[o2 + j] = y - x2;
          O[o3 + j] = y - x3;
          break;
        default:
          O[o0 + j] = y / x0;
          O[o1 + j] = y / x1;
          O[o2 + j] = y / x2;
          O[o3 + j] = y / x3;
      }
    }
  }
  for (; r < rows; r++) {
    const m0 = im + r * n;
    const o0 = r * n;
    for (let j = 0; j < n; j++) {
      const y = R[ir + j];
      const x = M[m0 + j];
      O[o0 + j] =
        kind === 0
          ? x + y
          : kind === 1
            ? x - y
            : kind === 2
              ? x * y
              : kind === 3
                ? x / y
                : kind === 4
                  ? y - x
                  : y / x;
    }
  }
  return true;
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
  int32Arith: boolean,
): void {
  const total = numelOf(outShape);
  if (total === 0) return;
  const f32 = A instanceof Float32Array && B instanceof Float32Array && O instanceof Float32Array;
  if (isNaturalContiguous(aShape, aStrides, aOffset) && isNaturalContiguous(bShape, bStrides, bOffset)) {
    if (f32 && binaryF32(op, A, 0, 0, 1, B, 0, 0, 1, O, 1, total)) return;
    binaryRun(op, A, 0, 1, B, 0, 1, O, 0, total, int32Arith);
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
  // float32 with at most one outer dimension (a broadcast row or column, a scalar): one call.
  if (f32 && r <= 2) {
    const rows = r === 2 ? shape[0] : 1;
    const ra = r === 2 ? stA[0] : 0;
    const rb = r === 2 ? stB[0] : 0;
    if (r === 2 && rows >= 4 && sa === 1 && sb === 1) {
      if (ra === n && rb === 0 && rowBroadcastF32(op, A, aOffset, B, bOffset, O, rows, n, false)) return;
      if (rb === n && ra === 0 && rowBroadcastF32(op, B, bOffset, A, aOffset, O, rows, n, true)) return;
    }
    if (binaryF32(op, A, aOffset, ra, sa, B, bOffset, rb, sb, O, rows, n)) return;
  }
  if (r === 1) {
    binaryRun(op, A, aOffset, sa, B, bOffset, sb, O, 0, n, int32Arith);
    return;
  }
  const rows = total / n;
  const idx = new Array<number>(r - 1).fill(0);
  let ia = aOffset;
  let ib = bOffset;
  for (let row = 0, io = 0; row < rows; row++, io += n) {
    binaryRun(op, A, ia, sa, B, ib, sb, O, io, n, int32Arith);
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
