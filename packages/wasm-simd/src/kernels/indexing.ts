/** index_select / index_add / gather / scatter_add (index storages are int32, bounds-checked by core). */
import { bytesPerElement } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';
import { heapOf } from './copy.js';

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

/**
 * The writing form of scatterAdd: out[o, index[o, j, i], i] = src[o, j, i], the last of
 * repeated indices winning. A JS loop over the heap: it moves one element per index, so a
 * wasm kernel would buy little.
 */
export function scatter(
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
  const O = heapOf(rt, out);
  const S = heapOf(rt, src);
  const I = rt.i32;
  const at = index.ptr >>> 2;
  for (let o = 0, p = 0; o < outer; o++) {
    const base = O.at + o * lenOut * inner;
    for (let j = 0; j < lenIdx; j++) {
      for (let k = 0; k < inner; k++, p++) O.a[base + I[at + p]! * inner + k] = S.a[S.at + p]!;
    }
  }
}
