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
