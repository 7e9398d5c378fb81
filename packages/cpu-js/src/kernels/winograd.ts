import type { Conv2dGeometry, TypedArray } from '@stepwise/core';
import { ADD, micro, STORE } from './conv2d.js';

/**
 * float32 3×3 and 5×5 convolutions (stride 1, no dilation, one group: the seed-004 CNN's
 * layers, and most CNNs' 3×3 ones) by Winograd's minimal filtering: F(4×4, r×r) for the
 * forward and the input gradient and F(r×r, 4×4) for the weight gradient, α = r + 3 points
 * a side, in float64.
 *
 * Why: cpu-js's im2col GEMM runs near what scalar JS issues here (~5 GFLOP/s from a 4×4
 * float64 register tile), so a faster CNN needs fewer operations. Each 4×4 output tile
 * costs α² multiply-adds per input channel in the transformed domain (64 for 5×5, 36 for
 * 3×3) instead of 16·r² (400, 144), and the transforms are shared: the input's across
 * output channels, the filter's across the batch. The α² products of a tile are α² GEMMs
 * over the channels, run on the im2col path's packed micro-kernel.
 *
 * Values: every step is float64, each output rounded once to float32 as before, but the
 * sums are no longer those of the direct loop in its order: the transforms mix a tile's
 * inputs and cancel them out again, exactly in real arithmetic and to ~1e-15 of the tile's
 * magnitude in float64, far below float32's rounding. A result that is exactly 0 directly
 * may come out as such a tiny number. A tile mixes all its inputs, so an Inf or NaN would
 * reach outputs that do not see it: non-finite inputs take the direct path. float64
 * tensors always do (cpu-js in float64 is the conformance suites' reference).
 *
 * The matrices are Toom-Cook's for the points 0, ±1, ±2 (±1/2 for α = 8) and ∞: for `y = g ⋆ d`
 * (correlation, y of m, g of r, d of α = m + r − 1), `y = Aᵀ[(G g) ⊙ (Bᵀ d)]`, where G
 * evaluates g at the points (the Vandermonde rows, the last one g's top coefficient), Aᵀ is
 * that evaluation transposed for y, and Bᵀ the transposed Lagrange interpolation (its rows
 * the interpolating polynomials' coefficients, the last one the product of all (x − a)).
 * The points come in ± pairs, so each transform computes the even and odd parts once for
 * both rows of a pair.
 */

/** Tiles handled per pass: their transformed inputs (and products) stay in cache. */
const TILE_BLOCK = 64;
/** The largest α (5×5 filters) and its α² transformed points. */
const MAX_ALPHA = 8;
const MAX_XI = MAX_ALPHA * MAX_ALPHA;

function polyMul(p: readonly number[], q: readonly number[]): number[] {
  const out = new Array<number>(p.length + q.length - 1).fill(0);
  for (let i = 0; i < p.length; i++) for (let j = 0; j < q.length; j++) out[i + j]! += p[i]! * q[j]!;
  return out;
}

/**
 * Bᵀ for finite `points` and ∞: row j < α − 1 the coefficients of the Lagrange polynomial
 * of point j (1 there, 0 at the others), row α − 1 those of Π (x − a).
 */
function interpolationRows(points: readonly number[]): Float64Array {
  const n = points.length + 1;
  const bt = new Float64Array(n * n);
  points.forEach((aj, j) => {
    let p = [1];
    let den = 1;
    points.forEach((al, l) => {
      if (l === j) return;
      p = polyMul(p, [-al, 1]);
      den *= aj - al;
    });
    p.forEach((c, k) => {
      bt[j * n + k] = c / den;
    });
  });
  let all = [1];
  for (const a of points) all = polyMul(all, [-a, 1]);
  all.forEach((c, k) => {
    bt[(n - 1) * n + k] = c;
  });
  return bt;
}

// Bᵀ (derived, not typed in) by name: the first and last rows and the ± pairs' even (E)
// and odd (O) coefficients. α = 8: points 0, ±1, ±2, ±1/2; α = 6: 0, ±1, ±2.
const B8 = interpolationRows([0, 1, -1, 2, -2, 0.5, -0.5]);
const b8 = (i: number, k: number) => B8[i * 8 + k]!;
const [R0_0, R0_2, R0_4, R0_6] = [b8(0, 0), b8(0, 2), b8(0, 4), b8(0, 6)];
const [R7_1, R7_3, R7_5, R7_7] = [b8(7, 1), b8(7, 3), b8(7, 5), b8(7, 7)];
const [E1_2, E1_4, E1_6, O1_1, O1_3, O1_5] = [b8(1, 2), b8(1, 4), b8(1, 6), b8(1, 1), b8(1, 3), b8(1, 5)];
const [E3_2, E3_4, E3_6, O3_1, O3_3, O3_5] = [b8(3, 2), b8(3, 4), b8(3, 6), b8(3, 1), b8(3, 3), b8(3, 5)];
const [E5_2, E5_4, E5_6, O5_1, O5_3, O5_5] = [b8(5, 2), b8(5, 4), b8(5, 6), b8(5, 1), b8(5, 3), b8(5, 5)];
const B6 = interpolationRows([0, 1, -1, 2, -2]);
const b6 = (i: number, k: number) => B6[i * 6 + k]!;
const [S0_0, S0_2, S0_4, S5_1, S5_3, S5_5] = [b6(0, 0), b6(0, 2), b6(0, 4), b6(5, 1), b6(5, 3), b6(5, 5)];
const [F1_2, F1_4, P1_1, P1_3] = [b6(1, 2), b6(1, 4), b6(1, 1), b6(1, 3)];
const [F3_2, F3_4, P3_1, P3_3] = [b6(3, 2), b6(3, 4), b6(3, 1), b6(3, 3)];

/** The 1-D Bᵀ on α values `s[s0 + k·ss]` into `t[t0 + i·ts]`. */
function inputTransform1d(
  alpha: number,
  s: Float64Array,
  s0: number,
  ss: number,
  t: Float64Array,
  t0: number,
  ts: number,
): void {
  const d0 = s[s0]!;
  const d1 = s[s0 + ss]!;
  const d2 = s[s0 + 2 * ss]!;
  const d3 = s[s0 + 3 * ss]!;
  const d4 = s[s0 + 4 * ss]!;
  const d5 = s[s0 + 5 * ss]!;
  if (alpha === 6) {
    t[t0] = S0_0 * d0 + S0_2 * d2 + S0_4 * d4;
    let e = F1_2 * d2 + F1_4 * d4;
    let o = P1_1 * d1 + P1_3 * d3;
    t[t0 + ts] = e + o;
    t[t0 + 2 * ts] = e - o;
    e = F3_2 * d2 + F3_4 * d4;
    o = P3_1 * d1 + P3_3 * d3;
    t[t0 + 3 * ts] = e + o;
    t[t0 + 4 * ts] = e - o;
    t[t0 + 5 * ts] = S5_1 * d1 + S5_3 * d3 + S5_5 * d5;
    return;
  }
  const d6 = s[s0 + 6 * ss]!;
  const d7 = s[s0 + 7 * ss]!;
  t[t0] = R0_0 * d0 + R0_2 * d2 + R0_4 * d4 + R0_6 * d6;
  let e = E1_2 * d2 + E1_4 * d4 + E1_6 * d6;
  let o = O1_1 * d1 + O1_3 * d3 + O1_5 * d5;
  t[t0 + ts] = e + o;
  t[t0 + 2 * ts] = e - o;
  e = E3_2 * d2 + E3_4 * d4 + E3_6 * d6;
  o = O3_1 * d1 + O3_3 * d3 + O3_5 * d5;
  t[t0 + 3 * ts] = e + o;
  t[t0 + 4 * ts] = e - o;
  e = E5_2 * d2 + E5_4 * d4 + E5_6 * d6;
  o = O5_1 * d1 + O5_3 * d3 + O5_5 * d5;
  t[t0 + 5 * ts] = e + o;
  t[t0 + 6 * ts] = e - o;
  t[t0 + 7 * ts] = R7_1 * d1 + R7_3 * d3 + R7_5 * d5 + R7_7 * d7;
}

/**
 * The 1-D G (evaluation at 0, ±1, ±2, ±1/2 when α = 8, ∞) of `r` coefficients
 * `s[s0 + k·ss]` into α values `t[t0 + i·ts]`.
 */
function evaluate1d(
  alpha: number,
  s: Float64Array,
  s0: number,
  ss: number,
  r: number,
  t: Float64Array,
  t0: number,
  ts: number,
): void {
  const g0 = s[s0]!;
  // Even and odd parts at a = 1, 2, 1/2: Σ g_k a^k over even k, and over odd k.
  let e1 = g0;
  let o1 = 0;
  let e2 = g0;
  let o2 = 0;
  let eh = g0;
  let oh = 0;
  for (let k = 1, p2 = 2, ph = 0.5; k < r; k++, p2 *= 2, ph *= 0.5) {
    const g = s[s0 + k * ss]!;
    if (k & 1) {
      o1 += g;
      o2 += g * p2;
      oh += g * ph;
    } else {
      e1 += g;
      e2 += g * p2;
      eh += g * ph;
    }
  }
  t[t0] = g0;
  t[t0 + ts] = e1 + o1;
  t[t0 + 2 * ts] = e1 - o1;
  t[t0 + 3 * ts] = e2 + o2;
  t[t0 + 4 * ts] = e2 - o2;
  if (alpha === 8) {
    t[t0 + 5 * ts] = eh + oh;
    t[t0 + 6 * ts] = eh - oh;
  }
  t[t0 + (alpha - 1) * ts] = s[s0 + (r - 1) * ss]!;
}

/** Powers of 2 and of 1/2, for the output transform's rows. */
const POW2 = [1, 2, 4, 8, 16];
const POWH = [1, 0.5, 0.25, 0.125, 0.0625];

/**
 * The 1-D Aᵀ for `m` outputs (3 to 5): y_i = Σ_j a_j^i m_j over the finite points, plus
 * the last (∞) value in y_{m−1}. The ± pairs enter as sums (even i) and differences (odd).
 */
function output1d(
  alpha: number,
  s: Float64Array,
  s0: number,
  ss: number,
  m: number,
  t: Float64Array,
  t0: number,
  ts: number,
): void {
  const m0 = s[s0]!;
  const s1 = s[s0 + ss]! + s[s0 + 2 * ss]!;
  const d1 = s[s0 + ss]! - s[s0 + 2 * ss]!;
  const s2 = s[s0 + 3 * ss]! + s[s0 + 4 * ss]!;
  const d2 = s[s0 + 3 * ss]! - s[s0 + 4 * ss]!;
  const s3 = alpha === 8 ? s[s0 + 5 * ss]! + s[s0 + 6 * ss]! : 0;
  const d3 = alpha === 8 ? s[s0 + 5 * ss]! - s[s0 + 6 * ss]! : 0;
  const last = s[s0 + (alpha - 1) * ss]!;
  t[t0] = m0 + s1 + s2 + s3;
  for (let i = 1; i < m; i++) {
    const v = i & 1 ? d1 + POW2[i]! * d2 + POWH[i]! * d3 : s1 + POW2[i]! * s2 + POWH[i]! * s3;
    t[t0 + i * ts] = i === m - 1 ? v + last : v;
  }
}

const patch = new Float64Array(MAX_XI);
const half = new Float64Array(MAX_XI);
const small = new Float64Array(40);

/**
 * Bᵀ d B of the α×α patch of one plane (`h`×`w` at `base`) whose top-left is (r0, c0),
 * zero outside the plane, into `out[at + ξ·stride]` (ξ = αi + j: straight into a panel).
 */
function inputTile(
  alpha: number,
  X: TypedArray,
  base: number,
  h: number,
  w: number,
  r0: number,
  c0: number,
  out: Float64Array,
  at: number,
  stride: number,
): void {
  const d = patch;
  if (r0 >= 0 && c0 >= 0 && r0 + alpha <= h && c0 + alpha <= w) {
    for (let i = 0, q = base + r0 * w + c0; i < alpha; i++, q += w) {
      const o = i * alpha;
      for (let j = 0; j < alpha; j++) d[o + j] = X[q + j]!;
    }
  } else {
    for (let i = 0; i < alpha; i++) {
      const r = r0 + i;
      for (let j = 0; j < alpha; j++) {
        const c = c0 + j;
        d[i * alpha + j] = r >= 0 && r < h && c >= 0 && c < w ? X[base + r * w + c]! : 0;
      }
    }
  }
  for (let j = 0; j < alpha; j++) inputTransform1d(alpha, d, j, alpha, half, j, alpha);
  for (let i = 0; i < alpha; i++)
    inputTransform1d(alpha, half, i * alpha, 1, out, at + i * alpha * stride, stride);
}

/** G g Gᵀ of an r×r filter (`flip`: rotated 180°) into `out[at + ξ·stride]`. */
function filterTile(
  alpha: number,
  Wt: TypedArray,
  base: number,
  r: number,
  flip: boolean,
  out: Float64Array,
  at: number,
  stride: number,
): void {
  const g = small;
  for (let i = 0; i < r * r; i++) g[i] = Wt[base + (flip ? r * r - 1 - i : i)]!;
  for (let j = 0; j < r; j++) evaluate1d(alpha, g, j, r, r, half, j, r);
  for (let i = 0; i < alpha; i++) evaluate1d(alpha, half, i * r, 1, r, out, at + i * alpha * stride, stride);
}

/** Aᵀ M A of an α×α `M` (ξ = αi + j at `M[at + ξ·stride]`) into an m×m `out`. */
function outputTile(
  alpha: number,
  M: Float64Array,
  at: number,
  stride: number,
  m: number,
  out: Float64Array,
): void {
  for (let j = 0; j < alpha; j++) output1d(alpha, M, at + j * stride, alpha * stride, m, half, j, alpha);
  for (let i = 0; i < m; i++) output1d(alpha, half, i * alpha, 1, m, out, i * m, 1);
}

/** True when every element is finite (x − x is NaN for ±Inf and NaN). */
function allFinite(a: TypedArray, n: number): boolean {
  let acc = 0;
  for (let i = 0; i < n; i++) acc += a[i]! - a[i]!;
  return acc === 0;
}

/**
 * The most output × input channel pairs: the transformed filters (and the weight
 * gradient's sums) take α² ≤ 64 float64 values a pair, 32 MiB at this bound, held (grown,
 * never shrunk) in module scratch; a wider layer takes the direct kernels.
 */
const MAX_CHANNEL_PAIRS = 1 << 16;

/** Whether `g` is a convolution these kernels compute (and is worth it): 3×3 or 5×5, stride 1. */
export function winogradFits(g: Conv2dGeometry, ...arrays: TypedArray[]): boolean {
  return (
    g.inChannels * g.outChannels <= MAX_CHANNEL_PAIRS &&
    g.kH === g.kW &&
    (g.kH === 3 || g.kH === 5) &&
    g.strideH === 1 &&
    g.strideW === 1 &&
    g.dilationH === 1 &&
    g.dilationW === 1 &&
    g.groups === 1 &&
    g.inChannels >= 4 &&
    g.outChannels >= 4 &&
    arrays.every((a) => a instanceof Float32Array)
  );
}

let scratch: Float64Array = new Float64Array(1 << 16);
let products: Float64Array = new Float64Array(1 << 14);
const tileOut = new Float64Array(MAX_XI);

function grown(buf: Float64Array, n: number): Float64Array {
  return buf.length >= n ? buf : new Float64Array(Math.max(n, buf.length * 2));
}

/**
 * A stride-1 r×r correlation of `X` [N, IC, H, W] into `O` [N, OC, OH, OW] with padding
 * (padH, padW), the filter of (oc, ic) at `filterBase(oc, ic)` in `Wt` (rotated when
 * `flip`), by F(4×4, r×r) (α = r + 3): the forward (filters [OC, IC]) and, with the roles
 * swapped, the input gradient. Returns false, computing nothing, when an input is not finite.
 */
function correlate(
  r: number,
  X: TypedArray,
  IC: number,
  H: number,
  W: number,
  Wt: TypedArray,
  filterBase: (oc: number, ic: number) => number,
  flip: boolean,
  O: TypedArray,
  OC: number,
  OH: number,
  OW: number,
  N: number,
  padH: number,
  padW: number,
): boolean {
  if (!allFinite(X, N * IC * H * W) || !allFinite(Wt, OC * IC * r * r)) return false;
  const alpha = r + 3;
  const xi = alpha * alpha;
  const tiles = new TileGrid(N, OH, OW);
  const OCp = Math.ceil(OC / 4) * 4;
  const uSize = xi * OCp * IC;
  const vSize = xi * TILE_BLOCK * IC;
  scratch = grown(scratch, uSize + vSize);
  products = grown(products, xi * OCp * TILE_BLOCK);
  const P = scratch;
  const M = products;
  // U: per ξ, row panels of 4 output channels, interleaved per input channel.
  P.fill(0, 0, uSize);
  for (let oc = 0; oc < OC; oc++)
    for (let ic = 0; ic < IC; ic++) {
      const at = ((oc >> 2) * IC + ic) * 4 + (oc & 3);
      filterTile(alpha, Wt, filterBase(oc, ic), r, flip, P, at, OCp * IC);
    }
  const planeIn = H * W;
  const planeOut = OH * OW;
  for (let t0 = 0; t0 < tiles.count; t0 += TILE_BLOCK) {
    const count = Math.min(TILE_BLOCK, tiles.count - t0);
    // V: per ξ, column panels of 4 tiles, interleaved per input channel.
    P.fill(0, uSize, uSize + vSize);
    for (let tl = 0; tl < count; tl++) {
      tiles.at(t0 + tl);
      for (let ic = 0; ic < IC; ic++) {
        const at = uSize + ((tl >> 2) * IC + ic) * 4 + (tl & 3);
        const plane = (tiles.n * IC + ic) * planeIn;
        inputTile(alpha, X, plane, H, W, tiles.r - padH, tiles.c - padW, P, at, TILE_BLOCK * IC);
      }
    }
    // The products, M_ξ [OCp, TILE_BLOCK] = U_ξ V_ξ.
    productsPerPoint(
      xi,
      P,
      IC,
      0,
      OCp * IC,
      IC * 4,
      OCp / 4,
      uSize,
      TILE_BLOCK * IC,
      IC * 4,
      Math.ceil(count / 4),
      M,
      OCp * TILE_BLOCK,
      TILE_BLOCK,
      STORE,
    );
    // Aᵀ M A per output channel and tile, clipped at the plane's edge.
    for (let oc = 0; oc < OC; oc++)
      for (let tl = 0; tl < count; tl++) {
        outputTile(alpha, M, oc * TILE_BLOCK + tl, OCp * TILE_BLOCK, 4, tileOut);
        tiles.at(t0 + tl);
        const oBase = (tiles.n * OC + oc) * planeOut + tiles.r * OW + tiles.c;
        const rows = Math.min(4, OH - tiles.r);
        const cols = Math.min(4, OW - tiles.c);
        for (let i = 0; i < rows; i++)
          for (let j = 0; j < cols; j++) O[oBase + i * OW + j] = tileOut[i * 4 + j]!;
      }
  }
  return true;
}

/**
 * The transformed-domain products, one per point ξ < xi: `O[ξ·oXi + i·ld + j] (=|+=)
 * Σ_p A_ξ(i, p) B_ξ(p, j)` over `kc` terms, A and B packed in `P` as 4-wide panels (panel q
 * of point ξ at `base + ξ·xi + q·panel`), on the im2col path's 4×4 micro-kernel.
 */
function productsPerPoint(
  xi: number,
  P: Float64Array,
  kc: number,
  aBase: number,
  aXi: number,
  aPanel: number,
  rowPanels: number,
  bBase: number,
  bXi: number,
  bPanel: number,
  colPanels: number,
  O: Float64Array,
  oXi: number,
  ld: number,
  mode: number,
): void {
  for (let x = 0; x < xi; x++) {
    const a = aBase + x * aXi;
    const b = bBase + x * bXi;
    const o = x * oXi;
    for (let jp = 0; jp < colPanels; jp++)
      for (let ip = 0; ip < rowPanels; ip++)
        micro(kc, P, a + ip * aPanel, b + jp * bPanel, O, o + ip * 4 * ld + jp * 4, ld, mode, 4, 4);
  }
}

/**
 * The 4×4 output tiles of a batch of `h`×`w` planes, numbered image by image, row by row;
 * `at(t)` sets tile t's image `n` and its top-left output row `r` and column `c`.
 */
class TileGrid {
  readonly across: number;
  readonly perImage: number;
  readonly count: number;
  n = 0;
  r = 0;
  c = 0;

  constructor(batch: number, h: number, w: number) {
    this.across = Math.ceil(w / 4);
    this.perImage = Math.ceil(h / 4) * this.across;
    this.count = batch * this.perImage;
  }

  at(t: number): void {
    const n = (t / this.perImage) | 0;
    const rest = t - n * this.perImage;
    const row = (rest / this.across) | 0;
    this.n = n;
    this.r = row * 4;
    this.c = (rest - row * this.across) * 4;
  }
}

/** conv2d's forward by F(4×4, r×r); false (nothing written) when an input is not finite. */
export function conv2dWinograd(X: TypedArray, Wt: TypedArray, O: TypedArray, g: Conv2dGeometry): boolean {
  const { inChannels: C, outChannels: K, kH: r } = g;
  return correlate(
    r,
    X,
    C,
    g.inH,
    g.inW,
    Wt,
    (oc, ic) => (oc * C + ic) * r * r,
    false,
    O,
    K,
    g.outH,
    g.outW,
    g.batch,
    g.padH,
    g.padW,
  );
}

/**
 * conv2d's input gradient: the correlation of the output gradient with the filters rotated
 * 180° and their channels swapped, padded by r − 1 − pad (the output-gradient rows that
 * reach each input row).
 */
export function conv2dBackwardInputWinograd(
  GO: TypedArray,
  Wt: TypedArray,
  GX: TypedArray,
  g: Conv2dGeometry,
): boolean {
  const { inChannels: C, outChannels: K, kH: r } = g;
  return correlate(
    r,
    GO,
    K,
    g.outH,
    g.outW,
    Wt,
    (c, k) => (k * C + c) * r * r,
    true,
    GX,
    C,
    g.inH,
    g.inW,
    g.batch,
    r - 1 - g.padH,
    r - 1 - g.padW,
  );
}

/**
 * conv2d's weight gradient by F(r×r, 4×4): each 4×4 tile of the output gradient is the
 * filter, the input patch under it the data, and the r×r result a tile's share of the
 * gradient. The shares are summed over every tile of every image in the transformed
 * domain — α² GEMMs over the tiles — and transformed back once per (out, in) channel pair.
 */
export function conv2dBackwardWeightWinograd(
  GO: TypedArray,
  X: TypedArray,
  GW: TypedArray,
  g: Conv2dGeometry,
): boolean {
  const { batch: N, inChannels: C, outChannels: K, inH: H, inW: W, outH: OH, outW: OW, kH: r } = g;
  if (!allFinite(GO, N * K * OH * OW) || !allFinite(X, N * C * H * W)) return false;
  const alpha = r + 3;
  const xi = alpha * alpha;
  const tiles = new TileGrid(N, OH, OW);
  const Kp = Math.ceil(K / 4) * 4;
  const Cp = Math.ceil(C / 4) * 4;
  const aSize = xi * Kp * TILE_BLOCK;
  const bSize = xi * Cp * TILE_BLOCK;
  scratch = grown(scratch, aSize + bSize);
  products = grown(products, xi * Kp * Cp);
  const P = scratch;
  const Z = products;
  const planeIn = H * W;
  const planeOut = OH * OW;
  const gTile = small;
  for (let t0 = 0; t0 < tiles.count; t0 += TILE_BLOCK) {
    const count = Math.min(TILE_BLOCK, tiles.count - t0);
    P.fill(0, 0, aSize + bSize);
    for (let tl = 0; tl < count; tl++) {
      tiles.at(t0 + tl);
      const rows = Math.min(4, OH - tiles.r);
      const cols = Math.min(4, OW - tiles.c);
      // A: per ξ, row panels of 4 output channels, interleaved per tile.
      for (let k = 0; k < K; k++) {
        const base = (tiles.n * K + k) * planeOut + tiles.r * OW + tiles.c;
        for (let i = 0; i < 4; i++)
          for (let j = 0; j < 4; j++) gTile[i * 4 + j] = i < rows && j < cols ? GO[base + i * OW + j]! : 0;
        const at = ((k >> 2) * TILE_BLOCK + tl) * 4 + (k & 3);
        const stride = Kp * TILE_BLOCK;
        for (let j = 0; j < 4; j++) evaluate1d(alpha, gTile, j, 4, 4, half, j, 4);
        for (let i = 0; i < alpha; i++)
          evaluate1d(alpha, half, i * 4, 1, 4, P, at + i * alpha * stride, stride);
      }
      // B: per ξ, column panels of 4 input channels, interleaved per tile.
      for (let c = 0; c < C; c++) {
        const at = aSize + ((c >> 2) * TILE_BLOCK + tl) * 4 + (c & 3);
        const plane = (tiles.n * C + c) * planeIn;
        inputTile(alpha, X, plane, H, W, tiles.r - g.padH, tiles.c - g.padW, P, at, Cp * TILE_BLOCK);
      }
    }
    // Z_ξ [Kp, Cp] += G_ξ V_ξᵀ over this block's tiles.
    const mode = t0 === 0 ? STORE : ADD;
    productsPerPoint(
      xi,
      P,
      count,
      0,
      Kp * TILE_BLOCK,
      TILE_BLOCK * 4,
      Kp / 4,
      aSize,
      Cp * TILE_BLOCK,
      TILE_BLOCK * 4,
      Cp / 4,
      Z,
      Kp * Cp,
      Cp,
      mode,
    );
  }
  for (let k = 0; k < K; k++)
    for (let c = 0; c < C; c++) {
      outputTile(alpha, Z, k * Cp + c, Kp * Cp, r, tileOut);
      const o = (k * C + c) * r * r;
      for (let i = 0; i < r * r; i++) GW[o + i] = tileOut[i]!;
    }
  return true;
}
