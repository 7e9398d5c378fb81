/** Max pooling and its backward (assembly/conv.ts); the geometry goes in as core's flat list. */
import { type Pool2dGeometry, pool2dGeometryValues } from '@stepwise/core';
import { dtypeCode } from '../opCodes.js';
import type { Runtime } from '../runtime.js';
import type { WasmStorage } from '../storage.js';

export function maxPool2d(
  rt: Runtime,
  x: WasmStorage,
  out: WasmStorage,
  argmax: WasmStorage,
  g: Pool2dGeometry,
): void {
  rt.writeMeta(pool2dGeometryValues(g));
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
  rt.k.maxPool2dBackward(dtypeCode[gradX.dtype], gradOut.ptr, argmax.ptr, gradX.ptr, rt.meta);
}
