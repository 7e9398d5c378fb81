import type { Conv2dGeometry, TypedArray } from '@stepwise/core';
import { matmulOne } from './matmul.js';

/**
 * conv2d as im2col + the blocked GEMM (what PyTorch's CPU "slow_conv2d" path does too):
 * per image and group, the input patches are unfolded into a [Cin/groups·kH·kW, outH·outW]
 * matrix, and each of forward, input grad and weight grad is one matrix product with it.
 * A 1×1 kernel with stride 1 and no padding needs no unfolding: the input is the matrix.
 */

let colsScratch: Float64Array = new Float64Array(1024);
let tmpScratch: Float64Array = new Float64Array(256);
let accScratch: Float64Array = new Float64Array(256);

function grow(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2));
}

/** First output index `o` whose input `o*stride + off` is ≥ 0. */
function firstValid(off: number, stride: number): number {
  return off >= 0 ? 0 : Math.ceil(-off / stride);
}

/** One past the last output index whose input `o*stride + off` is < inN. */
function endValid(off: number, stride: number, inN: number, outN: number): number {
  if (inN - off <= 0) return 0;
  return Math.min(outN, Math.ceil((inN - off) / stride));
}

function isPointwise(g: Conv2dGeometry): boolean {
  return g.kH === 1 && g.kW === 1 && g.strideH === 1 && g.strideW === 1 && g.padH === 0 && g.padW === 0;
}

/** Unfolds the patches of `cinG` channels starting at `xBase` into `cols` ([R, P], zero padded). */
function im2col(X: TypedArray, xBase: number, cinG: number, g: Conv2dGeometry, cols: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const P = outH * outW;
  cols.fill(0, 0, cinG * kH * kW * P);
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = xBase + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      const offH = kh * dilationH - padH;
      const oh0 = firstValid(offH, strideH);
      const oh1 = endValid(offH, strideH, inH, outH);
      for (let kw = 0; kw < kW; kw++, r++) {
        const offW = kw * dilationW - padW;
        const ow0 = firstValid(offW, strideW);
        const ow1 = endValid(offW, strideW, inW, outW);
        const rowBase = r * P;
        for (let oh = oh0; oh < oh1; oh++) {
          const src = plane + (oh * strideH + offH) * inW + offW;
          const dst = rowBase + oh * outW;
          for (let ow = ow0; ow < ow1; ow++) cols[dst + ow] = X[src + ow * strideW];
        }
      }
    }
  }
}

/** The adjoint of im2col: adds `cols` ([R, P]) back into `cinG` input planes of `acc`. */
function col2im(cols: Float64Array, cinG: number, g: Conv2dGeometry, acc: Float64Array): void {
  const { inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const P = outH * outW;
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      const offH = kh * dilationH - padH;
      const oh0 = firstValid(offH, strideH);
      const oh1 = endValid(offH, strideH, inH, outH);
      for (let kw = 0; kw < kW; kw++, r++) {
        const offW = kw * dilationW - padW;
        const ow0 = firstValid(offW, strideW);
        const ow1 = endValid(offW, strideW, inW, outW);
        const rowBase = r * P;
        for (let oh = oh0; oh < oh1; oh++) {
          const dst = plane + (oh * strideH + offH) * inW + offW;
          const src = rowBase + oh * outW;
          for (let ow = ow0; ow < ow1; ow++) acc[dst + ow * strideW] += cols[src + ow];
        }
      }
    }
  }
}

/** torch.nn.functional.conv2d without bias (core adds it): input NCHW, weight [Cout, Cin/groups, kH, kW]. */
export function conv2dKernel(X: TypedArray, W: TypedArray, O: TypedArray, g: Conv2dGeometry): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const R = cinG * kH * kW;
  const P = outH * outW;
  const inPlane = inH * inW;
  const direct = isPointwise(g);
  if (!direct) colsScratch = grow(colsScratch, R * P);
  const cols = colsScratch;
  for (let n = 0; n < batch; n++)
    for (let gr = 0; gr < groups; gr++) {
      const xBase = (n * inChannels + gr * cinG) * inPlane;
      const oBase = (n * outChannels + gr * coutG) * P;
      if (direct) matmulOne(W, gr * coutG * R, R, 1, X, xBase, inPlane, 1, O, oBase, coutG, R, P);
      else {
        im2col(X, xBase, cinG, g, cols);
        matmulOne(W, gr * coutG * R, R, 1, cols, 0, P, 1, O, oBase, coutG, R, P);
      }
    }
}

/** The input gradient of conv2d (grad_input of PyTorch's convolution_backward), overwritten. */
export function conv2dBackwardInputKernel(
  GO: TypedArray,
  W: TypedArray,
  GX: TypedArray,
  g: Conv2dGeometry,
): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const R = cinG * kH * kW;
  const P = outH * outW;
  const inPlane = inH * inW;
  const direct = isPointwise(g);
  if (!direct) {
    colsScratch = grow(colsScratch, R * P);
    accScratch = grow(accScratch, cinG * inPlane);
  }
  const cols = colsScratch;
  const acc = accScratch;
  for (let n = 0; n < batch; n++)
    for (let gr = 0; gr < groups; gr++) {
      const goBase = (n * outChannels + gr * coutG) * P;
      const xBase = (n * inChannels + gr * cinG) * inPlane;
      // gradCols [R, P] = W_gᵀ [R, coutG] @ gradOut_g [coutG, P]
      if (direct) {
        matmulOne(W, gr * coutG * R, 1, R, GO, goBase, P, 1, GX, xBase, R, coutG, P);
        continue;
      }
      matmulOne(W, gr * coutG * R, 1, R, GO, goBase, P, 1, cols, 0, R, coutG, P);
      acc.fill(0, 0, cinG * inPlane);
      col2im(cols, cinG, g, acc);
      for (let i = 0, len = cinG * inPlane; i < len; i++) GX[xBase + i] = acc[i];
    }
}

/** The weight gradient of conv2d (grad_weight of PyTorch's convolution_backward), overwritten. */
export function conv2dBackwardWeightKernel(
  GO: TypedArray,
  X: TypedArray,
  GW: TypedArray,
  g: Conv2dGeometry,
): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const R = cinG * kH * kW;
  const P = outH * outW;
  const inPlane = inH * inW;
  const direct = isPointwise(g);
  if (!direct) colsScratch = grow(colsScratch, R * P);
  tmpScratch = grow(tmpScratch, coutG * R);
  accScratch = grow(accScratch, outChannels * R);
  const cols = colsScratch;
  const tmp = tmpScratch;
  const acc = accScratch;
  acc.fill(0, 0, outChannels * R);
  for (let n = 0; n < batch; n++)
    for (let gr = 0; gr < groups; gr++) {
      const goBase = (n * outChannels + gr * coutG) * P;
      const xBase = (n * inChannels + gr * cinG) * inPlane;
      // gradW_g [coutG, R] += gradOut_g [coutG, P] @ colsᵀ [P, R]
      if (direct) matmulOne(GO, goBase, P, 1, X, xBase, 1, inPlane, tmp, 0, coutG, P, R);
      else {
        im2col(X, xBase, cinG, g, cols);
        matmulOne(GO, goBase, P, 1, cols, 0, 1, P, tmp, 0, coutG, P, R);
      }
      const aBase = gr * coutG * R;
      for (let i = 0, len = coutG * R; i < len; i++) acc[aBase + i] += tmp[i];
    }
  for (let i = 0, len = outChannels * R; i < len; i++) GW[i] = acc[i];
}
