/**
 * Strided layout arithmetic, as PyTorch's: how a tensor walks its storage, and when a new
 * shape can be a view of an old one.
 */

/** How a tensor sees its storage: element strides and the offset of its first element. */
export interface Layout {
  readonly strides: readonly number[];
  readonly offset: number;
}

/** Row-major strides of a contiguous tensor of `shape`. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i]!;
  }
  return strides;
}

/** True when `strides` walk `shape` row-major without gaps (size-1 dims may have any stride). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expected = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n === 0) return true;
    if (n !== 1 && strides[d] !== expected) return false;
    expected *= n;
  }
  return true;
}

/**
 * The strides that let `newShape` view the elements of a tensor of `oldShape`/`oldStrides`
 * in row-major order, or null when no strides can (PyTorch's `computeStride`: each run of
 * new dims must fall inside a run of old dims that is contiguous in memory).
 */
export function viewStrides(
  oldShape: readonly number[],
  oldStrides: readonly number[],
  newShape: readonly number[],
): number[] | null {
  if (oldShape.length === 0) return viewStrides([1], [1], newShape);
  const numel = oldShape.reduce((a, b) => a * b, 1);
  if (numel === 0) return rowMajorStrides(newShape);
  const out = new Array<number>(newShape.length);
  let viewD = newShape.length - 1;
  // The stride of the last old dim of the current contiguous chunk, and the chunk's numel.
  let chunkBaseStride = oldStrides[oldStrides.length - 1] ?? 1;
  let tensorNumel = 1;
  let viewNumel = 1;
  for (let d = oldShape.length - 1; d >= 0; d--) {
    tensorNumel *= oldShape[d]!;
    // The chunk ends here when the next old dim does not continue it in memory.
    if (d === 0 || (oldShape[d - 1] !== 1 && oldStrides[d - 1] !== tensorNumel * chunkBaseStride)) {
      while (viewD >= 0 && (viewNumel < tensorNumel || newShape[viewD] === 1)) {
        out[viewD] = viewNumel * chunkBaseStride;
        viewNumel *= newShape[viewD]!;
        viewD--;
      }
      if (viewNumel !== tensorNumel) return null;
      if (d > 0) {
        chunkBaseStride = oldStrides[d - 1]!;
        tensorNumel = 1;
        viewNumel = 1;
      }
    }
  }
  if (viewD !== -1) return null;
  return out;
}
