// conv2d through im2col + the packed GEMM, and max pooling.

import { F32 } from '../src/codes';
import { copyBytes, imin, nan } from './common';
import { APACK, EDGE_BYTES, gemm, gemmScratchBytes, KC, MR, micro, nrOf, packA, packB } from './matmul';

/**
 * The 4 x 4 block of rows r0..r3, transposed, stored at dst, dst + step, dst + 2 step,
 * dst + 3 step (assembly/matmul.ts packs transposed operands the same way).
 */
function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

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

/** Scratch bytes for any of the three conv kernels (the largest of their layouts). */
export function convScratchBytes(g: usize, esz: i32): i32 {
  const groups = gi(g, G_GROUPS);
  const cg = gi(g, G_INC) / groups;
  const og = gi(g, G_OUTC) / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  let s = 0;
  if (useIm2col(g, 1)) {
    // The input gradient through an im2col buffer (see convBackwardInput).
    s = gemmScratchBytes(kk, hw, og, esz) + kk * hw * esz + 64;
  } else {
    s = inputGradBytes(g, esz);
  }
  const f = panelBytes(g, esz);
  return max<i32>(f, s);
}

function al64(x: usize): usize {
  return (x + 63) & ~(<usize>63);
}

/** Rows of an operand padded to whole MR-row panels. */
function roundMR(m: i32): i32 {
  return ((m + MR - 1) / MR) * MR;
}

/**
 * Scratch of the forward and weight-gradient drivers: edge tile, column offsets, one
 * packed B panel, the k -> input offset table, packed weights (all groups, all of K; the
 * weight gradient packs one KC block of gradOut there instead) and the zero-padded image.
 */
function panelBytes(g: usize, esz: i32): i32 {
  const groups = gi(g, G_GROUPS);
  const cg = gi(g, G_INC) / groups;
  const og = gi(g, G_OUTC) / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hp = gi(g, G_INH) + 2 * gi(g, G_PH);
  const wp = gi(g, G_INW) + 2 * gi(g, G_PW);
  // Packed A (APACK bytes an element): the forward's weights, or a KC block of gradOut;
  // the weight gradient's transposed form packs all of gradOut^T's panels for one KC block
  // there instead, and its A panel where B's panel goes.
  let a = groups * roundMR(og) * kk * APACK;
  const a2 = roundMR(og) * KC * APACK;
  if (a2 > a) a = a2;
  const bT = KC * ((og + 7) & ~7) * esz;
  if (bT > a) a = bT;
  return 8 * 64 + EDGE_BYTES + 64 + KC * MR * APACK + kk * 4 + a + cg * hp * wp * esz;
}

/** Scratch of the input-gradient driver: tables, packed W^T and gradOut, a chunk, the padded gradient. */
function inputGradBytes(g: usize, esz: i32): i32 {
  const groups = gi(g, G_GROUPS);
  const cg = gi(g, G_INC) / groups;
  const og = gi(g, G_OUTC) / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const hw = gi(g, G_OUTH) * gi(g, G_OUTW);
  // Packed gradOut: og rows of ceil(hw / NR) panels of NR = 32 / esz columns; a chunk of MR
  // rows of gradCols as wide; the zero-bordered gradient of one image.
  const np = (hw + 3) / 4;
  const hq = paddedExtent(gi(g, G_OUTH), gi(g, G_SH), gi(g, G_KH), gi(g, G_DH), gi(g, G_PH), gi(g, G_INH));
  const wq = paddedExtent(gi(g, G_OUTW), gi(g, G_SW), gi(g, G_KW), gi(g, G_DW), gi(g, G_PW), gi(g, G_INW));
  return (
    8 * 64 +
    EDGE_BYTES +
    kk * 4 +
    groups * roundMR(kk) * og * APACK +
    (og + MR) * np * 32 +
    cg * hq * wq * esz
  );
}

/**
 * Whether a kernel takes the im2col path: the input gradient of a 1 x 1 convolution (the
 * GEMM writes it directly) or with more than KC output channels per group (its sums over
 * the channels come in KC blocks, which the fused col2im cannot add block by block).
 * `which`: 1 the input gradient (the other two never do).
 */
function useIm2col(g: usize, which: i32): bool {
  if (which !== 1) return false;
  const og = gi(g, G_OUTC) / gi(g, G_GROUPS);
  return isPointwise(g) || og > KC;
}

/** offsets[k] for k = (c, ki, kj): where column k of im2col starts in the (padded) image. */
function kOffsets(g: usize, cg: i32, hp: i32, wp: i32, tab: usize): void {
  const kH = gi(g, G_KH);
  const kW = gi(g, G_KW);
  const dH = gi(g, G_DH);
  const dW = gi(g, G_DW);
  let k: usize = 0;
  for (let c = 0; c < cg; c++) {
    for (let ki = 0; ki < kH; ki++) {
      for (let kj = 0; kj < kW; kj++) {
        store<i32>(tab + (k << 2), c * hp * wp + ki * dH * wp + kj * dW);
        k++;
      }
    }
  }
}

/** Copies `cg` planes of an image into the interior of the zero-bordered padded buffer. */
function padImage<T>(src: usize, cg: i32, g: usize, xp: usize): void {
  const inH = gi(g, G_INH);
  const inW = gi(g, G_INW);
  const pH = gi(g, G_PH);
  const pW = gi(g, G_PW);
  const hp = inH + 2 * pH;
  const wp = inW + 2 * pW;
  const sz = sizeof<T>();
  const rowBytes = <usize>inW * sz;
  for (let c = 0; c < cg; c++) {
    let d = xp + <usize>((c * hp + pH) * wp + pW) * sz;
    let s = src + <usize>(c * inH * inW) * sz;
    for (let ih = 0; ih < inH; ih++) {
      copyBytes(d, s, rowBytes);
      d += <usize>wp * sz;
      s += rowBytes;
    }
  }
}

/**
 * Packs the B panel of output columns j0 .. j0+nr (output pixels) for the kc im2col rows
 * whose offsets start at `offs`: B(p, j) = img[offs[p] + pixel offset of j], zero past nr.
 * Eight (float32) or four (float64) pixels in one output row are one 32-byte load per row.
 */
function packPixels<T>(
  kc: i32,
  img: usize,
  offs: usize,
  j0: i32,
  nr: i32,
  outW: i32,
  sH: i32,
  sW: i32,
  wp: i32,
  cols: usize,
  bp: usize,
): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  const oh = j0 / outW;
  const ow = j0 - oh * outW;
  let dst = bp;
  if (nr === NR && sW === 1 && ow + NR <= outW) {
    const base = img + <usize>(oh * sH * wp + ow) * sz;
    for (let p = 0; p < kc; p++) {
      const q = base + <usize>load<i32>(offs + ((<usize>p) << 2)) * sz;
      v128.store(dst, v128.load(q));
      v128.store(dst, v128.load(q, 16), 16);
      dst += 32;
    }
    return;
  }
  for (let c = 0; c < NR; c++) {
    const n = j0 + c;
    const h = n / outW;
    store<i32>(cols + ((<usize>c) << 2), h * sH * wp + (n - h * outW) * sW);
  }
  for (let p = 0; p < kc; p++) {
    const r = img + <usize>load<i32>(offs + ((<usize>p) << 2)) * sz;
    for (let c = 0; c < NR; c++) {
      store<T>(
        dst + <usize>c * sz,
        c < nr ? load<T>(r + <usize>load<i32>(cols + ((<usize>c) << 2)) * sz) : <T>0,
      );
    }
    dst += <usize>NR * sz;
  }
}

/**
 * Packs the B panel of the weight gradient: rows are output pixels pc .. pc+kc, columns the
 * im2col rows j0 .. j0+nr (offsets at `offs`): B(p, j) = img[offs[j] + pixel offset of p].
 * float32 with whole panels and rows of a multiple of 4 pixels transposes 4 x 4 blocks read
 * straight from the image.
 */
function packTaps<T>(
  kc: i32,
  pc: i32,
  img: usize,
  offs: usize,
  nr: i32,
  outW: i32,
  sH: i32,
  sW: i32,
  wp: i32,
  bp: usize,
): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  let dst = bp;
  if (sz === 4 && nr === NR && sW === 1 && (outW & 3) === 0 && (pc & 3) === 0 && (kc & 3) === 0) {
    const q0 = img + ((<usize>load<i32>(offs)) << 2);
    const q1 = img + ((<usize>load<i32>(offs, 4)) << 2);
    const q2 = img + ((<usize>load<i32>(offs, 8)) << 2);
    const q3 = img + ((<usize>load<i32>(offs, 12)) << 2);
    const q4 = img + ((<usize>load<i32>(offs, 16)) << 2);
    const q5 = img + ((<usize>load<i32>(offs, 20)) << 2);
    const q6 = img + ((<usize>load<i32>(offs, 24)) << 2);
    const q7 = img + ((<usize>load<i32>(offs, 28)) << 2);
    for (let p = 0; p < kc; p += 4) {
      const n = pc + p;
      const h = n / outW;
      const cb = (<usize>(h * sH * wp + n - h * outW)) << 2;
      transpose4(v128.load(q0 + cb), v128.load(q1 + cb), v128.load(q2 + cb), v128.load(q3 + cb), dst, 32);
      transpose4(
        v128.load(q4 + cb),
        v128.load(q5 + cb),
        v128.load(q6 + cb),
        v128.load(q7 + cb),
        dst + 16,
        32,
      );
      dst += 128;
    }
    return;
  }
  for (let p = 0; p < kc; p++) {
    const n = pc + p;
    const h = n / outW;
    const cb = h * sH * wp + (n - h * outW) * sW;
    for (let c = 0; c < NR; c++) {
      store<T>(
        dst + <usize>c * sz,
        c < nr ? load<T>(img + <usize>(load<i32>(offs + ((<usize>c) << 2)) + cb) * sz) : <T>0,
      );
    }
    dst += <usize>NR * sz;
  }
}

/**
 * Packs an A panel of the transposed weight gradient: rows are the MR im2col rows at `offs`
 * (mr of them, zero past), steps the output pixels pc .. pc+kc: A(k, p) = img[offs[k] +
 * pixel offset of p], MR values per step, each broadcast to a vector (APACK). float32 rows
 * of a multiple of 4 pixels read 4 pixels of each row at a time straight from the image.
 */
function packTapRows<T>(
  kc: i32,
  pc: i32,
  img: usize,
  offs: usize,
  mr: i32,
  outW: i32,
  sH: i32,
  sW: i32,
  wp: i32,
  ap: usize,
): void {
  const sz = sizeof<T>();
  let dst = ap;
  if (sz === 4 && mr === MR && sW === 1 && (outW & 3) === 0 && (pc & 3) === 0 && (kc & 3) === 0) {
    const q0 = img + ((<usize>load<i32>(offs)) << 2);
    const q1 = img + ((<usize>load<i32>(offs, 4)) << 2);
    const q2 = img + ((<usize>load<i32>(offs, 8)) << 2);
    const q3 = img + ((<usize>load<i32>(offs, 12)) << 2);
    for (let p = 0; p < kc; p += 4) {
      const n = pc + p;
      const h = n / outW;
      const cb = (<usize>(h * sH * wp + n - h * outW)) << 2;
      const x0 = v128.load(q0 + cb);
      const x1 = v128.load(q1 + cb);
      const x2 = v128.load(q2 + cb);
      const x3 = v128.load(q3 + cb);
      v128.store(dst, i32x4.shuffle(x0, x0, 0, 0, 0, 0));
      v128.store(dst, i32x4.shuffle(x1, x1, 0, 0, 0, 0), 16);
      v128.store(dst, i32x4.shuffle(x2, x2, 0, 0, 0, 0), 32);
      v128.store(dst, i32x4.shuffle(x3, x3, 0, 0, 0, 0), 48);
      v128.store(dst, i32x4.shuffle(x0, x0, 1, 1, 1, 1), 64);
      v128.store(dst, i32x4.shuffle(x1, x1, 1, 1, 1, 1), 80);
      v128.store(dst, i32x4.shuffle(x2, x2, 1, 1, 1, 1), 96);
      v128.store(dst, i32x4.shuffle(x3, x3, 1, 1, 1, 1), 112);
      v128.store(dst, i32x4.shuffle(x0, x0, 2, 2, 2, 2), 128);
      v128.store(dst, i32x4.shuffle(x1, x1, 2, 2, 2, 2), 144);
      v128.store(dst, i32x4.shuffle(x2, x2, 2, 2, 2, 2), 160);
      v128.store(dst, i32x4.shuffle(x3, x3, 2, 2, 2, 2), 176);
      v128.store(dst, i32x4.shuffle(x0, x0, 3, 3, 3, 3), 192);
      v128.store(dst, i32x4.shuffle(x1, x1, 3, 3, 3, 3), 208);
      v128.store(dst, i32x4.shuffle(x2, x2, 3, 3, 3, 3), 224);
      v128.store(dst, i32x4.shuffle(x3, x3, 3, 3, 3, 3), 240);
      dst += 4 * MR * APACK;
    }
    return;
  }
  for (let p = 0; p < kc; p++) {
    const n = pc + p;
    const h = n / outW;
    const cb = h * sH * wp + (n - h * outW) * sW;
    for (let r = 0; r < MR; r++) {
      const v = r < mr ? load<T>(img + <usize>(load<i32>(offs + ((<usize>r) << 2)) + cb) * sz) : <T>0;
      if (sz === 4) v128.store(dst + <usize>r * APACK, f32x4.splat(<f32>v));
      else v128.store(dst + <usize>r * APACK, f64x2.splat(<f64>v));
    }
    dst += <usize>MR * APACK;
  }
}

/** C tile (mr x nr, at cp, rows ldcBytes apart) = or += the MR x NR tile in `edge`. */
function storeEdge<T>(edge: usize, mr: i32, nr: i32, cp: usize, ldcBytes: usize, acc: bool): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  for (let r = 0; r < mr; r++) {
    for (let q = 0; q < nr; q++) {
      const dst = cp + <usize>r * ldcBytes + <usize>q * sz;
      const v = load<T>(edge + <usize>(r * NR + q) * sz);
      store<T>(dst, acc ? load<T>(dst) + v : v);
    }
  }
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

/**
 * out[n] = W @ im2col(x[n]) without the im2col buffer: the image is copied once into a
 * zero-bordered buffer (when there is padding), and each B panel (KC im2col rows x NR
 * output pixels) is packed straight from it through a table of row offsets, then used by
 * every row panel of W, packed once per call. The same KC blocks, the same sums in the
 * same order as the GEMM over an im2col matrix: the same results to the bit.
 */
function convForward<T>(x: usize, w: usize, out: usize, g: usize, scratch: usize): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const outW = gi(g, G_OUTW);
  const hw = gi(g, G_OUTH) * outW;
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const padded = gi(g, G_PH) > 0 || gi(g, G_PW) > 0;
  const hp = gi(g, G_INH) + 2 * gi(g, G_PH);
  const wp = gi(g, G_INW) + 2 * gi(g, G_PW);
  if (kk === 0) {
    memory.fill(out, 0, <usize>(batch * outC * hw) * sz);
    return;
  }
  const og4 = roundMR(og);
  let s = al64(scratch);
  const edge = s;
  s = al64(s + EDGE_BYTES);
  const cols = s;
  s += 64;
  const bp = s;
  s = al64(s + KC * 32);
  const offs = s;
  s = al64(s + <usize>kk * 4);
  const ap = s;
  s = al64(s + <usize>(groups * og4 * kk) * APACK);
  const xp = s;
  kOffsets(g, cg, padded ? hp : gi(g, G_INH), padded ? wp : gi(g, G_INW), offs);
  for (let gr = 0; gr < groups; gr++) {
    for (let pc = 0; pc < kk; pc += KC) {
      const kc = imin(KC, kk - pc);
      packA<T>(
        og,
        kc,
        w + <usize>(gr * og * kk + pc) * sz,
        kk,
        1,
        ap + <usize>(gr * og4 * kk + og4 * pc) * APACK,
      );
    }
  }
  if (padded) memory.fill(xp, 0, <usize>(cg * hp * wp) * sz);
  const np = (hw + NR - 1) / NR;
  const mp = og4 / MR;
  const ldcBytes = <usize>hw * sz;
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = x + <usize>((nb * inC + gr * cg) * inHW) * sz;
      let img = xg;
      if (padded) {
        padImage<T>(xg, cg, g, xp);
        img = xp;
      }
      const og0 = out + <usize>((nb * outC + gr * og) * hw) * sz;
      for (let pc = 0; pc < kk; pc += KC) {
        const kc = imin(KC, kk - pc);
        const apc = ap + <usize>(gr * og4 * kk + og4 * pc) * APACK;
        for (let jp = 0; jp < np; jp++) {
          const j0 = jp * NR;
          const nr = imin(NR, hw - j0);
          packPixels<T>(
            kc,
            img,
            offs + ((<usize>pc) << 2),
            j0,
            nr,
            outW,
            sH,
            sW,
            padded ? wp : gi(g, G_INW),
            cols,
            bp,
          );
          for (let ip = 0; ip < mp; ip++) {
            const mr = imin(MR, og - ip * MR);
            const app = apc + <usize>(ip * kc * MR) * APACK;
            const cp = og0 + <usize>(ip * MR * hw + j0) * sz;
            if (mr === MR && nr === NR) micro<T>(kc, app, bp, cp, ldcBytes, pc > 0);
            else {
              micro<T>(kc, app, bp, edge, <usize>NR * sz, false);
              storeEdge<T>(edge, mr, nr, cp, ldcBytes, pc > 0);
            }
          }
        }
      }
    }
  }
}

/** The input gradient through an im2col buffer: gradCols = W^T @ gradOut[n], then col2im. */
function convBackwardInputIm2col<T>(
  dt: i32,
  gout: usize,
  w: usize,
  gx: usize,
  g: usize,
  scratch: usize,
): void {
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

/**
 * The input gradient without a K x HW im2col buffer: gradCols = W^T @ gradOut[n] is computed
 * MR rows at a time (W^T packed once per call, gradOut once per image), and each of those
 * rows is added at once into a zero-bordered copy of the image's gradient, where every
 * output pixel lands inside, so a row of output pixels is one run of vector adds with no
 * bounds to check; the interior is then copied out. Row panels run in order, so every
 * element of gradX receives its terms in the order of im2col rows, as col2im adds them: the
 * same results to the bit. Needs og <= KC (one block of the sum over channels) and not 1 x 1
 * (see useIm2col).
 */
function convBackwardInput<T>(dt: i32, gout: usize, w: usize, gx: usize, g: usize, scratch: usize): void {
  if (useIm2col(g, 1)) {
    convBackwardInputIm2col<T>(dt, gout, w, gx, g, scratch);
    return;
  }
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const inH = gi(g, G_INH);
  const inW = gi(g, G_INW);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kH = gi(g, G_KH);
  const kW = gi(g, G_KW);
  const kk = cg * kH * kW;
  const outH = gi(g, G_OUTH);
  const outW = gi(g, G_OUTW);
  const hw = outH * outW;
  const inHW = inH * inW;
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const pH = gi(g, G_PH);
  const pW = gi(g, G_PW);
  if (og === 0 || hw === 0 || kk === 0) {
    memory.fill(gx, 0, <usize>(batch * inC * inHW) * sz);
    return;
  }
  const hq = paddedExtent(outH, sH, kH, gi(g, G_DH), pH, inH);
  const wq = paddedExtent(outW, sW, kW, gi(g, G_DW), pW, inW);
  const k4 = roundMR(kk);
  const np = (hw + NR - 1) / NR;
  let s = al64(scratch);
  // Per im2col row k = (c, ki, kj): where output pixel (0, 0) adds in the padded gradient.
  const tOff = s;
  s = al64(s + <usize>kk * 4);
  const ap = s;
  s = al64(s + <usize>(groups * k4 * og) * APACK);
  const chunk = s;
  s = al64(s + <usize>(MR * np * NR) * sz);
  const bp = s;
  s = al64(s + <usize>(og * np * NR) * sz);
  const gp = s;
  {
    const dH = gi(g, G_DH);
    const dW = gi(g, G_DW);
    let k: usize = 0;
    for (let c = 0; c < cg; c++) {
      for (let ki = 0; ki < kH; ki++) {
        for (let kj = 0; kj < kW; kj++) {
          store<i32>(tOff + (k << 2), (c * hq + ki * dH) * wq + kj * dW);
          k++;
        }
      }
    }
  }
  // A = W^T: A(k, o) = w[o, k], all k rows, one block of og.
  for (let gr = 0; gr < groups; gr++)
    packA<T>(kk, og, w + <usize>(gr * og * kk) * sz, 1, kk, ap + <usize>(gr * k4 * og) * APACK);
  const mp = k4 / MR;
  const chunkRow = <usize>(np * NR) * sz;
  const planeBytes = <usize>(cg * hq * wq) * sz;
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const go = gout + <usize>((nb * outC + gr * og) * hw) * sz;
      const xg = gx + <usize>((nb * inC + gr * cg) * inHW) * sz;
      packB<T>(og, hw, go, hw, 1, bp);
      memory.fill(gp, 0, planeBytes);
      const apg = ap + <usize>(gr * k4 * og) * APACK;
      for (let ip = 0; ip < mp; ip++) {
        // MR rows of gradCols, then each row added into the padded gradient.
        const app = apg + <usize>(ip * og * MR) * APACK;
        for (let jp = 0; jp < np; jp++) {
          micro<T>(og, app, bp + <usize>(jp * og * NR) * sz, chunk + <usize>(jp * NR) * sz, chunkRow, false);
        }
        const k0 = ip * MR;
        const mr = imin(MR, kk - k0);
        for (let r = 0; r < mr; r++) {
          const dst = gp + <usize>load<i32>(tOff + ((<usize>(k0 + r)) << 2)) * sz;
          addRows<T>(chunk + <usize>r * chunkRow, dst, outH, outW, <usize>(sH * wq) * sz, sW);
        }
      }
      // The interior is the gradient.
      for (let c = 0; c < cg; c++) {
        let d = xg + <usize>(c * inHW) * sz;
        let q = gp + <usize>((c * hq + pH) * wq + pW) * sz;
        for (let ih = 0; ih < inH; ih++) {
          copyBytes(d, q, <usize>inW * sz);
          d += <usize>inW * sz;
          q += <usize>wq * sz;
        }
      }
    }
  }
}

/**
 * Rows (columns) of the zero-bordered gradient: every output pixel's window, and the image
 * at offset `pad`, lie inside.
 */
function paddedExtent(out: i32, stride: i32, k: i32, dil: i32, pad: i32, inN: i32): i32 {
  const reach = (out - 1) * stride + (k - 1) * dil + 1;
  return max<i32>(reach, pad + inN);
}

/**
 * dst[oh * rowStep + ow * sW] += src[oh * outW + ow] for every output pixel: one im2col row
 * of gradCols added into the padded gradient (the adds col2im makes, in its order, but with
 * nothing outside).
 */
function addRows<T>(src: usize, dst: usize, outH: i32, outW: i32, rowStep: usize, sW: i32): void {
  const sz = sizeof<T>();
  const lanes = 16 / <i32>sz;
  for (let oh = 0; oh < outH; oh++) {
    if (sW === 1) {
      let i = 0;
      for (; i + lanes <= outW; i += lanes) {
        const q = dst + <usize>i * sz;
        const a = v128.load(q);
        const b = v128.load(src + <usize>i * sz);
        v128.store(q, sz === 4 ? f32x4.add(a, b) : f64x2.add(a, b));
      }
      for (; i < outW; i++) {
        const q = dst + <usize>i * sz;
        store<T>(q, load<T>(q) + load<T>(src + <usize>i * sz));
      }
    } else {
      for (let ow = 0; ow < outW; ow++) {
        const q = dst + <usize>(ow * sW) * sz;
        store<T>(q, load<T>(q) + load<T>(src + <usize>ow * sz));
      }
    }
    src += <usize>outW * sz;
    dst += rowStep;
  }
}

/**
 * convBackwardWeight computed transposed: tiles of gradW^T (MR im2col rows x NR channels)
 * from A = im2col rows packed straight from the image and B = gradOut^T, then stored (or
 * added) transposed into gradW. Each element is the same sum of the same products, block
 * by block and image by image, as the direct form. Scratch as convBackwardWeight laid it
 * out; the B panels of all channels go where its A block went (`ap`), and its B panel
 * (`bp`) holds the A panel.
 */
function weightGradT<T>(
  gout: usize,
  x: usize,
  gw: usize,
  g: usize,
  edge: usize,
  offs: usize,
  ap: usize,
  bp: usize,
  xp: usize,
): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const outW = gi(g, G_OUTW);
  const hw = gi(g, G_OUTH) * outW;
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const padded = gi(g, G_PH) > 0 || gi(g, G_PW) > 0;
  const wp = padded ? gi(g, G_INW) + 2 * gi(g, G_PW) : gi(g, G_INW);
  const mpT = roundMR(kk) / MR;
  const npT = (og + NR - 1) / NR;
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = x + <usize>((nb * inC + gr * cg) * inHW) * sz;
      let img = xg;
      if (padded) {
        padImage<T>(xg, cg, g, xp);
        img = xp;
      }
      const go = gout + <usize>((nb * outC + gr * og) * hw) * sz;
      const gwg = gw + <usize>(gr * og * kk) * sz;
      for (let pc = 0; pc < hw; pc += KC) {
        const kc = imin(KC, hw - pc);
        const acc = nb > 0 || pc > 0;
        // B(p, o) = gradOut[o, pc + p]: gradOut^T, every channel panel.
        packB<T>(kc, og, go + <usize>pc * sz, 1, hw, ap);
        for (let ip = 0; ip < mpT; ip++) {
          const k0 = ip * MR;
          const mr = imin(MR, kk - k0);
          packTapRows<T>(kc, pc, img, offs + ((<usize>k0) << 2), mr, outW, sH, sW, wp, bp);
          for (let jp = 0; jp < npT; jp++) {
            const o0 = jp * NR;
            const nr = imin(NR, og - o0);
            micro<T>(kc, bp, ap + <usize>(jp * kc * NR) * sz, edge, <usize>NR * sz, false);
            for (let r = 0; r < mr; r++) {
              for (let c = 0; c < nr; c++) {
                const dst = gwg + <usize>((o0 + c) * kk + k0 + r) * sz;
                const v = load<T>(edge + <usize>(r * NR + c) * sz);
                store<T>(dst, acc ? load<T>(dst) + v : v);
              }
            }
          }
        }
      }
    }
  }
}

/**
 * gradW (+)= gradOut[n] @ im2col(x[n])^T image by image, without the im2col buffer: B
 * panels (KC output pixels x NR im2col rows) are packed straight from the zero-bordered
 * image. The same KC blocks and order of sums as the GEMM over an im2col matrix.
 */
function convBackwardWeight<T>(gout: usize, x: usize, gw: usize, g: usize, scratch: usize): void {
  const sz = sizeof<T>();
  const NR = nrOf<T>();
  const batch = gi(g, G_BATCH);
  const inC = gi(g, G_INC);
  const groups = gi(g, G_GROUPS);
  const cg = inC / groups;
  const outC = gi(g, G_OUTC);
  const og = outC / groups;
  const kk = cg * gi(g, G_KH) * gi(g, G_KW);
  const outW = gi(g, G_OUTW);
  const hw = gi(g, G_OUTH) * outW;
  const inHW = gi(g, G_INH) * gi(g, G_INW);
  const sH = gi(g, G_SH);
  const sW = gi(g, G_SW);
  const padded = gi(g, G_PH) > 0 || gi(g, G_PW) > 0;
  const hp = padded ? gi(g, G_INH) + 2 * gi(g, G_PH) : gi(g, G_INH);
  const wp = padded ? gi(g, G_INW) + 2 * gi(g, G_PW) : gi(g, G_INW);
  if (batch === 0 || hw === 0) {
    memory.fill(gw, 0, <usize>(outC * kk) * sz);
    return;
  }
  if (kk === 0) return;
  const og4 = roundMR(og);
  let s = al64(scratch);
  const edge = s;
  s = al64(s + EDGE_BYTES);
  s += 64;
  // B's panel (the transposed form: an A panel of im2col rows).
  const bp = s;
  s = al64(s + KC * MR * APACK);
  const offs = s;
  s = al64(s + <usize>kk * 4);
  const ap = s;
  // Packed gradOut: og4 rows of a KC block (the transposed form: all its NR-column panels).
  s = al64(s + max<usize>(<usize>(og4 * KC) * APACK, <usize>(((og + NR - 1) / NR) * NR * KC) * sz));
  const xp = s;
  kOffsets(g, cg, hp, wp, offs);
  if (padded) memory.fill(xp, 0, <usize>(cg * hp * wp) * sz);
  const np = (kk + NR - 1) / NR;
  const mp = og4 / MR;
  const ldcBytes = <usize>kk * sz;
  // Few im2col rows (a first layer: 1 x 5 x 5 = 25) waste most of their last NR-column
  // panel; computed transposed (gradW^T = im2col @ gradOut^T: im2col rows in MR-row panels,
  // channels in NR-column ones) less is thrown away. The same products summed in the same
  // order either way.
  const kkNR = ((kk + NR - 1) / NR) * NR;
  const ogNR = ((og + NR - 1) / NR) * NR;
  if (roundMR(kk) * ogNR < kkNR * og4) {
    weightGradT<T>(gout, x, gw, g, edge, offs, ap, bp, xp);
    return;
  }
  for (let nb = 0; nb < batch; nb++) {
    for (let gr = 0; gr < groups; gr++) {
      const xg = x + <usize>((nb * inC + gr * cg) * inHW) * sz;
      let img = xg;
      if (padded) {
        padImage<T>(xg, cg, g, xp);
        img = xp;
      }
      const go = gout + <usize>((nb * outC + gr * og) * hw) * sz;
      const gwg = gw + <usize>(gr * og * kk) * sz;
      for (let pc = 0; pc < hw; pc += KC) {
        const kc = imin(KC, hw - pc);
        const acc = nb > 0 || pc > 0;
        packA<T>(og, kc, go + <usize>pc * sz, hw, 1, ap);
        for (let jp = 0; jp < np; jp++) {
          const j0 = jp * NR;
          const nr = imin(NR, kk - j0);
          packTaps<T>(kc, pc, img, offs + ((<usize>j0) << 2), nr, outW, sH, sW, wp, bp);
          for (let ip = 0; ip < mp; ip++) {
            const mr = imin(MR, og - ip * MR);
            const app = ap + <usize>(ip * kc * MR) * APACK;
            const cp = gwg + <usize>(ip * MR * kk + j0) * sz;
            if (mr === MR && nr === NR) micro<T>(kc, app, bp, cp, ldcBytes, acc);
            else {
              micro<T>(kc, app, bp, edge, <usize>NR * sz, false);
              storeEdge<T>(edge, mr, nr, cp, ldcBytes, acc);
            }
          }
        }
      }
    }
  }
}

export function conv2d(dt: i32, x: usize, w: usize, out: usize, g: usize, scratch: usize): void {
  if (dt === F32) convForward<f32>(x, w, out, g, scratch);
  else convForward<f64>(x, w, out, g, scratch);
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
  if (dt === F32) convBackwardWeight<f32>(gout, x, gw, g, scratch);
  else convBackwardWeight<f64>(gout, x, gw, g, scratch);
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
    // The common 2 x 2 / stride 2 pool, unrolled; float32 four outputs at a time (the even
    // and odd columns of two input rows deinterleaved, then the same update rule lane-wise).
    for (let c = 0; c < channels; c++) {
      const plane = x + <usize>(c * inH * inW) * sz;
      for (let oh = 0; oh < outH; oh++) {
        const base = 2 * oh * inW;
        const r0 = plane + <usize>base * sz;
        const r1 = r0 + <usize>inW * sz;
        let ow = 0;
        if (sz === 4) {
          let i0 = i32x4.add(i32x4.splat(base), i32x4(0, 2, 4, 6));
          const step = i32x4.splat(8);
          const one = i32x4.splat(1);
          const down = i32x4.splat(inW);
          for (; ow + 4 <= outW; ow += 4) {
            const q = (<usize>ow) << 3;
            const a0 = v128.load(r0 + q);
            const a1 = v128.load(r0 + q, 16);
            const b0 = v128.load(r1 + q);
            const b1 = v128.load(r1 + q, 16);
            let best = i32x4.shuffle(a0, a1, 0, 2, 4, 6);
            let bi = i0;
            const v1 = i32x4.shuffle(a0, a1, 1, 3, 5, 7);
            let t = v128.or(f32x4.gt(v1, best), f32x4.ne(v1, v1));
            best = v128.bitselect(v1, best, t);
            bi = v128.bitselect(i32x4.add(i0, one), bi, t);
            const v2 = i32x4.shuffle(b0, b1, 0, 2, 4, 6);
            t = v128.or(f32x4.gt(v2, best), f32x4.ne(v2, v2));
            best = v128.bitselect(v2, best, t);
            const i2 = i32x4.add(i0, down);
            bi = v128.bitselect(i2, bi, t);
            const v3 = i32x4.shuffle(b0, b1, 1, 3, 5, 7);
            t = v128.or(f32x4.gt(v3, best), f32x4.ne(v3, v3));
            best = v128.bitselect(v3, best, t);
            bi = v128.bitselect(i32x4.add(i2, one), bi, t);
            v128.store(out + (o << 2), best);
            v128.store(am + (o << 2), bi);
            o += 4;
            i0 = i32x4.add(i0, step);
          }
        }
        for (; ow < outW; ow++) {
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
  const inH = gi(g, 1);
  const inW = gi(g, 2);
  const outH = gi(g, 3);
  const outW = gi(g, 4);
  const inHW = inH * inW;
  const outHW = outH * outW;
  const sz = sizeof<T>();
  if (
    sz === 4 &&
    gi(g, 5) === 2 &&
    gi(g, 6) === 2 &&
    gi(g, 7) === 2 &&
    gi(g, 8) === 2 &&
    gi(g, 9) === 0 &&
    gi(g, 10) === 0 &&
    gi(g, 11) === 1 &&
    gi(g, 12) === 1 &&
    inH === 2 * outH &&
    inW === 2 * outW &&
    (outW & 3) === 0
  ) {
    // 2 x 2 windows tiling the plane exactly: every input element belongs to one window,
    // so each is written once, 0 + gradOut where the window chose it (what adding into a
    // zeroed plane gives: -0 becomes +0) and 0 elsewhere. No fill, no scattered adds.
    const zero = f32x4.splat(0);
    const one = i32x4.splat(1);
    let o: usize = 0;
    for (let c = 0; c < channels; c++) {
      const plane = gx + <usize>(c * inHW) * sz;
      for (let oh = 0; oh < outH; oh++) {
        const r0 = plane + <usize>(2 * oh * inW) * sz;
        const r1 = r0 + <usize>inW * sz;
        let i0 = i32x4.add(i32x4.splat(2 * oh * inW), i32x4(0, 2, 4, 6));
        const down = i32x4.splat(inW);
        for (let ow = 0; ow < outW; ow += 4) {
          const gv = f32x4.add(zero, v128.load(gout + (o << 2)));
          const a = v128.load(am + (o << 2));
          const e0 = v128.and(gv, i32x4.eq(a, i0));
          const e1 = v128.and(gv, i32x4.eq(a, i32x4.add(i0, one)));
          const i2 = i32x4.add(i0, down);
          const e2 = v128.and(gv, i32x4.eq(a, i2));
          const e3 = v128.and(gv, i32x4.eq(a, i32x4.add(i2, one)));
          const q = (<usize>ow) << 3;
          v128.store(r0 + q, i32x4.shuffle(e0, e1, 0, 4, 1, 5));
          v128.store(r0 + q, i32x4.shuffle(e0, e1, 2, 6, 3, 7), 16);
          v128.store(r1 + q, i32x4.shuffle(e2, e3, 0, 4, 1, 5));
          v128.store(r1 + q, i32x4.shuffle(e2, e3, 2, 6, 3, 7), 16);
          i0 = i32x4.add(i0, i32x4.splat(8));
          o += 4;
        }
      }
    }
    return;
  }
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
