import type { Conv2dGeometry, TypedArray } from '@stepwise/core';

/**
 * conv2d as im2col + a GEMM (what PyTorch's CPU "slow_conv2d" path does too): per image and
 * group, the input patches are unfolded into a [Cin/groups·kH·kW, outH·outW] matrix, and each
 * of forward, input grad and weight grad is one matrix product with it.
 *
 * The products run on packed panels: both operands are copied, as float64, into panels of 4
 * rows (or columns) interleaved per step of the sum, all in one Float64Array, and a 4×4
 * micro-kernel keeps sixteen accumulators while it streams two panels with unit stride. The
 * unfolding writes straight into that panel layout, and the weights are packed once per call.
 * Every output is still Σ_p a(i, p)·b(p, j) in float64, in order from p = 0, rounded once on
 * store, and the weight gradient is still summed per image and then over images, so results
 * are the same, to the bit, as the plain im2col + `matmulOne` this replaced.
 */

/** Panels: A then B (packed operands), grown on demand. */
let panels: Float64Array = new Float64Array(4096);
/** The input gradient's unfolded matrix, and float64 accumulators. */
let colsScratch: Float64Array = new Float64Array(1024);
let accScratch: Float64Array = new Float64Array(256);
/** Where output pixel n of the forward's unfolded matrix lands in its panel (see unfoldPanels). */
let pixelSlot: Int32Array = new Int32Array(256);
/** An edge tile: the 16 sums of a 4×4 block that lies partly outside the output. */
const tile = new Float64Array(16);

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

export const STORE = 0;
export const ADD = 1;

/**
 * The 4×4 micro-kernel: sums s(i, j) = Σ_{p<kc} P[ap + 4p + i]·P[bp + 4p + j] (both panels in
 * `P`), then O[o + i·ld + j] = s (STORE) or += s (ADD) for the first `mr` rows and `nr`
 * columns.
 */
export function micro(
  kc: number,
  P: Float64Array,
  ap: number,
  bp: number,
  O: TypedArray,
  o: number,
  ld: number,
  mode: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0;
  let c01 = 0;
  let c02 = 0;
  let c03 = 0;
  let c10 = 0;
  let c11 = 0;
  let c12 = 0;
  let c13 = 0;
  let c20 = 0;
  let c21 = 0;
  let c22 = 0;
  let c23 = 0;
  let c30 = 0;
  let c31 = 0;
  let c32 = 0;
  let c33 = 0;
  const end = (ap + 4 * kc) | 0;
  for (; ap < end; ap = (ap + 4) | 0, bp = (bp + 4) | 0) {
    const a0 = P[ap];
    const a1 = P[(ap + 1) | 0];
    const a2 = P[(ap + 2) | 0];
    const a3 = P[(ap + 3) | 0];
    const b0 = P[bp];
    const b1 = P[(bp + 1) | 0];
    const b2 = P[(bp + 2) | 0];
    const b3 = P[(bp + 3) | 0];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (mr === 4 && nr === 4) {
    const o1 = o + ld;
    const o2 = o1 + ld;
    const o3 = o2 + ld;
    if (mode === STORE) {
      O[o] = c00;
      O[o + 1] = c01;
      O[o + 2] = c02;
      O[o + 3] = c03;
      O[o1] = c10;
      O[o1 + 1] = c11;
      O[o1 + 2] = c12;
      O[o1 + 3] = c13;
      O[o2] = c20;
      O[o2 + 1] = c21;
      O[o2 + 2] = c22;
      O[o2 + 3] = c23;
      O[o3] = c30;
      O[o3 + 1] = c31;
      O[o3 + 2] = c32;
      O[o3 + 3] = c33;
    } else {
      O[o] += c00;
      O[o + 1] += c01;
      O[o + 2] += c02;
      O[o + 3] += c03;
      O[o1] += c10;
      O[o1 + 1] += c11;
      O[o1 + 2] += c12;
      O[o1 + 3] += c13;
      O[o2] += c20;
      O[o2 + 1] += c21;
      O[o2 + 2] += c22;
      O[o2 + 3] += c23;
      O[o3] += c30;
      O[o3 + 1] += c31;
      O[o3 + 2] += c32;
      O[o3 + 3] += c33;
    }
    return;
  }
  const t = tile;
  t[0] = c00;
  t[1] = c01;
  t[2] = c02;
  t[3] = c03;
  t[4] = c10;
  t[5] = c11;
  t[6] = c12;
  t[7] = c13;
  t[8] = c20;
  t[9] = c21;
  t[10] = c22;
  t[11] = c23;
  t[12] = c30;
  t[13] = c31;
  t[14] = c32;
  t[15] = c33;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      if (mode === STORE) O[o + i * ld + j] = t[i * 4 + j];
      else O[o + i * ld + j] += t[i * 4 + j];
    }
  }
}

/**
 * Packs `rows` rows of a row-major matrix (element (i, p) at src[base + i·ld + p], p < k) into
 * panels of 4 rows at P[off..]: panel q holds (4q + i, p) at off + (q·k + p)·4 + i, zero past
 * the last row.
 */
function packRows(
  src: TypedArray,
  base: number,
  ld: number,
  rows: number,
  k: number,
  P: Float64Array,
  off: number,
): void {
  const panels = Math.ceil(rows / 4);
  for (let q = 0; q < panels; q++) {
    const d = off + q * k * 4;
    for (let i = 0; i < 4; i++) {
      const r = q * 4 + i;
      if (r >= rows) {
        for (let p = 0; p < k; p++) P[d + p * 4 + i] = 0;
        continue;
      }
      const s = base + r * ld;
      for (let p = 0; p < k; p++) P[d + p * 4 + i] = src[s + p];
    }
  }
}

/**
 * Packs `cols` columns of a row-major matrix (element (p, j) at src[base + p·ld + j], p < k)
 * into panels of 4 columns: panel q holds (p, 4q + j) at off + (q·k + p)·4 + j, zero past the
 * last column.
 */
function packCols(
  src: TypedArray,
  base: number,
  ld: number,
  k: number,
  cols: number,
  P: Float64Array,
  off: number,
): void {
  const panels = Math.ceil(cols / 4);
  for (let q = 0; q < panels; q++) {
    const d = off + q * k * 4;
    const c0 = q * 4;
    const n = Math.min(4, cols - c0);
    for (let p = 0; p < k; p++) {
      const s = base + p * ld + c0;
      const e = d + p * 4;
      for (let j = 0; j < 4; j++) P[e + j] = j < n ? src[s + j] : 0;
    }
  }
}

/**
 * Unfolds the patches of `cinG` channels starting at `xBase` as the forward's B operand:
 * im2col element (r, n) (r = (c, kh, kw), n an output pixel) goes to P[off + r·4 + slot[n]],
 * with slot[n] = ⌊n/4⌋·R·4 + n mod 4: panels of 4 pixels, R steps each. Zero padded.
 */
function unfoldPanels(
  X: TypedArray,
  xBase: number,
  cinG: number,
  g: Conv2dGeometry,
  P: Float64Array,
  off: number,
  slot: Int32Array,
): void {
  const { inH, inW, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const R = cinG * kH * kW;
  const np = Math.ceil((g.outH * outW) / 4);
  P.fill(0, off, off + np * R * 4);
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = xBase + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      const offH = kh * dilationH - padH;
      const oh0 = firstValid(offH, strideH);
      const oh1 = endValid(offH, strideH, inH, g.outH);
      for (let kw = 0; kw < kW; kw++, r++) {
        const offW = kw * dilationW - padW;
        const ow0 = firstValid(offW, strideW);
        const ow1 = endValid(offW, strideW, inW, outW);
        const d = off + r * 4;
        for (let oh = oh0; oh < oh1; oh++) {
          const src = plane + (oh * strideH + offH) * inW + offW;
          const n0 = oh * outW;
          for (let ow = ow0; ow < ow1; ow++) P[d + slot[n0 + ow]!] = X[src + ow * strideW]!;
        }
      }
    }
  }
}

/**
 * Unfolds the patches as the weight gradient's B operand (im2col transposed): element (r, n)
 * goes to P[off + (⌊r/4⌋·N + n)·4 + r mod 4] (N output pixels): panels of 4 im2col rows, one
 * step per pixel. Zero padded.
 */
function unfoldPanelsT(
  X: TypedArray,
  xBase: number,
  cinG: number,
  g: Conv2dGeometry,
  P: Float64Array,
  off: number,
): void {
  const { inH, inW, outW, kH, kW, strideH, strideW, padH, padW, dilationH, dilationW } = g;
  const R = cinG * kH * kW;
  const N = g.outH * outW;
  P.fill(0, off, off + Math.ceil(R / 4) * N * 4);
  let r = 0;
  for (let c = 0; c < cinG; c++) {
    const plane = xBase + c * inH * inW;
    for (let kh = 0; kh < kH; kh++) {
      const offH = kh * dilationH - padH;
      const oh0 = firstValid(offH, strideH);
      const oh1 = endValid(offH, strideH, inH, g.outH);
      for (let kw = 0; kw < kW; kw++, r++) {
        const offW = kw * dilationW - padW;
        const ow0 = firstValid(offW, strideW);
        const ow1 = endValid(offW, strideW, inW, outW);
        const d = off + (r >> 2) * N * 4 + (r & 3);
        for (let oh = oh0; oh < oh1; oh++) {
          const src = plane + (oh * strideH + offH) * inW + offW;
          const dr = d + oh * outW * 4;
          for (let ow = ow0; ow < ow1; ow++) P[dr + ow * 4] = X[src + ow * strideW]!;
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
  if (R === 0) {
    O.fill(0, 0, batch * outChannels * P);
    return;
  }
  const mp = Math.ceil(coutG / 4);
  const np = Math.ceil(P / 4);
  // A: the weights of every group (row panels of W_g), packed once; B: one image's patches.
  const aSize = groups * mp * R * 4;
  panels = grow(panels, aSize + np * R * 4);
  const buf = panels;
  for (let gr = 0; gr < groups; gr++) packRows(W, gr * coutG * R, R, coutG, R, buf, gr * mp * R * 4);
  if (pixelSlot.length < P) pixelSlot = new Int32Array(Math.max(P, pixelSlot.length * 2));
  const slot = pixelSlot;
  for (let n = 0; n < P; n++) slot[n] = (n >> 2) * R * 4 + (n & 3);
  for (let n = 0; n < batch; n++)
    for (let gr = 0; gr < groups; gr++) {
      const xBase = (n * inChannels + gr * cinG) * inPlane;
      const oBase = (n * outChannels + gr * coutG) * P;
      unfoldPanels(X, xBase, cinG, g, buf, aSize, slot);
      const ag = gr * mp * R * 4;
      for (let jp = 0; jp < np; jp++) {
        const nr = Math.min(4, P - jp * 4);
        const bp = aSize + jp * R * 4;
        for (let ip = 0; ip < mp; ip++) {
          const mr = Math.min(4, coutG - ip * 4);
          micro(R, buf, ag + ip * R * 4, bp, O, oBase + ip * 4 * P + jp * 4, P, STORE, mr, nr);
        }
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
  if (coutG === 0) {
    GX.fill(0, 0, batch * inChannels * inPlane);
    return;
  }
  // gradCols [R, P] = W_gᵀ [R, coutG] @ gradOut_g [coutG, P]: A = column panels of W_g
  // (packed once), B = column panels of gradOut_g (per image).
  const rp = Math.ceil(R / 4);
  const np = Math.ceil(P / 4);
  const aSize = groups * rp * coutG * 4;
  panels = grow(panels, aSize + np * coutG * 4);
  const buf = panels;
  for (let gr = 0; gr < groups; gr++) packCols(W, gr * coutG * R, R, coutG, R, buf, gr * rp * coutG * 4);
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
      packCols(GO, goBase, P, coutG, P, buf, aSize);
      const ag = gr * rp * coutG * 4;
      // 1×1: the products are the gradient (written straight into GX, as before).
      const O: TypedArray = direct ? GX : cols;
      const oBase = direct ? xBase : 0;
      for (let jp = 0; jp < np; jp++) {
        const nr = Math.min(4, P - jp * 4);
        const bp = aSize + jp * coutG * 4;
        for (let ip = 0; ip < rp; ip++) {
          const mr = Math.min(4, R - ip * 4);
          micro(coutG, buf, ag + ip * coutG * 4, bp, O, oBase + ip * 4 * P + jp * 4, P, STORE, mr, nr);
        }
      }
      if (direct) continue;
      acc.fill(0, 0, cinG * inPlane);
      col2im(cols, cinG, g, acc);
      for (let i = 0, len = cinG * inPlane; i < len; i++) GX[xBase + i] = acc[i]!;
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
  accScratch = grow(accScratch, outChannels * R);
  const acc = accScratch;
  acc.fill(0, 0, outChannels * R);
  // gradW_g [coutG, R] += gradOut_g [coutG, P] @ colsᵀ [P, R], image by image: A = row panels
  // of gradOut_g, B = the unfolded patches in row panels of im2col (so column panels of colsᵀ).
  const mp = Math.ceil(coutG / 4);
  const rp = Math.ceil(R / 4);
  const aSize = mp * P * 4;
  panels = grow(panels, aSize + rp * P * 4);
  const buf = panels;
  if (P > 0 && R > 0) {
    for (let n = 0; n < batch; n++)
      for (let gr = 0; gr < groups; gr++) {
        const goBase = (n * outChannels + gr * coutG) * P;
        const xBase = (n * inChannels + gr * cinG) * inPlane;
        packRows(GO, goBase, P, coutG, P, buf, 0);
        unfoldPanelsT(X, xBase, cinG, g, buf, aSize);
        const aBase = gr * coutG * R;
        for (let jp = 0; jp < rp; jp++) {
          const nr = Math.min(4, R - jp * 4);
          const bp = aSize + jp * P * 4;
          for (let ip = 0; ip < mp; ip++) {
            const mr = Math.min(4, coutG - ip * 4);
            micro(P, buf, ip * P * 4, bp, acc, aBase + ip * 4 * R + jp * 4, R, ADD, mr, nr);
          }
        }
      }
  }
  for (let i = 0, len = outChannels * R; i < len; i++) GW[i] = acc[i]!;
}
