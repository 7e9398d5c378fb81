// conv2d through im2col + the packed GEMM, and max pooling.

import { F32 } from '../src/codes';
import { copyBytes, nan, zeroBytes } from './common';
import { gemm, gemmScratchBytes } from './matmul';

// Conv2dGeometry fields as i32 words, in Backend's order.
const G_BATCH = 0;
const G_INC = 1;
const G_INH = 2;
const G_INW = 3;
const G_OUTC = 4;
const G_OUTH = 5;
const G_OUTW = 6;
const G_KH = 7;
const G_KW = 8;
const G_SH = 9;
const G_SW = 10;
const G_PH = 11;
const G_PW = 12;
const G_DH = 13;
const G_DW = 14;
const G_GROUPS = 15;

function gi(g: usize, field: i32): i32 {
  return load<i32>(g + ((<usize>field) << 2));
}

function isPointwise(g: usize): bool {
  return (
    gi(g, G_KH) === 1 &&
    gi(g, G_KW) === 1 &&
    gi(g, G_SH) === 1 &&
    gi(g, G_SW) === 1 &&
    gi(g, G_PH) === 0 &&
    gi(g, G_PW) === 0
  );
}

/** Scratch bytes for any of the three conv kernels (im2col buffer + GEMM panels). */
export function convScratchBytes(g: usize, esz: i32): i32 {
  const groups = gi(g, G_GROUPS);
  const cg = gi(g, G_INC) / groups;
  const og = gi(g, G_OUTC) / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  let s = gemmScratchBytes(og, hw, kk, esz);
  const s2 = gemmScratchBytes(kk, hw, og, esz);
  const s3 = gemmScratchBytes(og, kk, hw, esz);
  if (s2 > s) s = s2;
  if (s3 > s) s = s3;
  return kk * hw * esz + s + 64;
}

/** First output column whose input column ow*s + off is >= 0. */
function validLo(off: i32, s: i32): i32 {
  return off >= 0 ? 0 : (-off + s - 1) / s;
}

/** One past the last output column whose input column ow*s + off is < inW (capped at outW). */
function validHi(off: i32, s: i32, inW: i32, outW: i32): i32 {
  const lim = inW - off; // need ow*s < lim
  if (lim <= 0) return 0;
  const h = (lim + s - 1) / s;
  return h < outW ? h : outW;
}

function im2col<T>(x: usize, cg: i32, g: usize, col: usize): void {
  const inH = gi(g, G_INH);
  const inW = gi(g, G_INW);
  const outH = gi(g, G_OUTH);
  const outW = gi(g, G_OUTW);
  const kH = gi(g, G_KH);
  const kW = gi(g, G_KW);
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const pH = gi(g, G_PH);
  const pW = gi(g, G_PW);
  const dH = gi(g, G_DH);
  const dW = gi(g, G_DW);
  const sz = sizeof<T>();
  let dst = col;
  for (let c = 0; c < cg; c++) {
    const plane = x + <usize>(c * inH * inW) * sz;
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * sH - pH + ki * dH;
          if (ih < 0 || ih >= inH) {
            zeroBytes(dst, <usize>outW * sz);
            dst += <usize>outW * sz;
            continue;
          }
          const row = plane + <usize>(ih * inW) * sz;
          // Output columns [lo, hi) read inside the row; the rest are padding zeros.
          const off = kj * dW - pW;
          const lo = validLo(off, sW);
          const hi = validHi(off, sW, inW, outW);
          if (hi <= lo) {
            zeroBytes(dst, <usize>outW * sz);
          } else {
            if (lo > 0) zeroBytes(dst, <usize>lo * sz);
            if (sW === 1)
              copyBytes(dst + <usize>lo * sz, row + <usize>(lo + off) * sz, <usize>(hi - lo) * sz);
            else {
              for (let ow = lo; ow < hi; ow++)
                store<T>(dst + <usize>ow * sz, load<T>(row + <usize>(ow * sW + off) * sz));
            }
            if (hi < outW) zeroBytes(dst + <usize>hi * sz, <usize>(outW - hi) * sz);
          }
          dst += <usize>outW * sz;
        }
      }
    }
  }
}

function col2imAdd<T>(col: usize, cg: i32, g: usize, x: usize): void {
  const inH = gi(g, G_INH);
  const inW = gi(g, G_INW);
  const outH = gi(g, G_OUTH);
  const outW = gi(g, G_OUTW);
  const kH = gi(g, G_KH);
  const kW = gi(g, G_KW);
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const pH = gi(g, G_PH);
  const pW = gi(g, G_PW);
  const dH = gi(g, G_DH);
  const dW = gi(g, G_DW);
  const sz = sizeof<T>();
  let src = col;
  for (let c = 0; c < cg; c++) {
    const plane = x + <usize>(c * inH * inW) * sz;
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        for (let oh = 0; oh < outH; oh++) {
          const ih = oh * sH - pH + ki * dH;
          if (ih < 0 || ih >= inH) {
            src += <usize>outW * sz;
            continue;
          }
          const row = plane + <usize>(ih * inW) * sz;
          const off = kj * dW - pW;
          const lo = validLo(off, sW);
          const hi = validHi(off, sW, inW, outW);
          if (sW === 1) {
            // Contiguous: x[lo + off ..] += col[lo ..], a vector at a time.
            const d = row + <usize>(lo + off) * sz;
            const sv = src + <usize>lo * sz;
            const n = hi - lo;
            let i = 0;
            for (; i + 16 / <i32>sz <= n; i += 16 / <i32>sz) {
              const q = d + <usize>i * sz;
              const a = v128.load(q);
              const b = v128.load(sv + <usize>i * sz);
              v128.store(q, sz === 4 ? f32x4.add(a, b) : f64x2.add(a, b));
            }
            for (; i < n; i++) {
              const q = d + <usize>i * sz;
              store<T>(q, load<T>(q) + load<T>(sv + <usize>i * sz));
            }
          } else {
            for (let ow = lo; ow < hi; ow++) {
              const q = row + <usize>(ow * sW + off) * sz;
              store<T>(q, load<T>(q) + load<T>(src + <usize>ow * sz));
            }
          }
          src += <usize>outW * sz;
        }
      }
    }
  }
}

function convForward<T>(dt: i32, x: usize, w: usize, out: usize, g: usize, scratch: usize): void {
  const sz = sizeof<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const pointwise = isPointwise(g);
  const col = (scratch + 15) & ~15;
  const gs = col + ((<usize>(kk * hw) * sz + 15) & ~15);
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = x + <usize>((nb * inC + gr * cg) * inHW) * sz;
      let b = col;
      if (pointwise) b = xg;
      else im2col<T>(xg, cg, g, col);
      const og0 = out + <usize>((nb * outC + gr * og) * hw) * sz;
      gemm(dt, og, hw, kk, w + <usize>(gr * og * kk) * sz, kk, 1, b, hw, 1, og0, hw, false, gs);
    }
  }
}

function convBackwardInput<T>(dt: i32, gout: usize, w: usize, gx: usize, g: usize, scratch: usize): void {
  const sz = sizeof<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const pointwise = isPointwise(g);
  const col = (scratch + 15) & ~15;
  const gs = col + ((<usize>(kk * hw) * sz + 15) & ~15);
  memory.fill(gx, 0, <usize>(batch * inC * inHW) * sz);
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = gx + <usize>((nb * inC + gr * cg) * inHW) * sz;
      const go = gout + <usize>((nb * outC + gr * og) * hw) * sz;
      const wg = w + <usize>(gr * og * kk) * sz;
      if (pointwise) {
        gemm(dt, kk, hw, og, wg, 1, kk, go, hw, 1, xg, hw, false, gs);
      } else {
        gemm(dt, kk, hw, og, wg, 1, kk, go, hw, 1, col, hw, false, gs);
        col2imAdd<T>(col, cg, g, xg);
      }
    }
  }
}

function convBackwardWeight<T>(dt: i32, gout: usize, x: usize, gw: usize, g: usize, scratch: usize): void {
  const sz = sizeof<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const pointwise = isPointwise(g);
  const col = (scratch + 15) & ~15;
  const gs = col + ((<usize>(kk * hw) * sz + 15) & ~15);
  if (batch === 0) memory.fill(gw, 0, <usize>(outC * kk) * sz);
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = x + <usize>((nb * inC + gr * cg) * inHW) * sz;
      let b = col;
      if (pointwise) b = xg;
      else im2col<T>(xg, cg, g, col);
      const go = gout + <usize>((nb * outC + gr * og) * hw) * sz;
      gemm(dt, og, kk, hw, go, hw, 1, b, 1, hw, gw + <usize>(gr * og * kk) * sz, kk, nb > 0, gs);
    }
  }
}

export function conv2d(dt: i32, x: usize, w: usize, out: usize, g: usize, scratch: usize): void {
  if (dt === F32) convForward<f32>(dt, x, w, out, g, scratch);
  else convForward<f64>(dt, x, w, out, g, scratch);
}

export function conv2dBackwardInput(
  dt: i32,
  gout: usize,
  w: usize,
  gx: usize,
  g: usize,
  scratch: usize,
): void {
  if (dt === F32) convBackwardInput<f32>(dt, gout, w, gx, g, scratch);
  else convBackwardInput<f64>(dt, gout, w, gx, g, scratch);
}

export function conv2dBackwardWeight(
  dt: i32,
  gout: usize,
  x: usize,
  gw: usize,
  g: usize,
  scratch: usize,
): void {
  if (dt === F32) convBackwardWeight<f32>(dt, gout, x, gw, g, scratch);
  else convBackwardWeight<f64>(dt, gout, x, gw, g, scratch);
}

// ---- max pooling: Pool2dGeometry fields as i32 words, in Backend's order ----

/**
 * PyTorch's update rule for one candidate: take it when larger than the best so far or NaN.
 * Values travel as integer bits (I = i32 for f32, i64 for f64) and are compared as floats:
 * V8 compiles a float `select` to a branch, which mispredicts on real data, while an
 * integer select becomes a conditional move.
 */
function takes<T, I>(v: I, best: I): bool {
  const fv = reinterpret<T>(v);
  return <bool>(<i32>(fv > reinterpret<T>(best)) | <i32>nan<T>(fv));
}

function maxPool<T, I>(x: usize, out: usize, am: usize, g: usize): void {
  const channels = gi(g, 0);
  const inH = gi(g, 1);
  const inW = gi(g, 2);
  const outH = gi(g, 3);
  const outW = gi(g, 4);
  const kH = gi(g, 5);
  const kW = gi(g, 6);
  const sH = gi(g, 7);
  const sW = gi(g, 8);
  const pH = gi(g, 9);
  const pW = gi(g, 10);
  const dH = gi(g, 11);
  const dW = gi(g, 12);
  const sz = sizeof<T>();
  let o: usize = 0;
  const inside =
    pH === 0 && pW === 0 && (outH - 1) * sH + (kH - 1) * dH < inH && (outW - 1) * sW + (kW - 1) * dW < inW;
  if (inside && kH === 2 && kW === 2 && sH === 2 && sW === 2 && dH === 1 && dW === 1) {
    // The common 2 x 2 / stride 2 pool, unrolled.
    for (let c = 0; c < channels; c++) {
      const plane = x + <usize>(c * inH * inW) * sz;
      for (let oh = 0; oh < outH; oh++) {
        const base = 2 * oh * inW;
        const r0 = plane + <usize>base * sz;
        const r1 = r0 + <usize>inW * sz;
        for (let ow = 0; ow < outW; ow++) {
          const q = <usize>(2 * ow) * sz;
          const i0 = base + 2 * ow;
          let best = load<I>(r0 + q);
          let bi = i0;
          const v1 = load<I>(r0 + q + sz);
          let t = takes<T, I>(v1, best);
          best = select<I>(v1, best, t);
          bi = select<i32>(i0 + 1, bi, t);
          const v2 = load<I>(r1 + q);
          t = takes<T, I>(v2, best);
          best = select<I>(v2, best, t);
          bi = select<i32>(i0 + inW, bi, t);
          const v3 = load<I>(r1 + q + sz);
          t = takes<T, I>(v3, best);
          best = select<I>(v3, best, t);
          bi = select<i32>(i0 + inW + 1, bi, t);
          store<I>(out + o * sz, best);
          store<i32>(am + (o << 2), bi);
          o++;
        }
      }
    }
    return;
  }
  for (let c = 0; c < channels; c++) {
    const plane = x + <usize>(c * inH * inW) * sz;
    for (let oh = 0; oh < outH; oh++) {
      const hs = oh * sH - pH;
      for (let ow = 0; ow < outW; ow++) {
        const ws = ow * sW - pW;
        // -inf, as bits: the first in-bounds element replaces it whatever its value.
        let best = isFloat<T>() && sz === 4 ? <I>0xff800000 : <I>0xfff0000000000000;
        let bi = -1;
        for (let ki = 0; ki < kH; ki++) {
          const ih = hs + ki * dH;
          if (ih < 0 || ih >= inH) continue;
          for (let kj = 0; kj < kW; kj++) {
            const iw = ws + kj * dW;
            if (iw < 0 || iw >= inW) continue;
            const idx = ih * inW + iw;
            const v = load<I>(plane + <usize>idx * sz);
            // PyTorch: the first in-bounds index, replaced by any larger value or any NaN.
            const t = <bool>(<i32>(bi < 0) | <i32>takes<T, I>(v, best));
            best = select<I>(v, best, t);
            bi = select<i32>(idx, bi, t);
          }
        }
        store<I>(out + o * sz, best);
        store<i32>(am + (o << 2), max<i32>(bi, 0));
        o++;
      }
    }
  }
}

export function maxPool2d(dt: i32, x: usize, out: usize, am: usize, g: usize): void {
  if (dt === F32) maxPool<f32, i32>(x, out, am, g);
  else maxPool<f64, i64>(x, out, am, g);
}

function maxPoolBack<T>(gout: usize, am: usize, gx: usize, g: usize): void {
  const channels = gi(g, 0);
  const inHW = gi(g, 1) * gi(g, 2);
  const outHW = gi(g, 3) * gi(g, 4);
  const sz = sizeof<T>();
  memory.fill(gx, 0, <usize>(channels * inHW) * sz);
  let o: usize = 0;
  for (let c = 0; c < channels; c++) {
    const plane = gx + <usize>(c * inHW) * sz;
    for (let i = 0; i < outHW; i++) {
      const q = plane + <usize>load<i32>(am + (o << 2)) * sz;
      store<T>(q, load<T>(q) + load<T>(gout + o * sz));
      o++;
    }
  }
}

export function maxPool2dBackward(dt: i32, gout: usize, am: usize, gx: usize, g: usize): void {
  if (dt === F32) maxPoolBack<f32>(gout, am, gx, g);
  else maxPoolBack<f64>(gout, am, gx, g);
}
