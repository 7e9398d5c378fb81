import type { Pool2dGeometry, TypedArray } from '@stepwise/core';

/**
 * torch.nn.functional.max_pool2d(..., return_indices=True) on `[channels, H, W]` planes
 * with -Infinity padding. Like PyTorch CPU, a NaN wins over any number (the last NaN in
 * the window, as its `val > max || isnan(val)` update does), and a window of only
 * -Infinity reports its first in-bounds element. A window with no in-bounds element at
 * all (dilated windows over padding) yields -Infinity and index -1, where PyTorch would
 * report an index outside the plane; the backward pass skips it.
 */
export function maxPool2dKernel(X: TypedArray, O: TypedArray, AM: TypedArray, g: Pool2dGeometry): void {
  const { channels, inH, inW, outH, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const inPlane = inH * inW;
  if (
    kH === 2 &&
    kW === 2 &&
    strideH === 2 &&
    strideW === 2 &&
    padH === 0 &&
    padW === 0 &&
    dilationH === 1 &&
    dilationW === 1 &&
    2 * outH <= inH &&
    2 * outW <= inW
  ) {
    maxPool2x2(X, O, AM, channels, inW, inPlane, outH, outW);
    return;
  }
  let p = 0;
  for (let c = 0; c < channels; c++) {
    const xBase = c * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const h0 = oh * strideH - padH;
      let hs = h0;
      while (hs < 0) hs += dilationH;
      const hEnd = Math.min(h0 + (kH - 1) * dilationH + 1, inH);
      for (let ow = 0; ow < outW; ow++, p++) {
        const w0 = ow * strideW - padW;
        let ws = w0;
        while (ws < 0) ws += dilationW;
        const wEnd = Math.min(w0 + (kW - 1) * dilationW + 1, inW);
        let best = Number.NEGATIVE_INFINITY;
        // A window lying wholly in the padding (possible with dilation) selects nothing: -1.
        let bestIdx = hs < hEnd && ws < wEnd ? hs * inW + ws : -1;
        for (let h = hs; h < hEnd; h += dilationH) {
          for (let w = ws; w < wEnd; w += dilationW) {
            const idx = h * inW + w;
            const v = X[xBase + idx];
            if (v > best || Number.isNaN(v)) {
              best = v;
              bestIdx = idx;
            }
          }
        }
        O[p] = best;
        AM[p] = bestIdx;
      }
    }
  }
}

/**
 * The common 2×2 / stride 2 window with no padding, every window inside: the general loop's
 * rule (a larger value or a NaN replaces the best, starting from the first element) with
 * the four candidates unrolled.
 */
function maxPool2x2(
  X: TypedArray,
  O: TypedArray,
  AM: TypedArray,
  channels: number,
  inW: number,
  inPlane: number,
  outH: number,
  outW: number,
): void {
  let p = 0;
  for (let c = 0; c < channels; c++) {
    const xBase = c * inPlane;
    for (let oh = 0; oh < outH; oh++) {
      const row = 2 * oh * inW;
      for (let ow = 0; ow < outW; ow++, p++) {
        const i0 = row + 2 * ow;
        const q = xBase + i0;
        let best = X[q]!;
        let idx = i0;
        let v = X[q + 1]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          idx = i0 + 1;
        }
        v = X[q + inW]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          idx = i0 + inW;
        }
        v = X[q + inW + 1]!;
        if (v > best || Number.isNaN(v)) {
          best = v;
          idx = i0 + inW + 1;
        }
        O[p] = best;
        AM[p] = idx;
      }
    }
  }
}

/** The gradient of max_pool2d: each gradOut element adds into the input it selected. */
export function maxPool2dBackwardKernel(
  GO: TypedArray,
  AM: TypedArray,
  GX: TypedArray,
  g: Pool2dGeometry,
): void {
  const { channels, inH, inW, outH, outW } = g;
  const inPlane = inH * inW;
  const outPlane = outH * outW;
  GX.fill(0, 0, channels * inPlane);
  for (let c = 0, p = 0; c < channels; c++) {
    const xBase = c * inPlane;
    for (let i = 0; i < outPlane; i++, p++) {
      const a = AM[p];
      if (a >= 0) GX[xBase + a] += GO[p];
    }
  }
}
