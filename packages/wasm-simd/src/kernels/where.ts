/** torch.where over broadcast views, collapsed to the fewest rows. */
import { bytesPerElement, isFloat, type View } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import { PAR_ELEMENTS, type Runtime, THREAD_ARGS, THREAD_ARGS_STRIDE } from '../runtime.js';
import { viewPtr, type WasmStorage, ws } from '../storage.js';
import { collapse } from './strided.js';

/**
 * `out = cond != 0 ? a : b`. A float condition is cast to a temporary bool block first:
 * -0.0 is false and NaN true, which the cast gets right and a bit test would not. From
 * PAR_ELEMENTS elements it is split across the pool along the first collapsed dimension.
 */
export function where(
  rt: Runtime,
  cond: View,
  a: View,
  b: View,
  out: WasmStorage,
  outShape: readonly number[],
): void {
  if (out.size === 0) return;
  const c = ws(cond.storage);
  let cdt = c.dtype;
  let cPtr = viewPtr(cond);
  let tmp = -1;
  if (isFloat(cdt)) {
    tmp = rt.heap.alloc(c.size);
    rt.k.cast(dtypeCode[cdt], dtypeCode.bool, c.ptr, tmp, c.size);
    cPtr = tmp + cond.offset * bytesPerElement('bool');
    cdt = 'bool';
  }
  const col = collapse(outShape, [cond.strides, a.strides, b.strides]);
  rt.writeMeta(col.shape, col.strides[0], col.strides[1], col.strides[2]);
  const pool = col.shape[0] >= 2 ? rt.poolFor(out.size, PAR_ELEMENTS) : undefined;
  if (pool) {
    const esz = bytesPerElement(out.dtype);
    rt.runJob(pool, 'rows', {
      which: 1,
      op: 0,
      dt0: dtypeCode[cdt],
      dt1: 0,
      odt: dtypeCode[out.dtype],
      p0: cPtr,
      p1: viewPtr(a),
      p2: viewPtr(b),
      out: out.ptr,
      ndim: col.shape.length,
      meta: rt.meta,
      perThread: rt.meta + THREAD_ARGS,
      perThreadStride: THREAD_ARGS_STRIDE,
      esz0: bytesPerElement(cdt),
      esz1: esz,
      esz2: esz,
      outEsz: esz,
      outRow: out.size / col.shape[0],
      unit: col.shape.length === 1 ? 16 : 1,
    });
    if (tmp >= 0) rt.heap.free(tmp, c.size);
    return;
  }
  const k = rt.k;
  k.where(
    dtypeCode[cdt],
    dtypeCode[out.dtype],
    cPtr,
    viewPtr(a),
    viewPtr(b),
    out.ptr,
    col.shape.length,
    rt.meta,
  );
  if (tmp >= 0) rt.heap.free(tmp, c.size);
}
