/**
 * Reductions along the middle axis of [outer, len, inner] into [outer, inner]; from
 * PAR_ELEMENTS elements with two or more rows the pool splits the rows (each output is
 * reduced by one thread, in the same order as on one).
 */
import { bytesPerElement, type ReduceOp } from '@stepwise/core';
import { dtypeCode, reduceCode } from '../opCodes.js';
import { PAR_ELEMENTS, type Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function reduce(
  rt: Runtime,
  op: ReduceOp,
  x: WasmStorage,
  outer: number,
  len: number,
  inner: number,
  out: WasmStorage,
): void {
  if (outer * inner === 0) return;
  const k = rt.k;
  const pool = outer >= 2 ? rt.poolFor(outer * len * inner, PAR_ELEMENTS) : undefined;
  if (pool) {
    const stride = Math.ceil(k.reduceScratchBytes(inner) / 64) * 64;
    rt.runJob(pool, 'reduce', {
      op: reduceCode[op],
      dt: dtypeCode[x.dtype],
      odt: dtypeCode[out.dtype],
      x: x.ptr,
      outer,
      len,
      inner,
      out: out.ptr,
      scratch: rt.scratch(stride * pool.threads),
      scratchStride: stride,
      xEsz: bytesPerElement(x.dtype),
      outEsz: bytesPerElement(out.dtype),
    });
    rt.releaseBigScratch();
    return;
  }
  const scratch = rt.scratch(k.reduceScratchBytes(inner));
  k.reduce(
    reduceCode[op],
    dtypeCode[x.dtype],
    dtypeCode[out.dtype],
    x.ptr,
    outer,
    len,
    inner,
    out.ptr,
    scratch,
  );
  rt.releaseBigScratch();
}
