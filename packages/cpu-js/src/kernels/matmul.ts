import { rowSumsGeometry, type TypedArray } from '@stepwise/core';
import { reduceKernel } from './reduce.js';
import { reluF32, unaryKernel } from './unary.js';

/** Σ_p A(i, p) B(p, j) for one output element, on strided operands. */
function dot(
  A: TypedArray,
  a: number,
  asp: number,
  B: TypedArray,
  b: number,
  bsp: number,
  k: number,
): number {
  let s = 0;
  for (let p = 0; p < k; p++, a += asp, b += bsp) s += A[a] * B[b];
  return s;
}

/**
 * One matrix product `O[oBase..] = op(A) @ op(B)` with element strides: A(i, p) is
 * `A[aBase + i*asi + p*asp]`, B(p, j) is `B[bBase + p*bsp + j*bsj]`, so both transpose
 * flags are only a choice of strides — no operand is copied.
 *
 * The body computes 4×4 output blocks with sixteen scalar accumulators: per step of p it
 * loads 4 values of A and 4 of B for 16 multiply-adds (a plain i-k-j loop reloads and
 * stores the output row for every single one). Accumulators are JS numbers (float64), the
 * sum over p runs in order and is rounded once on store, so float32 results are at least
 * as accurate as PyTorch's float32 GEMM. Edges take 4×1 and 1×4 blocks (four independent
 * sums each, which matters for the narrow products of small models: n = 1 or m = 1), the
 * last corner one dot product per element. Every output is the same sum in the same order,
 * whichever block computes it.
 */
export function matmulOne(
  A: TypedArray,
  aBase: number,
  asi: number,
  asp: number,
  B: TypedArray,
  bBase: number,
  bsp: number,
  bsj: number,
  O: TypedArray,
  oBase: number,
  m: number,
  k: number,
  n: number,
): void {
  const m4 = m - (m % 4);
  const n4 = n - (n % 4);
  for (let i = 0; i < m4; i += 4) {
    const a0 = aBase + i * asi;
    const a1 = a0 + asi;
    const a2 = a1 + asi;
    const a3 = a2 + asi;
    const o0 = oBase + i * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n4; j += 4) {
      let c00 = 0;
      let c01 = 0;
      let c02 = 0;
      let c03 = 0;
      let c10 = 0;
      let c11 = 0;
      let c12 = 0;
      let c13 = 0;
      let c20 = 0;
      let c21 = 0;
      let c22 = 0;
      let c23 = 0;
      let c30 = 0;
      let c31 = 0;
      let c32 = 0;
      let c33 = 0;
      let pa = 0;
      let pb = bBase + j * bsj;
      for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
        const x0 = A[a0 + pa];
        const x1 = A[a1 + pa];
        const x2 = A[a2 + pa];
        const x3 = A[a3 + pa];
        const y0 = B[pb];
        const y1 = B[pb + bsj];
        const y2 = B[pb + 2 * bsj];
        const y3 = B[pb + 3 * bsj];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      O[o0 + j] = c00;
      O[o0 + j + 1] = c01;
      O[o0 + j + 2] = c02;
      O[o0 + j + 3] = c03;
      O[o1 + j] = c10;
      O[o1 + j + 1] = c11;
      O[o1 + j + 2] = c12;
      O[o1 + j + 3] = c13;
      O[o2 + j] = c20;
      O[o2 + j + 1] = c21;
      O[o2 + j + 2] = c22;
      O[o2 + j + 3] = c23;
      O[o3 + j] = c30;
      O[o3 + j + 1] = c31;
      O[o3 + j + 2] = c32;
      O[o3 + j + 3] = c33;
    }
    // Columns past the last 4-block: 4 rows × 1 column, four independent sums (the narrow
    // products of a small model: `[m, k] @ [k, 1]`, a weight gradient `[k, m]ᵀ @ [k, 1]`).
    for (let j = n4; j < n; j++) {
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      let pa = 0;
      let pb = bBase + j * bsj;
      for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
        const y = B[pb];
        c0 += A[a0 + pa] * y;
        c1 += A[a1 + pa] * y;
        c2 += A[a2 + pa] * y;
        c3 += A[a3 + pa] * y;
      }
      O[o0 + j] = c0;
      O[o1 + j] = c1;
      O[o2 + j] = c2;
      O[o3 + j] = c3;
    }
  }
  // Rows past the last 4-block: 1 row × 4 columns (a `[1, k] @ [k, n]` weight gradient), then
  // one dot product per element.
  for (let i = m4; i < m; i++) {
    const a = aBase + i * asi;
    const o = oBase + i * n;
    for (let j = 0; j < n4; j += 4) {
      let c0 = 0;
      let c1 = 0;
      let c2 = 0;
      let c3 = 0;
      let pa = a;
      let pb = bBase + j * bsj;
      for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
        const x = A[pa];
        c0 += x * B[pb];
        c1 += x * B[pb + bsj];
        c2 += x * B[pb + 2 * bsj];
        c3 += x * B[pb + 3 * bsj];
      }
      O[o + j] = c0;
      O[o + j + 1] = c1;
      O[o + j + 2] = c2;
      O[o + j + 3] = c3;
    }
    for (let j = n4; j < n; j++) O[o + j] = dot(A, a, asp, B, bBase + j * bsj, bsp, k);
  }
}

/**
 * Adds `bias[j]` to each of `rows` output rows, in place: each output is read back as
 * stored (the product rounded to the dtype), so the sums are those of a separate broadcast
 * add, without its dispatch and output allocation. (Adding it inside the GEMM's blocks,
 * while they are in cache, measured slower in V8: a call per block.)
 */
function addBias(O: TypedArray, rows: number, n: number, bias: TypedArray): void {
  // Four rows per pass over the bias: one bias load for four outputs (see binary.ts's
  // rowBroadcastF32 for why the loop's own overhead matters on rows of 20).
  const rows4 = rows - (rows % 4);
  let r = 0;
  for (; r < rows4; r += 4) {
    const o0 = r * n;
    const o1 = o0 + n;
    const o2 = o1 + n;
    const o3 = o2 + n;
    for (let j = 0; j < n; j++) {
      const y = bias[j];
      O[o0 + j] += y;
      O[o1 + j] += y;
      O[o2 + j] += y;
      O[o3 + j] += y;
    }
  }
  for (let o = r * n; r < rows; r++, o += n) for (let j = 0; j < n; j++) O[o + j] += bias[j];
}

/**
 * Batched matrix product (torch.matmul / torch.bmm after core's shape handling): for each
 * batch index, `out[i] = op(a[i]) @ op(b[i])` (plus `bias` along each row, then ReLU when
 * `relu`, or ReLU's backward against `reluOut`; and op(a)'s row sums into `rowSums`:
 * `MatmulOptions`); a batch stride of 0 broadcasts.
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
  bias: TypedArray | null = null,
  relu = false,
  reluOut: TypedArray | null = null,
  rowSums: TypedArray | null = null,
): void {
  const summed = product(
    A,
    B,
    O,
    batch,
    m,
    k,
    n,
    transA,
    transB,
    aBatchStride,
    bBatchStride,
    bias,
    relu,
    reluOut,
    rowSums,
  );
  // op(A)'s row sums by the sum reduction itself (batch 1), where the product's loop did
  // not take them.
  if (rowSums !== null && !summed) {
    const [outer, len, inner] = rowSumsGeometry(m, k, transA);
    reduceKernel('sum', A, outer, len, inner, rowSums, A instanceof Float64Array);
  }
}

/** `matmulKernel`'s product and its epilogue; true when it also stored the row sums. */
function product(
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
  bias: TypedArray | null,
  relu: boolean,
  reluOut: TypedArray | null,
  rowSums: TypedArray | null,
): boolean {
  // A stored [m, k] (or [k, m] when transposed); B stored [k, n] (or [n, k]).
  const asi = transA ? 1 : k;
  const asp = transA ? m : 1;
  const bsp = transB ? 1 : n;
  const bsj = transB ? k : 1;
  const f32 = O instanceof Float32Array && A instanceof Float32Array && B instanceof Float32Array;
  if (f32 && k === 1 && reluOut instanceof Float32Array) {
    for (let bi = 0; bi < batch; bi++) {
      outerReluBackwardF32(
        A,
        bi * aBatchStride,
        asi,
        B,
        bi * bBatchStride,
        bsj,
        O,
        bi * m * n,
        m,
        n,
        reluOut,
      );
    }
    return false;
  }
  if (f32 && k === 1) {
    for (let bi = 0; bi < batch; bi++) {
      outerF32(
        A,
        bi * aBatchStride,
        asi,
        B,
        bi * bBatchStride,
        bsj,
        O,
        bi * m * n,
        m,
        n,
        bias as Float32Array,
        relu,
      );
    }
    return false;
  }
  let summed = false;
  for (let bi = 0; bi < batch; bi++) {
    const a = bi * aBatchStride;
    const b = bi * bBatchStride;
    const o = bi * m * n;
    if (f32 && n === 1 && rowSums instanceof Float32Array) {
      columnRowSumsF32(A, a, asi, asp, B, b, bsp, O, o, m, k, rowSums);
      summed = true;
    } else if (f32 && n === 1) columnF32(A, a, asi, asp, B, b, bsp, O, o, m, k);
    // m = 1 (a weight gradient `[k, 1]ᵀ @ [k, n]`) is the same loop with the operands'
    // roles swapped: O[j] = Σ_p B(p, j) · A(p), the products (commutative) unchanged.
    else if (f32 && m === 1) columnF32(B, b, bsj, bsp, A, a, asp, O, o, n, k);
    else matmulOne(A, a, asi, asp, B, b, bsp, bsj, O, o, m, k, n);
  }
  if (bias !== null) addBias(O, batch * m, n, bias);
  // ReLU over the stored values, in place: the unary kernels read each element before
  // writing it.
  if (relu) {
    if (O instanceof Float32Array) reluF32(O, O, batch * m * n);
    else unaryKernel('relu', O, O, batch * m * n, false);
  }
  if (reluOut !== null) reluBackwardInPlace(O, reluOut, batch * m * n);
  return summed;
}

/**
 * `columnF32` that also stores op(A)'s row sums, `S[i] = Σ_p A(i, p)` (a Linear's bias
 * gradient beside its weight gradient `gᵀ @ x`): four rows per pass, each sum added in p
 * order from 0 in float64, as the sum reduction adds them (`reduceKernel`), so the values
 * are the same. Four, not eight: sixteen running sums would not stay in registers.
 */
function columnRowSumsF32(
  A: Float32Array,
  aBase: number,
  asi: number,
  asp: number,
  B: Float32Array,
  bBase: number,
  bsp: number,
  O: Float32Array,
  oBase: number,
  m: number,
  k: number,
  S: Float32Array,
): void {
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    let pa = aBase + i * asi;
    let pb = bBase;
    for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
      const y = B[pb];
      const a0 = A[pa];
      const a1 = A[pa + asi];
      const a2 = A[pa + 2 * asi];
      const a3 = A[pa + 3 * asi];
      c0 += a0 * y;
      c1 += a1 * y;
      c2 += a2 * y;
      c3 += a3 * y;
      s0 += a0;
      s1 += a1;
      s2 += a2;
      s3 += a3;
    }
    O[oBase + i] = c0;
    O[oBase + i + 1] = c1;
    O[oBase + i + 2] = c2;
    O[oBase + i + 3] = c3;
    S[i] = s0;
    S[i + 1] = s1;
    S[i + 2] = s2;
    S[i + 3] = s3;
  }
  for (; i < m; i++) {
    let c = 0;
    let t = 0;
    for (let p = 0, pa = aBase + i * asi, pb = bBase; p < k; p++, pa += asp, pb += bsp) {
      const v = A[pa];
      c += v * B[pb];
      t += v;
    }
    O[oBase + i] = c;
    S[i] = t;
  }
}

/** ReLU's backward over the stored product, in place: 0 where `reluOut` is ≤ 0. */
function reluBackwardInPlace(O: TypedArray, reluOut: TypedArray, size: number): void {
  for (let i = 0; i < size; i++) if (reluOut[i]! <= 0) O[i] = 0;
}

/**
 * `outerF32` with ReLU's backward in the same store (`MatmulOptions.reluBackwardOf`):
 * `reluOut[i, j] ≤ 0 ? 0 : A[i] · B[j]`, the product rounded as stored, as
 * `threshold_backward` of the stored product. The input gradient of a one-output Linear
 * after a ReLU (seed 002's second layer) without a second pass over the activation.
 */
function outerReluBackwardF32(
  A: Float32Array,
  aBase: number,
  asi: number,
  B: Float32Array,
  bBase: number,
  bsj: number,
  O: Float32Array,
  oBase: number,
  m: number,
  n: number,
  R: Float32Array,
): void {
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const a = aBase + i * asi;
    const x0 = A[a];
    const x1 = A[a + asi];
    const x2 = A[a + 2 * asi];
    const x3 = A[a + 3 * asi];
    const x4 = A[a + 4 * asi];
    const x5 = A[a + 5 * asi];
    const x6 = A[a + 6 * asi];
    const x7 = A[a + 7 * asi];
    const o = oBase + i * n;
    for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
      const y = B[pb];
      const oj = o + j;
      O[oj] = R[oj] <= 0 ? 0 : x0 * y + 0;
      O[oj + n] = R[oj + n] <= 0 ? 0 : x1 * y + 0;
      O[oj + 2 * n] = R[oj + 2 * n] <= 0 ? 0 : x2 * y + 0;
      O[oj + 3 * n] = R[oj + 3 * n] <= 0 ? 0 : x3 * y + 0;
      O[oj + 4 * n] = R[oj + 4 * n] <= 0 ? 0 : x4 * y + 0;
      O[oj + 5 * n] = R[oj + 5 * n] <= 0 ? 0 : x5 * y + 0;
      O[oj + 6 * n] = R[oj + 6 * n] <= 0 ? 0 : x6 * y + 0;
      O[oj + 7 * n] = R[oj + 7 * n] <= 0 ? 0 : x7 * y + 0;
    }
  }
  for (; i < m; i++) {
    const x = A[aBase + i * asi];
    const o = oBase + i * n;
    for (let j = 0, pb = bBase; j < n; j++, pb += bsj) O[o + j] = R[o + j] <= 0 ? 0 : x * B[pb] + 0;
  }
}

/**
 * A float32 product with n = 1, `O[i] = Σ_p A(i, p) · B(p)` (a layer with one output, a
 * weight gradient `[k, m]ᵀ @ [k, 1]`): eight sums per pass over B (then four, then one), so
 * the p-loop's cost (V8 reloads the arrays' bookkeeping every iteration) is shared by eight
 * outputs. The same sums, in the same order, as `matmulOne`'s. With the operands swapped it
 * also computes m = 1 products.
 */
function columnF32(
  A: Float32Array,
  aBase: number,
  asi: number,
  asp: number,
  B: Float32Array,
  bBase: number,
  bsp: number,
  O: Float32Array,
  oBase: number,
  m: number,
  k: number,
): void {
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    let c4 = 0;
    let c5 = 0;
    let c6 = 0;
    let c7 = 0;
    let pa = aBase + i * asi;
    let pb = bBase;
    for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
      const y = B[pb];
      c0 += A[pa] * y;
      c1 += A[pa + asi] * y;
      c2 += A[pa + 2 * asi] * y;
      c3 += A[pa + 3 * asi] * y;
      c4 += A[pa + 4 * asi] * y;
      c5 += A[pa + 5 * asi] * y;
      c6 += A[pa + 6 * asi] * y;
      c7 += A[pa + 7 * asi] * y;
    }
    const o = oBase + i;
    O[o] = c0;
    O[o + 1] = c1;
    O[o + 2] = c2;
    O[o + 3] = c3;
    O[o + 4] = c4;
    O[o + 5] = c5;
    O[o + 6] = c6;
    O[o + 7] = c7;
  }
  for (; i + 4 <= m; i += 4) {
    let c0 = 0;
    let c1 = 0;
    let c2 = 0;
    let c3 = 0;
    let pa = aBase + i * asi;
    let pb = bBase;
    for (let p = 0; p < k; p++, pa += asp, pb += bsp) {
      const y = B[pb];
      c0 += A[pa] * y;
      c1 += A[pa + asi] * y;
      c2 += A[pa + 2 * asi] * y;
      c3 += A[pa + 3 * asi] * y;
    }
    const o = oBase + i;
    O[o] = c0;
    O[o + 1] = c1;
    O[o + 2] = c2;
    O[o + 3] = c3;
  }
  for (; i < m; i++) O[oBase + i] = dot(A, aBase + i * asi, asp, B, bBase, bsp, k);
}

/**
 * A float32 product with k = 1, an outer product `O[i, j] = A[i] · B[j]` (a Linear layer
 * with one input feature, and its input gradient when it has one output): eight rows per
 * pass over B, and the bias added in the same store, `fround(A[i] · B[j]) + bias[j]` —
 * the product rounded to float32 as the GEMM stores it, then the add rounded again. `+ 0`
 * is the GEMM's sum from 0: a -0 product comes out +0, as there.
 */
function outerF32(
  A: Float32Array,
  aBase: number,
  asi: number,
  B: Float32Array,
  bBase: number,
  bsj: number,
  O: Float32Array,
  oBase: number,
  m: number,
  n: number,
  bias: Float32Array | null,
  relu: boolean,
): void {
  if (relu) {
    outerBiasReluF32(A, aBase, asi, B, bBase, bsj, O, oBase, m, n, bias);
    return;
  }
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const a = aBase + i * asi;
    const x0 = A[a];
    const x1 = A[a + asi];
    const x2 = A[a + 2 * asi];
    const x3 = A[a + 3 * asi];
    const x4 = A[a + 4 * asi];
    const x5 = A[a + 5 * asi];
    const x6 = A[a + 6 * asi];
    const x7 = A[a + 7 * asi];
    const o = oBase + i * n;
    if (bias === null) {
      for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
        const y = B[pb];
        const oj = o + j;
        O[oj] = x0 * y + 0;
        O[oj + n] = x1 * y + 0;
        O[oj + 2 * n] = x2 * y + 0;
        O[oj + 3 * n] = x3 * y + 0;
        O[oj + 4 * n] = x4 * y + 0;
        O[oj + 5 * n] = x5 * y + 0;
        O[oj + 6 * n] = x6 * y + 0;
        O[oj + 7 * n] = x7 * y + 0;
      }
    } else {
      for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
        const y = B[pb];
        const c = bias[j];
        const oj = o + j;
        O[oj] = Math.fround(x0 * y + 0) + c;
        O[oj + n] = Math.fround(x1 * y + 0) + c;
        O[oj + 2 * n] = Math.fround(x2 * y + 0) + c;
        O[oj + 3 * n] = Math.fround(x3 * y + 0) + c;
        O[oj + 4 * n] = Math.fround(x4 * y + 0) + c;
        O[oj + 5 * n] = Math.fround(x5 * y + 0) + c;
        O[oj + 6 * n] = Math.fround(x6 * y + 0) + c;
        O[oj + 7 * n] = Math.fround(x7 * y + 0) + c;
      }
    }
  }
  for (; i < m; i++) {
    const x = A[aBase + i * asi];
    const o = oBase + i * n;
    for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
      const p = x * B[pb] + 0;
      O[o + j] = bias === null ? p : Math.fround(p) + bias[j];
    }
  }
}

/**
 * `outerF32` with the bias (if any) and ReLU in the same store: `relu(fround(fround(A[i] ·
 * B[j]) + bias[j]))`, the sum rounded as stored before ReLU looks at it (a sum that rounds
 * to -0 stays -0, as PyTorch's relu of the stored addmm result; NaN stays NaN). The sum is
 * tested before it is rounded, and rounded once, by the store: a sum of two float32 values
 * is a multiple of 2^-149, so it is below 0 exactly when its rounding is, and the test gives
 * the same values for one conversion fewer an element (most of this loop's cost in V8).
 */
function outerBiasReluF32(
  A: Float32Array,
  aBase: number,
  asi: number,
  B: Float32Array,
  bBase: number,
  bsj: number,
  O: Float32Array,
  oBase: number,
  m: number,
  n: number,
  bias: Float32Array | null,
): void {
  // biome-ignore-start lint/complexity/useMathMinMax: Math.max(-0, 0) is 0; PyTorch keeps -0.
  let i = 0;
  for (; i + 8 <= m; i += 8) {
    const a = aBase + i * asi;
    const x0 = A[a];
    const x1 = A[a + asi];
    const x2 = A[a + 2 * asi];
    const x3 = A[a + 3 * asi];
    const x4 = A[a + 4 * asi];
    const x5 = A[a + 5 * asi];
    const x6 = A[a + 6 * asi];
    const x7 = A[a + 7 * asi];
    const o = oBase + i * n;
    for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
      const y = B[pb];
      const c = bias === null ? 0 : bias[j];
      const oj = o + j;
      const v0 = Math.fround(x0 * y + 0) + c;
      const v1 = Math.fround(x1 * y + 0) + c;
      const v2 = Math.fround(x2 * y + 0) + c;
      const v3 = Math.fround(x3 * y + 0) + c;
      const v4 = Math.fround(x4 * y + 0) + c;
      const v5 = Math.fround(x5 * y + 0) + c;
      const v6 = Math.fround(x6 * y + 0) + c;
      const v7 = Math.fround(x7 * y + 0) + c;
      O[oj] = v0 < 0 ? 0 : v0;
      O[oj + n] = v1 < 0 ? 0 : v1;
      O[oj + 2 * n] = v2 < 0 ? 0 : v2;
      O[oj + 3 * n] = v3 < 0 ? 0 : v3;
      O[oj + 4 * n] = v4 < 0 ? 0 : v4;
      O[oj + 5 * n] = v5 < 0 ? 0 : v5;
      O[oj + 6 * n] = v6 < 0 ? 0 : v6;
      O[oj + 7 * n] = v7 < 0 ? 0 : v7;
    }
  }
  for (; i < m; i++) {
    const x = A[aBase + i * asi];
    const o = oBase + i * n;
    for (let j = 0, pb = bBase; j < n; j++, pb += bsj) {
      const v = Math.fround(x * B[pb] + 0) + (bias === null ? 0 : bias[j]);
      O[o + j] = v < 0 ? 0 : v;
    }
  }
  // biome-ignore-end lint/complexity/useMathMinMax: see above
}
