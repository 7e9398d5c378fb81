import type { ReduceOp, TypedArray } from '@stepwise/core';

/**
 * Up to this many columns (`inner`) a plain sum keeps its accumulators in locals, four
 * columns per pass down the rows (rows of at most 256 bytes: the passes stay in cache).
 */
const SMALL_INNER = 64;

/** Scratch accumulators reused across calls (reductions never nest). */
let scratch = new Float64Array(64);
function accumulators(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, scratch.length * 2));
  return scratch;
}

/**
 * Neumaier-compensated sum of `len` elements from `i0` stepping `stride`: float64 inputs
 * come out as close to the exact sum as PyTorch's cascade sum gets (or closer).
 */
function compensatedSum(X: TypedArray, i0: number, len: number, stride: number): number {
  let s = 0;
  let c = 0;
  for (let j = 0, i = i0; j < len; j++, i += stride) {
    const v = X[i];
    const t = s + v;
    if (Math.abs(s) >= Math.abs(v)) c += s - t + v;
    else c += v - t + s;
    s = t;
  }
  // c is NaN when an infinity was added (inf - inf): the plain sum is the answer then.
  return !Number.isNaN(c) ? s + c : s;
}

/**
 * Reduction along the middle axis of `[outer, len, inner]` into `[outer, inner]`
 * (torch.sum / prod / amax / amin / argmax / argmin with a dim). Sums accumulate in
 * float64 (float32 results are rounded once at the store). max/min/argmax/argmin
 * propagate NaN, and arg-reductions return the first occurrence, as PyTorch.
 */
export function reduceKernel(
  op: ReduceOp,
  X: TypedArray,
  outer: number,
  len: number,
  inner: number,
  O: TypedArray,
  compensated: boolean,
): void {
  const block = len * inner;
  switch (op) {
    case 'sum': {
      if (inner === 1) {
        if (compensated) for (let o = 0; o < outer; o++) O[o] = compensatedSum(X, o * len, len, 1);
        else
          for (let o = 0; o < outer; o++) {
            let s = 0;
            const end = (o + 1) * len;
            for (let i = o * len; i < end; i++) s += X[i];
            O[o] = s;
          }
        return;
      }
      // inner > 1: accumulate whole rows so reads stay contiguous (a strided walk down
      // each column would touch a new cache line per element).
      if (compensated) {
        const acc = accumulators(2 * inner);
        for (let o = 0; o < outer; o++) {
          acc.fill(0, 0, 2 * inner);
          for (let j = 0, base = o * block; j < len; j++, base += inner)
            for (let k = 0; k < inner; k++) {
              const v = X[base + k];
              const sk = acc[k];
              const t = sk + v;
              acc[inner + k] += Math.abs(sk) >= Math.abs(v) ? sk - t + v : v - t + sk;
              acc[k] = t;
            }
          for (let k = 0, oo = o * inner; k < inner; k++) {
            const c = acc[inner + k];
            O[oo + k] = Number.isNaN(c) ? acc[k] : acc[k] + c;
          }
        }
        return;
      }
      if (inner <= SMALL_INNER) {
        // Few columns (a bias gradient: [batch, features] summed over the batch): eight,
        // then four columns at a time in local sums, each still added in row order from 0.
        const k4 = inner - (inner % 4);
        for (let o = 0; o < outer; o++) {
          const base = o * block;
          const oo = o * inner;
          let k0 = 0;
          for (; k0 + 8 <= inner; k0 += 8) {
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            let s4 = 0;
            let s5 = 0;
            let s6 = 0;
            let s7 = 0;
            for (let j = 0, i = base + k0; j < len; j++, i += inner) {
              s0 += X[i];
              s1 += X[i + 1];
              s2 += X[i + 2];
              s3 += X[i + 3];
              s4 += X[i + 4];
              s5 += X[i + 5];
              s6 += X[i + 6];
              s7 += X[i + 7];
            }
            const q = oo + k0;
            O[q] = s0;
            O[q + 1] = s1;
            O[q + 2] = s2;
            O[q + 3] = s3;
            O[q + 4] = s4;
            O[q + 5] = s5;
            O[q + 6] = s6;
            O[q + 7] = s7;
          }
          for (let k = k0; k < k4; k += 4) {
            let s0 = 0;
            let s1 = 0;
            let s2 = 0;
            let s3 = 0;
            for (let j = 0, i = base + k; j < len; j++, i += inner) {
              s0 += X[i];
              s1 += X[i + 1];
              s2 += X[i + 2];
              s3 += X[i + 3];
            }
            O[oo + k] = s0;
            O[oo + k + 1] = s1;
            O[oo + k + 2] = s2;
            O[oo + k + 3] = s3;
          }
          for (let k = k4; k < inner; k++) {
            let s0 = 0;
            for (let j = 0, i = base + k; j < len; j++, i += inner) s0 += X[i];
            O[oo + k] = s0;
          }
        }
        return;
      }
      const acc = accumulators(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(0, 0, inner);
        for (let j = 0, base = o * block; j < len; j++, base += inner)
          for (let k = 0; k < inner; k++) acc[k] += X[base + k];
        for (let k = 0, oo = o * inner; k < inner; k++) O[oo + k] = acc[k];
      }
      return;
    }
    case 'prod': {
      if (inner === 1) {
        for (let o = 0; o < outer; o++) {
          let p = 1;
          const end = (o + 1) * len;
          for (let i = o * len; i < end; i++) p *= X[i];
          O[o] = p;
        }
        return;
      }
      const acc = accumulators(inner);
      for (let o = 0; o < outer; o++) {
        acc.fill(1, 0, inner);
        for (let j = 0, base = o * block; j < len; j++, base += inner)
          for (let k = 0; k < inner; k++) acc[k] *= X[base + k];
        for (let k = 0, oo = o * inner; k < inner; k++) O[oo + k] = acc[k];
      }
      return;
    }
    case 'max':
    case 'min':
    case 'argmax':
    case 'argmin': {
      const isMax = op === 'max' || op === 'argmax';
      const isArg = op === 'argmax' || op === 'argmin';
      if (inner === 1) {
        for (let o = 0; o < outer; o++) {
          let i = o * len;
          let m = X[i];
          let best = 0;
          // Once a NaN is found it is the answer (the first NaN, for the arg-reductions).
          if (isMax) {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              const v = X[++i];
              if (v > m || Number.isNaN(v)) {
                m = v;
                best = j;
              }
            }
          } else {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              const v = X[++i];
              if (v < m || Number.isNaN(v)) {
                m = v;
                best = j;
              }
            }
          }
          O[o] = isArg ? best : m;
        }
        return;
      }
      const m = accumulators(inner);
      for (let o = 0; o < outer; o++) {
        const base = o * block;
        const oo = o * inner;
        for (let k = 0; k < inner; k++) m[k] = X[base + k];
        if (isArg) O.fill(0, oo, oo + inner);
        for (let j = 1, row = base + inner; j < len; j++, row += inner) {
          if (isMax) {
            for (let k = 0; k < inner; k++) {
              const v = X[row + k];
              const mk = m[k];
              if (v > mk || (Number.isNaN(v) && !Number.isNaN(mk))) {
                m[k] = v;
                if (isArg) O[oo + k] = j;
              }
            }
          } else {
            for (let k = 0; k < inner; k++) {
              const v = X[row + k];
              const mk = m[k];
              if (v < mk || (Number.isNaN(v) && !Number.isNaN(mk))) {
                m[k] = v;
                if (isArg) O[oo + k] = j;
              }
            }
          }
        }
        if (!isArg) for (let k = 0; k < inner; k++) O[oo + k] = m[k];
      }
      return;
    }
    default:
      throw new TypeError(`cpu-js: unknown reduce op '${String(op)}'`);
  }
}
