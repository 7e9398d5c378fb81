/**
 * Max pooling and its backward (assembly/conv.ts); the geometry goes in as core's flat list.
 * With a pool, large inputs are split across it by channel (planes are independent).
 */
import { bytesPerElement, type Pool2dGeometry, pool2dGeometryValues } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import { PAR_ELEMENTS, type Runtime, THREAD_ARGS, THREAD_ARGS_STRIDE } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function maxPool2d(
  rt: Runtime,
  x: WasmStorage,
  out: WasmStorage,
  argmax: WasmStorage,
  g: Pool2dGeometry,
): void {
  rt.writeMeta(pool2dGeometryValues(g));
  if (!pooled(rt, 0, x, out, argmax, g))
    rt.k.maxPool2d(dtypeCode[out.dtype], x.ptr, out.ptr, argmax.ptr, rt.meta);
}

export function maxPool2dBackward(
  rt: Runtime,
  gradOut: WasmStorage,
  argmax: WasmStorage,
  gradX: WasmStorage,
  g: Pool2dGeometry,
): void {
  rt.writeMeta(pool2dGeometryValues(g));
  if (!pooled(rt, 1, gradOut, gradX, argmax, g))
    rt.k.maxPool2dBackward(dtypeCode[gradX.dtype], gradOut.ptr, argmax.ptr, gradX.ptr, rt.meta);
}

/** Runs a large pooling (which 0) or its backward (1) on the pool, split by channel; false if not. */
function pooled(
  rt: Runtime,
  which: 0 | 1,
  src: WasmStorage,
  dst: WasmStorage,
  argmax: WasmStorage,
  g: Pool2dGeometry,
): boolean {
  const inPlane = g.inH * g.inW;
  const pool = g.channels >= 2 ? rt.poolFor(g.channels * inPlane, PAR_ELEMENTS) : undefined;
  if (!pool) return false;
  rt.runJob(pool, 'pool', {
    which,
    dt: dtypeCode[dst.dtype],
    esz: bytesPerElement(dst.dtype),
    x: src.ptr,
    out: dst.ptr,
    am: argmax.ptr,
    geometry: rt.meta,
    perThread: rt.meta + THREAD_ARGS,
    perThreadStride: THREAD_ARGS_STRIDE,
    channels: g.channels,
    inPlane,
    outPlane: g.outH * g.outW,
  });
  return true;
}
