/** Data movement: fill, cast, and the strided copy every view op lowers to. */
import { bytesPerElement, type View } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
import { viewPtr, type WasmStorage } from '../storage.js';
import { collapse } from './strided.js';

export function fill(rt: Runtime, s: WasmStorage, value: number): void {
  rt.k.fill(dtypeCode[s.dtype], s.ptr, s.size, value);
}

/** Same dtype: a byte copy; otherwise the kernel's conversion (to bool: x != 0). */
export function cast(rt: Runtime, src: WasmStorage, out: WasmStorage): void {
  if (src.dtype === out.dtype) rt.u8.copyWithin(out.ptr, src.ptr, src.ptr + src.bytes);
  else rt.k.cast(dtypeCode[src.dtype], dtypeCode[out.dtype], src.ptr, out.ptr, src.size);
}

/** Gathers a strided view into contiguous `out`; a view that collapses to one run is a byte copy. */
export function copy(rt: Runtime, src: View, out: WasmStorage): void {
  if (out.size === 0) return;
  const base = viewPtr(src);
  const c = collapse(src.shape, [src.strides]);
  if (c.shape.length === 1 && c.strides[0][0] === 1) {
    rt.u8.copyWithin(out.ptr, base, base + out.bytes);
    return;
  }
  rt.writeMeta(c.shape, c.strides[0]);
  rt.k.copy(bytesPerElement(src.storage.dtype), base, out.ptr, c.shape.length, rt.meta);
}
