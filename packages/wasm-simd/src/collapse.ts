/**
 * Merges the dimensions of an n-d iteration that every operand walks contiguously, and
 * drops size-1 dimensions, so kernels see as few (and as long) rows as possible.
 * The output is row-major contiguous, so it never blocks a merge. Returns at least one
 * dimension. Writes into the given arrays (no allocation per call beyond them).
 */
export function collapseDims(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
  outShape: number[],
  outStrides: number[][],
): void {
  outShape.length = 0;
  for (const s of outStrides) s.length = 0;
  const k = strides.length;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let j = 0; merge && j < k; j++) {
      if (strides[j][d] !== outStrides[j][last] * outShape[last]) merge = false;
    }
    if (merge) outShape[last] *= n;
    else {
      outShape.push(n);
      for (let j = 0; j < k; j++) outStrides[j].push(strides[j][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (let j = 0; j < k; j++) outStrides[j].push(0);
  }
  outShape.reverse();
  for (const s of outStrides) s.reverse();
}
