/** Data movement: fill, cast, and the strided copy every view op lowers to. */
import { bytesPerElement, type TypedArray, type View } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
import { viewPtr, type WasmStorage, ws } from '../storage.js';
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

/** The heap as a typed array of `dtype`, and the element index of a storage's first element. */
export function heapOf(rt: Runtime, s: WasmStorage): { a: TypedArray; at: number } {
  switch (s.dtype) {
    case 'float32':
      return { a: rt.f32, at: s.ptr >>> 2 };
    case 'float64':
      return { a: rt.f64, at: s.ptr >>> 3 };
    case 'int32':
      return { a: rt.i32, at: s.ptr >>> 2 };
    case 'bool':
      return { a: rt.u8, at: s.ptr };
  }
}

/**
 * The inverse of `copy`: writes contiguous `src` into the strided view `dst`, in row-major
 * order of `dst.shape` (in-place ops on non-contiguous views). A view that collapses to one
 * run is a byte copy; otherwise a JS odometer over the heap: writes into views are rare and
 * memory-bound, so a wasm kernel would buy little.
 */
export function copyToView(rt: Runtime, src: WasmStorage, dst: View): void {
  if (src.size === 0) return;
  const c = collapse(dst.shape, [dst.strides]);
  const cs = c.shape;
  const st = c.strides[0]!;
  const r = cs.length;
  const n = cs[r - 1]!;
  const s = st[r - 1]!;
  if (r === 1 && s === 1) {
    const at = viewPtr(dst);
    rt.u8.copyWithin(at, src.ptr, src.ptr + src.bytes);
    return;
  }
  const S = heapOf(rt, src);
  const O = heapOf(rt, ws(dst.storage));
  const A = S.a;
  const B = O.a;
  const rows = src.size / n;
  const idx = new Array<number>(r).fill(0);
  let io = O.at + dst.offset;
  for (let row = 0, is = S.at; row < rows; row++) {
    for (let j = 0, k = io; j < n; j++, k += s) B[k] = A[is++]!;
    for (let d = r - 2; d >= 0; d--) {
      io += st[d]!;
      if (++idx[d]! < cs[d]!) break;
      io -= st[d]! * cs[d]!;
      idx[d] = 0;
    }
  }
}
