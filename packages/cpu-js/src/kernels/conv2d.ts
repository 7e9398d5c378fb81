import type { Conv2dGeometry, TypedArray } from '@stepwise/core';

let planeScratch = new Float64Array(1024);
function plane(n: number): Float64Array {
  if (planeScratch.length < n) planeScratch = new Float64Array(Math.max(n, planeScratch.length * 2));
  return planeScratch;
}

/** First output index `o` (0 ≤ o < outN) whose input `o*stride + off` is ≥ 0. */
function firstValid(off: number, stride: number): number {
  return off >= 0 ? 0 : Math.ceil(-off / stride);
}

/** One past the last output index whose input `o*stride + off` is < inN. */
function endValid(off: number, stride: number, inN: number, outN: number): number {
  if (inN - off <= 0) return 0;
  return Math.min(outN, Math.ceil((inN - off) / stride));
}

/**
 * torch.nn.functional.conv2d without bias (core adds it): input NCHW, weight
 * [Cout, Cin/groups, kH, kW], with stride, zero padding, dilation and groups.
 * Direct convolution: per output plane, every (input channel, kh, kw) tap adds a scaled,
 * strided input row segment into a float64 accumulator plane. Valid output ranges are
 * computed per tap, so the inner loop has no bounds tests.
 */
export function conv2dKernel(X: TypedArray, W: TypedArray, O: TypedArray, g: Conv2dGeometry): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const { strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const outPlane = outH * outW;
  const inPlane = inH * inW;
  const acc = plane(outPlane);
  for (let nb = 0; nb < batch; nb++) {
    for (let oc = 0; oc < outChannels; oc++) {
      const grp = (oc / coutG) | 0;
      acc.fill(0, 0, outPlane);
      for (let icg = 0; icg < cinG; icg++) {
        const xBase = (nb * inChannels + grp * cinG + icg) * inPlane;
        const wBase = (oc * cinG + icg) * kH * kW;
        for (let kh = 0; kh < kH; kh++) {
          const offH = kh * dilationH - padH;
          const oh0 = firstValid(offH, strideH);
          const oh1 = endValid(offH, strideH, inH, outH);
          for (let kw = 0; kw < kW; kw++) {
            const wv = W[wBase + kh * kW + kw];
            const offW = kw * dilationW - padW;
            const ow0 = firstValid(offW, strideW);
            const ow1 = endValid(offW, strideW, inW, outW);
            for (let oh = oh0; oh < oh1; oh++) {
              const xRow = xBase + (oh * strideH + offH) * inW + offW;
              const aRow = oh * outW;
              for (let ow = ow0; ow < ow1; ow++) acc[aRow + ow] += wv * X[xRow + ow * strideW];
            }
          }
        }
      }
      const oBase = (nb * outChannels + oc) * outPlane;
      for (let i = 0; i < outPlane; i++) O[oBase + i] = acc[i];
    }
  }
}

/**
 * The input gradient of conv2d (what PyTorch's convolution_backward returns as
 * grad_input): each gradOut element scatters through the taps it came from. One float64
 * accumulator plane per (batch, input channel), rounded once on store.
 */
export function conv2dBackwardInputKernel(
  GO: TypedArray,
  W: TypedArray,
  GX: TypedArray,
  g: Conv2dGeometry,
): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const { strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const outPlane = outH * outW;
  const inPlane = inH * inW;
  const acc = plane(inPlane);
  for (let nb = 0; nb < batch; nb++) {
    for (let ic = 0; ic < inChannels; ic++) {
      const grp = (ic / cinG) | 0;
      const icg = ic - grp * cinG;
      acc.fill(0, 0, inPlane);
      for (let ocg = 0; ocg < coutG; ocg++) {
        const oc = grp * coutG + ocg;
        const goBase = (nb * outChannels + oc) * outPlane;
        const wBase = (oc * cinG + icg) * kH * kW;
        for (let kh = 0; kh < kH; kh++) {
          const offH = kh * dilationH - padH;
          const oh0 = firstValid(offH, strideH);
          const oh1 = endValid(offH, strideH, inH, outH);
          for (let kw = 0; kw < kW; kw++) {
            const wv = W[wBase + kh * kW + kw];
            const offW = kw * dilationW - padW;
            const ow0 = firstValid(offW, strideW);
            const ow1 = endValid(offW, strideW, inW, outW);
            for (let oh = oh0; oh < oh1; oh++) {
              const xRow = (oh * strideH + offH) * inW + offW;
              const gRow = goBase + oh * outW;
              for (let ow = ow0; ow < ow1; ow++) acc[xRow + ow * strideW] += wv * GO[gRow + ow];
            }
          }
        }
      }
      const xBase = (nb * inChannels + ic) * inPlane;
      for (let i = 0; i < inPlane; i++) GX[xBase + i] = acc[i];
    }
  }
}

/**
 * The weight gradient of conv2d (grad_weight of PyTorch's convolution_backward):
 * `gradW[oc, icg, kh, kw] = Σ_{n, oh, ow} gradOut[n, oc, oh, ow] · x[n, ic, ih, iw]`,
 * accumulated in float64 per weight element.
 */
export function conv2dBackwardWeightKernel(
  GO: TypedArray,
  X: TypedArray,
  GW: TypedArray,
  g: Conv2dGeometry,
): void {
  const { batch, inChannels, inH, inW, outChannels, outH, outW, kH, kW, groups } = g;
  const { strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const cinG = inChannels / groups;
  const coutG = outChannels / groups;
  const outPlane = outH * outW;
  const inPlane = inH * inW;
  for (let oc = 0; oc < outChannels; oc++) {
    const grp = (oc / coutG) | 0;
    for (let icg = 0; icg < cinG; icg++) {
      const ic = grp * cinG + icg;
      for (let kh = 0; kh < kH; kh++) {
        const offH = kh * dilationH - padH;
        const oh0 = firstValid(offH, strideH);
        const oh1 = endValid(offH, strideH, inH, outH);
        for (let kw = 0; kw < kW; kw++) {
          const offW = kw * dilationW - padW;
          const ow0 = firstValid(offW, strideW);
          const ow1 = endValid(offW, strideW, inW, outW);
          let s = 0;
          for (let nb = 0; nb < batch; nb++) {
            const goBase = (nb * outChannels + oc) * outPlane;
            const xBase = (nb * inChannels + ic) * inPlane;
            for (let oh = oh0; oh < oh1; oh++) {
              const xRow = xBase + (oh * strideH + offH) * inW + offW;
              const gRow = goBase + oh * outW;
              for (let ow = ow0; ow < ow1; ow++) s += GO[gRow + ow] * X[xRow + ow * strideW];
            }
          }
          GW[((oc * cinG + icg) * kH + kh) * kW + kw] = s;
        }
      }
    }
  }
}
