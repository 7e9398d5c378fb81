import type { ReduceOp, TypedArray } from '@stepwise/core';

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
      if (compensated) {
        for (let o = 0; o < outer; o++)
          for (let k = 0; k < inner; k++) O[o * inner + k] = compensatedSum(X, o * block + k, len, inner);
        return;
      }
      // Row-wise accumulation keeps the reads contiguous.
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
      for (let o = 0; o < outer; o++)
        for (let k = 0; k < inner; k++) {
          let p = 1;
          for (let j = 0, i = o * block + k; j < len; j++, i += inner) p *= X[i];
          O[o * inner + k] = p;
        }
      return;
    }
    case 'max':
    case 'min': {
      const isMax = op === 'max';
      for (let o = 0; o < outer; o++)
        for (let k = 0; k < inner; k++) {
          let i = o * block + k;
          let m = X[i];
          if (isMax) {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              i += inner;
              const v = X[i];
              if (v > m || Number.isNaN(v)) m = v;
            }
          } else {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              i += inner;
              const v = X[i];
              if (v < m || Number.isNaN(v)) m = v;
            }
          }
          O[o * inner + k] = m;
        }
      return;
    }
    case 'argmax':
    case 'argmin': {
      const isMax = op === 'argmax';
      for (let o = 0; o < outer; o++)
        for (let k = 0; k < inner; k++) {
          let i = o * block + k;
          let m = X[i];
          let best = 0;
          if (isMax) {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              i += inner;
              const v = X[i];
              if (v > m || Number.isNaN(v)) {
                m = v;
                best = j;
              }
            }
          } else {
            for (let j = 1; j < len && !Number.isNaN(m); j++) {
              i += inner;
              const v = X[i];
              if (v < m || Number.isNaN(v)) {
                m = v;
                best = j;
              }
            }
          }
          O[o * inner + k] = best;
        }
      return;
    }
    default:
      throw new TypeError(`cpu-js: unknown reduce op '${String(op)}'`);
  }
}
