// Strided iteration on the JS side: views are collapsed to the fewest, longest rows before a
// kernel walks them (assembly/walk.ts reads the shape and strides written here).

/**
 * Merges the dimensions of an n-d iteration that every operand walks contiguously, and
 * drops size-1 dimensions, so kernels see as few (and as long) rows as possible.
 * The output is row-major contiguous, so it never blocks a merge. Returns at least one
 * dimension. Writes into the given arrays (no allocation per call beyond them).
 */
function collapseDims(
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

/** A collapsed iteration: reused between calls (see `collapse`). */
export interface Collapsed {
  readonly shape: number[];
  readonly strides: number[][];
}

// One reused result per operand count (1: copy, 2: binary, 3: where): no allocation per call.
const reused: Collapsed[] = [1, 2, 3].map((k) => ({
  shape: [],
  strides: Array.from({ length: k }, () => []),
}));

/**
 * `collapseDims` of `shape` walked with each operand's strides. The result is overwritten by
 * the next call with as many operands: write it into the argument block (`Runtime.writeMeta`,
 * shape then strides, as assembly/walk.ts reads them) before collapsing again.
 */
export function collapse(shape: readonly number[], strides: readonly (readonly number[])[]): Collapsed {
  const out = reused[strides.length - 1];
  collapseDims(shape, strides, out.shape, out.strides);
  return out;
}
