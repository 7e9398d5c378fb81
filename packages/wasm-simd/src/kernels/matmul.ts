/**
 * Batched matmul through the packed GEMM (assembly/matmul.ts). Transposed operands are
 * strides, so they cost nothing; large float products are split across the pool along M
 * (in 4-row units) or, for short matrices, along N.
 */
import { type Backend, bytesPerElement } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import { PAR_GEMM_FLOPS, type Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function matmul(
  rt: Runtime,
  a: WasmStorage,
  b: WasmStorage,
  out: WasmStorage,
  dims: Parameters<Backend['matmul']>[3],
  opts: Parameters<Backend['matmul']>[4],
): void {
  const { batch, k, n } = dims;
  let { m } = dims;
  if (batch * m * n === 0) return;
  const K = rt.k;
  const dt = dtypeCode[out.dtype];
  const esz = bytesPerElement(out.dtype);
  const rsA = opts.transA ? 1 : k;
  const csA = opts.transA ? m : 1;
  const rsB = opts.transB ? 1 : n;
  const csB = opts.transB ? k : 1;
  let batches = batch;
  // A stack of row-major A's against one shared B is a single taller GEMM.
  if (batch > 1 && !opts.transA && opts.bBatchStride === 0 && opts.aBatchStride === m * k) {
    m *= batch;
    batches = 1;
  }
  const pool =
    out.dtype !== 'int32' && (m >= 8 || n >= 16)
      ? rt.poolFor(2 * batches * m * n * k, PAR_GEMM_FLOPS)
      : undefined;
  if (pool) {
    // Each share packs into its own scratch block.
    const stride = Math.ceil(K.gemmScratchBytes(m, n, k, esz) / 64) * 64;
    rt.runJob(pool, 'gemm', {
      dt,
      m,
      n,
      k,
      a: a.ptr,
      rsA,
      csA,
      b: b.ptr,
      rsB,
      csB,
      c: out.ptr,
      ldc: n,
      scratch: rt.scratch(stride * pool.threads),
      scratchStride: stride,
      splitM: Math.ceil(m / 4) >= pool.threads || m >= n ? 1 : 0,
      batch: batches,
      aBatchBytes: opts.aBatchStride * esz,
      bBatchBytes: opts.bBatchStride * esz,
      cBatchBytes: m * n * esz,
      esz,
    });
    rt.releaseBigScratch();
    return;
  }
  const scratch = rt.scratch(K.gemmScratchBytes(m, n, k, esz));
  for (let i = 0; i < batches; i++) {
    const A = a.ptr + i * opts.aBatchStride * esz;
    const B = b.ptr + i * opts.bBatchStride * esz;
    K.gemm(dt, m, n, k, A, rsA, csA, B, rsB, csB, out.ptr + i * m * n * esz, n, false, scratch);
  }
  rt.releaseBigScratch();
}
