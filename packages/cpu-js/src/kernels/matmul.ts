import type { TypedArray } from '@stepwise/core';

let rowScratch = new Float64Array(256);
let transScratch = new Float64Array(256);

function row(n: number): Float64Array {
  if (rowScratch.length < n) rowScratch = new Float64Array(Math.max(n, rowScratch.length * 2));
  return rowScratch;
}

function transBuffer(n: number): Float64Array {
  if (transScratch.length < n) transScratch = new Float64Array(Math.max(n, transScratch.length * 2));
  return transScratch;
}

/**
 * Batched matrix product (torch.matmul / torch.bmm after core's shape handling).
 * Every output row is accumulated in float64 and rounded once when stored, so a float32
 * result is at least as accurate as PyTorch's float32 GEMM.
 *
 * Loop orders keep the innermost loop on contiguous memory without copying operands:
 *  - B plain: i-k-j, the inner loop runs along a row of B and of the accumulator
 *    (A transposed only changes how `a[i, k]` is fetched, once per (i, k));
 *  - B transposed, A plain: i-j-k dot products, both operands contiguous in k;
 *  - both transposed: B is transposed once per batch into a scratch and the i-k-j loop runs.
 */
export function matmulKernel(
  A: TypedArray,
  B: TypedArray,
  O: TypedArray,
  batch: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  aBatchStride: number,
  bBatchStride: number,
): void {
  const acc = row(n);
  for (let bi = 0; bi < batch; bi++) {
    const aBase = bi * aBatchStride;
    let bBase = bi * bBatchStride;
    const oBase = bi * m * n;
    let Bm: TypedArray | Float64Array = B;
    let bT = transB;
    if (transB && transA) {
      // Materialise op(b) as [k, n] once per batch: cheaper than strided inner loops.
      const t = transBuffer(k * n);
      for (let j = 0; j < n; j++) for (let p = 0, src = bBase + j * k; p < k; p++) t[p * n + j] = B[src + p];
      Bm = t;
      bBase = 0;
      bT = false;
    }
    if (!bT) {
      for (let i = 0; i < m; i++) {
        acc.fill(0, 0, n);
        for (let p = 0; p < k; p++) {
          const av = transA ? A[aBase + p * m + i] : A[aBase + i * k + p];
          const bRow = bBase + p * n;
          for (let j = 0; j < n; j++) acc[j] += av * Bm[bRow + j];
        }
        const oRow = oBase + i * n;
        for (let j = 0; j < n; j++) O[oRow + j] = acc[j];
      }
    } else {
      for (let i = 0; i < m; i++) {
        const aRow = aBase + i * k;
        const oRow = oBase + i * n;
        for (let j = 0; j < n; j++) {
          const bRow = bBase + j * k;
          let s = 0;
          for (let p = 0; p < k; p++) s += A[aRow + p] * B[bRow + p];
          O[oRow + j] = s;
        }
      }
    }
  }
}
