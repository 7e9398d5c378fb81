/**
 * `out = op(a, b)` over broadcast views, and against a scalar. Views are collapsed to the
 * fewest rows first; from PAR_ELEMENTS elements the work is split across the pool (one
 * collapsed dimension in 16-element units, more along the first dimension).
 */
import { type BinaryOp, bytesPerElement, type DType, isFloat, type View } from '@stepwise/core';
import { binaryCode, dtypeCode } from '../opCodes.js';
import { PAR_ELEMENTS, type Runtime, SCALAR_CELL, THREAD_ARGS, THREAD_ARGS_STRIDE } from '../runtime.js';
import { viewPtr, type WasmStorage } from '../storage.js';
import { collapse } from './strided.js';

export function binary(
  rt: Runtime,
  op: BinaryOp,
  a: View,
  b: View,
  out: WasmStorage,
  outShape: readonly number[],
): void {
  if (out.size === 0) return;
  const adt = a.storage.dtype;
  const bdt = b.storage.dtype;
  // Same-shape contiguous operands (most ops of a training step) are one row already: no
  // collapse, whose array bookkeeping was the largest cost of a 4-element add.
  if (rowMajor(a.strides, outShape) && rowMajor(b.strides, outShape)) {
    binaryRow(rt, op, viewPtr(a), adt, 1, viewPtr(b), bdt, 1, out);
    return;
  }
  const c = collapse(outShape, [a.strides, b.strides]);
  if (c.shape.length === 1) {
    binaryRow(rt, op, viewPtr(a), adt, c.strides[0][0], viewPtr(b), bdt, c.strides[1][0], out);
    return;
  }
  rt.writeMeta(c.shape, c.strides[0], c.strides[1]);
  const pool = c.shape[0] >= 2 ? rt.poolFor(out.size, PAR_ELEMENTS) : undefined;
  if (pool) {
    rt.runJob(pool, 'rows', {
      which: 0,
      op: binaryCode[op],
      dt0: dtypeCode[adt],
      dt1: dtypeCode[bdt],
      odt: dtypeCode[out.dtype],
      p0: viewPtr(a),
      p1: viewPtr(b),
      p2: 0,
      out: out.ptr,
      ndim: c.shape.length,
      meta: rt.meta,
      perThread: rt.meta + THREAD_ARGS,
      perThreadStride: THREAD_ARGS_STRIDE,
      esz0: bytesPerElement(adt),
      esz1: bytesPerElement(bdt),
      esz2: 0,
      outEsz: bytesPerElement(out.dtype),
      outRow: out.size / c.shape[0],
      unit: 1,
    });
    return;
  }
  const k = rt.k;
  k.binary(
    binaryCode[op],
    dtypeCode[adt],
    dtypeCode[bdt],
    dtypeCode[out.dtype],
    viewPtr(a),
    viewPtr(b),
    out.ptr,
    c.shape.length,
    rt.meta,
  );
}

/**
 * `op(a, s)`, or `op(s, a)` when `scalarFirst`. The scalar goes into a cell read with stride
 * 0, in the tensor's dtype when that is exact for floats (PyTorch computes float32 ops on a
 * float32 scalar) or the value is an int32; otherwise as float64 through the general path.
 */
export function binaryScalar(
  rt: Runtime,
  op: BinaryOp,
  a: WasmStorage,
  s: number,
  out: WasmStorage,
  scalarFirst: boolean,
): void {
  if (out.size === 0) return;
  const cell = rt.meta + SCALAR_CELL;
  let cdt: DType;
  if (isFloat(a.dtype)) cdt = a.dtype;
  else if (a.dtype === 'int32' && Number.isInteger(s) && s >= -2147483648 && s <= 2147483647) cdt = 'int32';
  else cdt = 'float64';
  if (cdt === 'float32') rt.f32[cell >>> 2] = s;
  else if (cdt === 'float64') rt.f64[cell >>> 3] = s;
  else rt.i32[cell >>> 2] = s;
  if (scalarFirst) binaryRow(rt, op, cell, cdt, 0, a.ptr, a.dtype, 1, out);
  else binaryRow(rt, op, a.ptr, a.dtype, 1, cell, cdt, 0, out);
}

/** In place: `out += partial` elementwise, same float dtype (conv2d's weight-gradient partial sums). */
export function addInPlace(rt: Runtime, out: WasmStorage, partial: number): void {
  binaryRow(rt, 'add', out.ptr, out.dtype, 1, partial, out.dtype, 1, out, false);
}

/** Whether `strides` walk `shape` row-major and contiguously (size-1 dimensions aside). */
function rowMajor(strides: readonly number[], shape: readonly number[]): boolean {
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    const n = shape[d]!;
    if (n !== 1 && strides[d] !== step) return false;
    step *= n;
  }
  return true;
}

/**
 * One collapsed dimension of `out.size` elements, operands at byte offsets `aPtr`/`bPtr`
 * with element strides `sa`/`sb`: split across the pool when large, else one kernel call.
 */
function binaryRow(
  rt: Runtime,
  op: BinaryOp,
  aPtr: number,
  adt: DType,
  sa: number,
  bPtr: number,
  bdt: DType,
  sb: number,
  out: WasmStorage,
  parallel = true,
): void {
  const n = out.size;
  const pool = parallel ? rt.poolFor(n, PAR_ELEMENTS) : undefined;
  if (pool) {
    rt.runJob(pool, 'binary', {
      op: binaryCode[op],
      adt: dtypeCode[adt],
      bdt: dtypeCode[bdt],
      odt: dtypeCode[out.dtype],
      a: aPtr,
      b: bPtr,
      out: out.ptr,
      n,
      aStride: sa,
      bStride: sb,
      aEsz: bytesPerElement(adt),
      bEsz: bytesPerElement(bdt),
      outEsz: bytesPerElement(out.dtype),
      perThread: rt.meta + THREAD_ARGS,
      perThreadStride: THREAD_ARGS_STRIDE,
    });
    return;
  }
  const m = rt.meta >>> 2;
  rt.i32[m] = n;
  rt.i32[m + 1] = sa;
  rt.i32[m + 2] = sb;
  rt.k.binary(
    binaryCode[op],
    dtypeCode[adt],
    dtypeCode[bdt],
    dtypeCode[out.dtype],
    aPtr,
    bPtr,
    out.ptr,
    1,
    rt.meta,
  );
}
