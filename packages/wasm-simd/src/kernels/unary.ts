/** `out = op(x)`, contiguous; split across the pool from PAR_ELEMENTS elements. */
import { bytesPerElement, type UnaryOp } from '@stepwise/core';
import { dtypeCode, unaryCode } from '../opCodes.js';
import { PAR_ELEMENTS, type Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function unary(rt: Runtime, op: UnaryOp, x: WasmStorage, out: WasmStorage): void {
  const pool = rt.poolFor(x.size, PAR_ELEMENTS);
  if (pool) {
    rt.runJob(pool, 'unary', {
      op: unaryCode[op],
      dt: dtypeCode[x.dtype],
      odt: dtypeCode[out.dtype],
      x: x.ptr,
      out: out.ptr,
      n: x.size,
      xEsz: bytesPerElement(x.dtype),
      outEsz: bytesPerElement(out.dtype),
    });
    return;
  }
  rt.k.unary(unaryCode[op], dtypeCode[x.dtype], dtypeCode[out.dtype], x.ptr, out.ptr, x.size);
}
