/**
 * Shape/stride bookkeeping shared by the strided kernels (`copy`, `binary`, `where`).
 *
 * Dimensions of size 1 are dropped and neighbouring dimensions are merged wherever every
 * operand walks them as one run, so the common cases (same-shape contiguous, a broadcast
 * row, a broadcast column, a transpose) reach the inner loop with rank 1 or 2 and the
 * odometer in the kernels ticks once per row, never per element.
 */
export interface Collapsed {
  /** Collapsed shape (rank ≥ 1; `[1]` for a scalar). */
  readonly shape: number[];
  /** One stride list per operand, each `shape.length` long. */
  readonly strides: number[][];
}

export function collapseDims(
  shape: readonly number[],
  strideSets: readonly (readonly number[])[],
): Collapsed {
  const outShape: number[] = [];
  const outStrides: number[][] = strideSets.map(() => []);
  const k = strideSets.length;
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d];
    if (n === 1) continue;
    const last = outShape.length - 1;
    let merge = last >= 0;
    for (let j = 0; merge && j < k; j++) {
      if (outStrides[j][last] !== strideSets[j][d] * n) merge = false;
    }
    if (merge) {
      outShape[last] *= n;
      for (let j = 0; j < k; j++) outStrides[j][last] = strideSets[j][d];
    } else {
      outShape.push(n);
      for (let j = 0; j < k; j++) outStrides[j].push(strideSets[j][d]);
    }
  }
  if (outShape.length === 0) {
    outShape.push(1);
    for (let j = 0; j < k; j++) outStrides[j].push(0);
  }
  return { shape: outShape, strides: outStrides };
}

/** Product of a shape's dimensions. */
export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i];
  return n;
}

/** True when a view walks its storage row-major from offset 0 with natural strides. */
export function isNaturalContiguous(
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
): boolean {
  if (offset !== 0) return false;
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d];
    if (n !== 1 && strides[d] !== expected) return false;
    expected *= n;
  }
  return true;
}
