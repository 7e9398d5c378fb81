/** Reductions along the middle axis of [outer, len, inner] into [outer, inner]. */
import type { ReduceOp } from '@stepwise/core';
import { dtypeCode, reduceCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
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
