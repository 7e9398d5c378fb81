import type { TypedArray } from '@stepwise/core';

/** torch.index_select along the middle axis of `[outer, len, inner]`. */
export function indexSelectKernel(
  X: TypedArray,
  I: TypedArray,
  O: TypedArray,
  outer: number,
  len: number,
  inner: number,
): void {
  const nIndex = I.length;
  if (inner === 1) {
    for (let o = 0, io = 0; o < outer; o++) {
      const base = o * len;
      for (let j = 0; j < nIndex; j++) O[io++] = X[base + I[j]];
    }
    return;
  }
  for (let o = 0, io = 0; o < outer; o++) {
    for (let j = 0; j < nIndex; j++) {
      const src = (o * len + I[j]) * inner;
      for (let k = 0; k < inner; k++) O[io++] = X[src + k];
    }
  }
}

/** Tensor.index_add_ (alpha = 1) along the middle axis, in place; repeated indices accumulate. */
export function indexAddKernel(
  O: TypedArray,
  I: TypedArray,
  S: TypedArray,
  outer: number,
  len: number,
  inner: number,
): void {
  const nIndex = I.length;
  for (let o = 0, is = 0; o < outer; o++) {
    for (let j = 0; j < nIndex; j++) {
      const dst = (o * len + I[j]) * inner;
      for (let k = 0; k < inner; k++) O[dst + k] += S[is++];
    }
  }
}

/** torch.gather along the middle axis: `O[o, j, i] = X[o, I[o, j, i], i]`. */
export function gatherKernel(
  X: TypedArray,
  I: TypedArray,
  O: TypedArray,
  outer: number,
  lenX: number,
  inner: number,
): void {
  const lenIdx = inner === 0 || outer === 0 ? 0 : I.length / (outer * inner);
  for (let o = 0, p = 0; o < outer; o++) {
    const base = o * lenX * inner;
    for (let j = 0; j < lenIdx; j++) for (let k = 0; k < inner; k++, p++) O[p] = X[base + I[p] * inner + k];
  }
}

/** Tensor.scatter_add_ along the middle axis, in place: `O[o, I[o, j, i], i] += S[o, j, i]`. */
export function scatterAddKernel(
  O: TypedArray,
  I: TypedArray,
  S: TypedArray,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  scatterInto(O, I, S, outer, lenOut, inner, true);
}

/** The writing form of scatterAdd: O[o, I[o, j, k], k] = S[o, j, k]; a repeated index keeps the last write. */
export function scatterKernel(
  O: TypedArray,
  I: TypedArray,
  S: TypedArray,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  scatterInto(O, I, S, outer, lenOut, inner, false);
}

function scatterInto(
  O: TypedArray,
  I: TypedArray,
  S: TypedArray,
  outer: number,
  lenOut: number,
  inner: number,
  add: boolean,
): void {
  const lenIdx = inner === 0 || outer === 0 ? 0 : I.length / (outer * inner);
  for (let o = 0, p = 0; o < outer; o++) {
    const base = o * lenOut * inner;
    for (let j = 0; j < lenIdx; j++) {
      for (let k = 0; k < inner; k++, p++) {
        const at = base + I[p] * inner + k;
        O[at] = add ? O[at] + S[p] : S[p];
      }
    }
  }
}
