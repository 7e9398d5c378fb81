/** index_select / index_add / gather / scatter_add (index storages are int32, bounds-checked by core). */
import { bytesPerElement } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function indexSelect(
  rt: Runtime,
  x: WasmStorage,
  index: WasmStorage,
  out: WasmStorage,
  outer: number,
  len: number,
  inner: number,
): void {
  rt.k.indexSelect(bytesPerElement(x.dtype), x.ptr, index.ptr, index.size, out.ptr, outer, len, inner);
}

export function indexAdd(
  rt: Runtime,
  out: WasmStorage,
  index: WasmStorage,
  src: WasmStorage,
  outer: number,
  len: number,
  inner: number,
): void {
  rt.k.indexAdd(dtypeCode[out.dtype], out.ptr, index.ptr, index.size, src.ptr, outer, len, inner);
  if (out.dtype === 'bool') normaliseBool(rt, out);
}

export function gather(
  rt: Runtime,
  x: WasmStorage,
  index: WasmStorage,
  out: WasmStorage,
  outer: number,
  lenX: number,
  inner: number,
): void {
  if (outer * inner === 0) return;
  const lenIdx = index.size / (outer * inner);
  rt.k.gather(bytesPerElement(x.dtype), x.ptr, index.ptr, out.ptr, outer, lenX, lenIdx, inner);
}

export function scatterAdd(
  rt: Runtime,
  out: WasmStorage,
  index: WasmStorage,
  src: WasmStorage,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  if (outer * inner === 0) return;
  const lenIdx = index.size / (outer * inner);
  rt.k.scatterAdd(dtypeCode[out.dtype], out.ptr, index.ptr, src.ptr, outer, lenOut, lenIdx, inner);
  if (out.dtype === 'bool') normaliseBool(rt, out);
}

/** Bool sums wrap in a byte: anything non-zero is true. */
function normaliseBool(rt: Runtime, s: WasmStorage): void {
  const u8 = rt.u8;
  for (let p = s.ptr, e = s.ptr + s.size; p < e; p++) u8[p] = u8[p] !== 0 ? 1 : 0;
}
