/**
 * conv2d and its two backward pieces: im2col + the packed GEMM in the kernels
 * (assembly/conv.ts), one path for all three. The geometry goes into the argument block as
 * core's flat list; with a pool, batches of 2 or more are split across it by image.
 */
import { bytesPerElement, type Conv2dGeometry, conv2dGeometryValues } from '@stepwise/core';
import { U8 } from '../codes.js';
import { dtypeCode } from '../opCodes.js';
import { PAR_GEMM_FLOPS, type Runtime, THREAD_ARGS, THREAD_ARGS_STRIDE } from '../runtime.js';
import type { WasmStorage } from '../storage.js';
import { addInPlace } from './binary.js';

/** Which piece: 0 forward (x, w → out), 1 input gradient (gradOut, w → gradX), 2 weight gradient (gradOut, x → gradW). */
export type ConvPiece = 0 | 1 | 2;

export function conv(
  rt: Runtime,
  which: ConvPiece,
  a: WasmStorage,
  b: WasmStorage,
  out: WasmStorage,
  g: Conv2dGeometry,
): void {
  rt.writeMeta(conv2dGeometryValues(g));
  const k = rt.k;
  const esz = bytesPerElement(out.dtype);
  const flops = 2 * g.batch * g.outChannels * g.outH * g.outW * (g.inChannels / g.groups) * g.kH * g.kW;
  const pool = g.batch >= 2 ? rt.poolFor(flops, PAR_GEMM_FLOPS) : undefined;
  if (!pool) {
    const kernel = [k.conv2d, k.conv2dBackwardInput, k.conv2dBackwardWeight][which];
    kernel(
      dtypeCode[out.dtype],
      a.ptr,
      b.ptr,
      out.ptr,
      rt.meta,
      rt.scratch(k.convScratchBytes(rt.meta, esz)),
    );
    rt.releaseBigScratch();
    return;
  }
  // Split by image; each share gets its own scratch, and shares past the first of a weight
  // gradient write partial sums (one weight-sized block each), added into the result here.
  const T = pool.threads;
  const stride = Math.ceil(k.convScratchBytes(rt.meta, esz) / 64) * 64;
  const wBytes = Math.ceil((g.outChannels * (g.inChannels / g.groups) * g.kH * g.kW * esz) / 64) * 64;
  const scratch = rt.scratch(stride * T + (which === 2 ? wBytes * (T - 1) : 0));
  const partials = scratch + stride * T;
  rt.runJob(pool, 'conv', {
    which,
    dt: dtypeCode[out.dtype],
    esz,
    a: a.ptr,
    b: b.ptr,
    out: out.ptr,
    geometry: rt.meta,
    scratch,
    scratchStride: stride,
    perThread: rt.meta + THREAD_ARGS,
    perThreadStride: THREAD_ARGS_STRIDE,
    batch: g.batch,
    inImage: g.inChannels * g.inH * g.inW,
    outImage: g.outChannels * g.outH * g.outW,
    partials,
    partialBytes: wBytes,
    outBytes: out.bytes,
    u8: U8,
  });
  if (which === 2) {
    for (let w = 1; w < T; w++) {
      // A share with no images wrote nothing.
      if (Math.floor((g.batch * (w + 1)) / T) <= Math.floor((g.batch * w) / T)) continue;
      addInPlace(rt, out, partials + (w - 1) * wBytes);
    }
  }
  rt.releaseBigScratch();
}
