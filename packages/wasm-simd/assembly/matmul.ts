// Cache-blocked GEMM: C[m, n] (+)= A[m, k] @ B[k, n], element (i, p) of A at A + (i*rsA + p*csA),
// (p, j) of B at B + (p*rsB + j*csB). Operands are packed into panels (A: MR rows interleaved
// per k step, B: NR columns per k step) so the micro-kernel streams both with unit stride and
// keeps an MR x NR tile of C in registers.
import { F32, F64 } from '../src/codes';
import { imin } from './common';

export const KC = 256;
const MC = 128;
// float32: 4 x 8 tile = 8 f32x4 accumulators.
export const MR = 4;
const NR32 = 8;
// float64: 4 x 4 tile = 8 f64x2 accumulators.
const NR64 = 4;

/** Columns of a micro-tile for T's lanes. */
export function nrOf<T>(): i32 {
  return sizeof<T>() === 4 ? NR32 : NR64;
}

// Edge tiles (MR x NR, at most 256 bytes) live at the start of the caller's scratch, not
// in static memory: with threads, every worker runs its own GEMM on the shared memory.
export const EDGE_BYTES = 256;

/**
 * Bytes of one packed element of A: each value is stored broadcast to a whole vector, so
 * the micro-kernel reads it with a plain v128.load at a constant offset. A splat load
 * (v128.load32_splat) costs V8 an address computation of its own per row; measured 41
 * against 38 GFLOP/s for the 4 x 8 float32 kernel. A's panels are 4x (float32) or 2x
 * larger; they stream from L2 either way.
 */
export const APACK = 16;

/** Bytes of scratch `gemm` needs for these sizes (packed panels). */
export function gemmScratchBytes(m: i32, n: i32, k: i32, esz: i32): i32 {
  const nr = esz === 4 ? NR32 : NR64;
  const kc = imin(KC, k);
  const np = (n + nr - 1) / nr;
  const mc = imin(MC, ((m + MR - 1) / MR) * MR);
  return kc * np * nr * esz + mc * kc * APACK + EDGE_BYTES + 64;
}

// ---- packing (float32 and float64) ----

/**
 * Transposes the 4 x 4 block of rows r0..r3 and stores its columns at dst, dst + step,
 * dst + 2 step, dst + 3 step: how panels are packed from the "wrong" layout (A row-major,
 * B transposed) four k-steps at a time instead of one scalar at a time.
 */
function storeTransposed4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, step: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

/**
 * Packs a kc x n block of B into NR-column panels (zero-padded past n). float32 has fast
 * paths for B row-major and B transposed; other layouts (and float64) go element by element.
 */
export function packB<T>(kc: i32, n: i32, b: usize, rsB: i32, csB: i32, bp: usize): void {
  const NR = nrOf<T>();
  const sz = sizeof<T>();
  const np = (n + NR - 1) / NR;
  for (let jp = 0; jp < np; jp++) {
    const j0 = jp * NR;
    const nr = imin(NR, n - j0);
    let dst = bp + <usize>(jp * kc * NR) * sz;
    if (sz === 4 && nr === NR && csB === 1) {
      for (let p = 0; p < kc; p++) {
        const src = b + ((<usize>(p * rsB + j0)) << 2);
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        dst += NR * 4;
      }
    } else if (sz === 4 && nr === NR && rsB === 1) {
      // B stored transposed ([n][k]): 8 columns are 8 contiguous rows of it.
      const c0 = b + ((<usize>(j0 * csB)) << 2);
      const cs = (<usize>csB) << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const q = c0 + ((<usize>p) << 2);
        storeTransposed4(
          v128.load(q),
          v128.load(q + cs),
          v128.load(q + 2 * cs),
          v128.load(q + 3 * cs),
          dst,
          32,
        );
        const q4 = q + 4 * cs;
        storeTransposed4(
          v128.load(q4),
          v128.load(q4 + cs),
          v128.load(q4 + 2 * cs),
          v128.load(q4 + 3 * cs),
          dst + 16,
          32,
        );
        dst += 4 * NR * 4;
      }
      for (; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<f32>(dst + ((<usize>c) << 2), load<f32>(c0 + <usize>c * cs + ((<usize>p) << 2)));
        }
        dst += NR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let c = 0; c < NR; c++) {
          store<T>(dst + <usize>c * sz, c < nr ? load<T>(b + <usize>(p * rsB + (j0 + c) * csB) * sz) : <T>0);
        }
        dst += <usize>NR * sz;
      }
    }
  }
}

/** Stores `v` broadcast to a whole vector (a packed element of A, see APACK). */
function storeSplat<T>(dst: usize, v: T): void {
  if (sizeof<T>() === 4) v128.store(dst, f32x4.splat(<f32>v));
  else v128.store(dst, f64x2.splat(<f64>v));
}

/**
 * Packs an mc x kc block of A into MR-row panels, interleaved per k step (zero-padded past
 * mc), each element broadcast to a vector (APACK bytes). float32 has fast paths for A
 * column-major and row-major; the rest go element by element.
 */
export function packA<T>(mc: i32, kc: i32, a: usize, rsA: i32, csA: i32, ap: usize): void {
  const sz = sizeof<T>();
  const mp = (mc + MR - 1) / MR;
  for (let ip = 0; ip < mp; ip++) {
    const i0 = ip * MR;
    const mr = imin(MR, mc - i0);
    let dst = ap + <usize>(ip * kc * MR) * APACK;
    if (sz === 4 && mr === MR && rsA === 1) {
      for (let p = 0; p < kc; p++) {
        const v = v128.load(a + ((<usize>(p * csA + i0)) << 2));
        v128.store(dst, i32x4.shuffle(v, v, 0, 0, 0, 0));
        v128.store(dst, i32x4.shuffle(v, v, 1, 1, 1, 1), 16);
        v128.store(dst, i32x4.shuffle(v, v, 2, 2, 2, 2), 32);
        v128.store(dst, i32x4.shuffle(v, v, 3, 3, 3, 3), 48);
        dst += MR * APACK;
      }
    } else if (sz === 4 && mr === MR && csA === 1) {
      // A row-major: 4 rows, 4 k-steps at a time.
      const r0 = a + ((<usize>(i0 * rsA)) << 2);
      const rs = (<usize>rsA) << 2;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const q = r0 + ((<usize>p) << 2);
        const x0 = v128.load(q);
        const x1 = v128.load(q + rs);
        const x2 = v128.load(q + 2 * rs);
        const x3 = v128.load(q + 3 * rs);
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
      for (; p < kc; p++) {
        for (let r = 0; r < MR; r++)
          v128.store(dst + <usize>r * APACK, v128.load32_splat(r0 + <usize>r * rs + ((<usize>p) << 2)));
        dst += MR * APACK;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          storeSplat<T>(
            dst + <usize>r * APACK,
            r < mr ? load<T>(a + <usize>((i0 + r) * rsA + p * csA) * sz) : <T>0,
          );
        }
        dst += <usize>MR * APACK;
      }
    }
  }
}

// ---- micro-kernels: one per lane type (f32x4 and f64x2 are distinct intrinsics, and
// AssemblyScript has no generics over them) ----

function microF32(kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize, acc: bool): void {
  let c00 = f32x4.splat(0);
  let c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0);
  let c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0);
  let c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0);
  let c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load(ap);
    c00 = f32x4.add(c00, f32x4.mul(a0, b0));
    c01 = f32x4.add(c01, f32x4.mul(a0, b1));
    const a1 = v128.load(ap, 16);
    c10 = f32x4.add(c10, f32x4.mul(a1, b0));
    c11 = f32x4.add(c11, f32x4.mul(a1, b1));
    const a2 = v128.load(ap, 32);
    c20 = f32x4.add(c20, f32x4.mul(a2, b0));
    c21 = f32x4.add(c21, f32x4.mul(a2, b1));
    const a3 = v128.load(ap, 48);
    c30 = f32x4.add(c30, f32x4.mul(a3, b0));
    c31 = f32x4.add(c31, f32x4.mul(a3, b1));
    ap += MR * APACK;
    bp += 32;
  }
  const r0 = c;
  const r1 = c + ldcBytes;
  const r2 = r1 + ldcBytes;
  const r3 = r2 + ldcBytes;
  if (acc) {
    c00 = f32x4.add(c00, v128.load(r0));
    c01 = f32x4.add(c01, v128.load(r0, 16));
    c10 = f32x4.add(c10, v128.load(r1));
    c11 = f32x4.add(c11, v128.load(r1, 16));
    c20 = f32x4.add(c20, v128.load(r2));
    c21 = f32x4.add(c21, v128.load(r2, 16));
    c30 = f32x4.add(c30, v128.load(r3));
    c31 = f32x4.add(c31, v128.load(r3, 16));
  }
  v128.store(r0, c00);
  v128.store(r0, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
}

function microF64(kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize, acc: bool): void {
  let c00 = f64x2.splat(0);
  let c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0);
  let c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0);
  let c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0);
  let c31 = f64x2.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp);
    const b1 = v128.load(bp, 16);
    const a0 = v128.load(ap);
    c00 = f64x2.add(c00, f64x2.mul(a0, b0));
    c01 = f64x2.add(c01, f64x2.mul(a0, b1));
    const a1 = v128.load(ap, 16);
    c10 = f64x2.add(c10, f64x2.mul(a1, b0));
    c11 = f64x2.add(c11, f64x2.mul(a1, b1));
    const a2 = v128.load(ap, 32);
    c20 = f64x2.add(c20, f64x2.mul(a2, b0));
    c21 = f64x2.add(c21, f64x2.mul(a2, b1));
    const a3 = v128.load(ap, 48);
    c30 = f64x2.add(c30, f64x2.mul(a3, b0));
    c31 = f64x2.add(c31, f64x2.mul(a3, b1));
    ap += MR * APACK;
    bp += 32;
  }
  const r0 = c;
  const r1 = c + ldcBytes;
  const r2 = r1 + ldcBytes;
  const r3 = r2 + ldcBytes;
  if (acc) {
    c00 = f64x2.add(c00, v128.load(r0));
    c01 = f64x2.add(c01, v128.load(r0, 16));
    c10 = f64x2.add(c10, v128.load(r1));
    c11 = f64x2.add(c11, v128.load(r1, 16));
    c20 = f64x2.add(c20, v128.load(r2));
    c21 = f64x2.add(c21, v128.load(r2, 16));
    c30 = f64x2.add(c30, v128.load(r3));
    c31 = f64x2.add(c31, v128.load(r3, 16));
  }
  v128.store(r0, c00);
  v128.store(r0, c01, 16);
  v128.store(r1, c10);
  v128.store(r1, c11, 16);
  v128.store(r2, c20);
  v128.store(r2, c21, 16);
  v128.store(r3, c30);
  v128.store(r3, c31, 16);
}

/** The micro-kernel of T's lanes. */
export function micro<T>(kc: i32, ap: usize, bp: usize, c: usize, ldcBytes: usize, acc: bool): void {
  if (sizeof<T>() === 4) microF32(kc, ap, bp, c, ldcBytes, acc);
  else microF64(kc, ap, bp, c, ldcBytes, acc);
}

// ---- narrow products (no packing) ----
//
// A small model's layers give GEMMs with k = 1 (outer products), n = 1 or m = 1, where
// NR-wide packed panels would mostly compute padding and the packing itself costs more than
// the arithmetic. These paths vectorise across the outputs instead. Each output is the
// packed path's exact sum: over p in order, in KC chunks (a chunk summed from 0, then added
// to what C holds when `accumulate` or past the first chunk), with separate multiplies and
// adds in T, so the results are bit for bit the same whichever path runs.

/** Lanes of T in a v128. */
function lanesOf<T>(): i32 {
  return 16 / <i32>sizeof<T>();
}

function vsplat<T>(v: T): v128 {
  return sizeof<T>() === 4 ? f32x4.splat(<f32>v) : f64x2.splat(<f64>v);
}

function vadd<T>(a: v128, b: v128): v128 {
  return sizeof<T>() === 4 ? f32x4.add(a, b) : f64x2.add(a, b);
}

function vmul<T>(a: v128, b: v128): v128 {
  return sizeof<T>() === 4 ? f32x4.mul(a, b) : f64x2.mul(a, b);
}

/** One output of a chunk, in scalar T: sum over p from 0, then C added where it counts. */
function dotChunk<T>(kc: i32, pa: usize, sa: usize, pb: usize, sb: usize, dst: usize, acc: bool): void {
  let s: T = <T>0;
  for (let p = 0; p < kc; p++) {
    s = s + load<T>(pa) * load<T>(pb);
    pa += sa;
    pb += sb;
  }
  store<T>(dst, acc ? s + load<T>(dst) : s);
}

/**
 * B's rows contiguous (csB = 1): each output row is a short sum of B's rows scaled by A's
 * elements, `lanes` outputs of a row per vector. For k tiny (outer products) and m tiny.
 */
function rowsPath<T>(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const sz = <usize>sizeof<T>();
  const L = lanesOf<T>();
  const nv = n - (n % L);
  const saBytes = <usize>csA * sz;
  const sbBytes = <usize>rsB * sz;
  if (k === 1 && !accumulate) {
    // An outer product: each output is 0 + a·b (the sum from 0 turns a -0 product into 0).
    const zero = vsplat<T>(<T>0);
    const rowA = <usize>rsA * sz;
    const rowC = <usize>ldc * sz;
    const nvBytes = <usize>nv * sz;
    let pa = a;
    let crow = c;
    for (let i = 0; i < m; i++) {
      const x = load<T>(pa);
      const vx = vsplat<T>(x);
      for (let o: usize = 0; o < nvBytes; o += 16) {
        v128.store(crow + o, vadd<T>(zero, vmul<T>(vx, v128.load(b + o))));
      }
      for (let j = nv; j < n; j++) {
        const q = <usize>j * sz;
        store<T>(crow + q, <T>0 + x * load<T>(b + q));
      }
      pa += rowA;
      crow += rowC;
    }
    return;
  }
  for (let pc = 0; pc < k; pc += KC) {
    const kc = imin(KC, k - pc);
    const acc = accumulate || pc > 0;
    for (let i = 0; i < m; i++) {
      const pa0 = a + <usize>(i * rsA + pc * csA) * sz;
      const pb0 = b + <usize>(pc * rsB) * sz;
      const crow = c + <usize>(i * ldc) * sz;
      for (let j = 0; j < nv; j += L) {
        let v = vsplat<T>(<T>0);
        let pa = pa0;
        let pb = pb0 + <usize>j * sz;
        for (let p = 0; p < kc; p++) {
          v = vadd<T>(v, vmul<T>(vsplat<T>(load<T>(pa)), v128.load(pb)));
          pa += saBytes;
          pb += sbBytes;
        }
        const dst = crow + <usize>j * sz;
        if (acc) v = vadd<T>(v, v128.load(dst));
        v128.store(dst, v);
      }
      for (let j = nv; j < n; j++) {
        dotChunk<T>(kc, pa0, saBytes, pb0 + <usize>j * sz, sbBytes, crow + <usize>j * sz, acc);
      }
    }
  }
}

/**
 * A's columns contiguous (rsA = 1, A stored transposed): `lanes` rows of one output column
 * per vector. For n tiny (a weight gradient `Xᵀ @ g` with one output feature).
 */
function colsPath<T>(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const sz = <usize>sizeof<T>();
  const L = lanesOf<T>();
  const mv = m - (m % L);
  const saBytes = <usize>csA * sz;
  const sbBytes = <usize>rsB * sz;
  const ldcBytes = <usize>ldc * sz;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = imin(KC, k - pc);
    const acc = accumulate || pc > 0;
    for (let j = 0; j < n; j++) {
      const pb0 = b + <usize>(pc * rsB + j * csB) * sz;
      for (let i = 0; i < mv; i += L) {
        let v = vsplat<T>(<T>0);
        let pa = a + <usize>(i + pc * csA) * sz;
        let pb = pb0;
        for (let p = 0; p < kc; p++) {
          v = vadd<T>(v, vmul<T>(v128.load(pa), vsplat<T>(load<T>(pb))));
          pa += saBytes;
          pb += sbBytes;
        }
        const dst = c + <usize>i * ldcBytes + <usize>j * sz;
        if (n === 1) {
          // ldc = 1: the column is contiguous.
          if (acc) v = vadd<T>(v, v128.load(dst));
          v128.store(dst, v);
        } else if (sizeof<T>() === 4) {
          storeLanesF32(v, dst, ldcBytes, acc);
        } else {
          storeLanesF64(v, dst, ldcBytes, acc);
        }
      }
      for (let i = mv; i < m; i++) {
        const pa = a + <usize>(i + pc * csA) * sz;
        dotChunk<T>(kc, pa, saBytes, pb0, sbBytes, c + <usize>i * ldcBytes + <usize>j * sz, acc);
      }
    }
  }
}

function storeLanesF32(v: v128, dst: usize, step: usize, acc: bool): void {
  let x0 = f32x4.extract_lane(v, 0);
  let x1 = f32x4.extract_lane(v, 1);
  let x2 = f32x4.extract_lane(v, 2);
  let x3 = f32x4.extract_lane(v, 3);
  if (acc) {
    x0 = x0 + load<f32>(dst);
    x1 = x1 + load<f32>(dst + step);
    x2 = x2 + load<f32>(dst + 2 * step);
    x3 = x3 + load<f32>(dst + 3 * step);
  }
  store<f32>(dst, x0);
  store<f32>(dst + step, x1);
  store<f32>(dst + 2 * step, x2);
  store<f32>(dst + 3 * step, x3);
}

function storeLanesF64(v: v128, dst: usize, step: usize, acc: bool): void {
  let x0 = f64x2.extract_lane(v, 0);
  let x1 = f64x2.extract_lane(v, 1);
  if (acc) {
    x0 = x0 + load<f64>(dst);
    x1 = x1 + load<f64>(dst + step);
  }
  store<f64>(dst, x0);
  store<f64>(dst + step, x1);
}

/**
 * float32, A row-major (csA = 1) and n tiny (`X @ w` with one output feature): four rows
 * at a time, their elements transposed four k-steps at a time into one lane per row.
 */
function rowMajorNarrowF32(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): void {
  const m4 = m - (m % 4);
  const rowBytes = (<usize>rsA) << 2;
  const sbBytes = (<usize>rsB) << 2;
  const ldcBytes = (<usize>ldc) << 2;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = imin(KC, k - pc);
    const k4 = kc - (kc % 4);
    const acc = accumulate || pc > 0;
    for (let j = 0; j < n; j++) {
      const pb0 = b + ((<usize>(pc * rsB + j * csB)) << 2);
      for (let i = 0; i < m4; i += 4) {
        const r0 = a + ((<usize>(i * rsA + pc)) << 2);
        const r1 = r0 + rowBytes;
        const r2 = r1 + rowBytes;
        const r3 = r2 + rowBytes;
        let v = f32x4.splat(0);
        let pb = pb0;
        let p = 0;
        for (; p < k4; p += 4) {
          const o = (<usize>p) << 2;
          const x0 = v128.load(r0 + o);
          const x1 = v128.load(r1 + o);
          const x2 = v128.load(r2 + o);
          const x3 = v128.load(r3 + o);
          // Transpose: t_q holds element p + q of the four rows.
          const u0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
          const u1 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
          const u2 = i32x4.shuffle(x2, x3, 0, 4, 1, 5);
          const u3 = i32x4.shuffle(x2, x3, 2, 6, 3, 7);
          const t0 = i32x4.shuffle(u0, u2, 0, 1, 4, 5);
          const t1 = i32x4.shuffle(u0, u2, 2, 3, 6, 7);
          const t2 = i32x4.shuffle(u1, u3, 0, 1, 4, 5);
          const t3 = i32x4.shuffle(u1, u3, 2, 3, 6, 7);
          v = f32x4.add(v, f32x4.mul(t0, f32x4.splat(load<f32>(pb))));
          v = f32x4.add(v, f32x4.mul(t1, f32x4.splat(load<f32>(pb + sbBytes))));
          v = f32x4.add(v, f32x4.mul(t2, f32x4.splat(load<f32>(pb + 2 * sbBytes))));
          v = f32x4.add(v, f32x4.mul(t3, f32x4.splat(load<f32>(pb + 3 * sbBytes))));
          pb += 4 * sbBytes;
        }
        for (; p < kc; p++) {
          const o = (<usize>p) << 2;
          let t = f32x4.splat(load<f32>(r0 + o));
          t = f32x4.replace_lane(t, 1, load<f32>(r1 + o));
          t = f32x4.replace_lane(t, 2, load<f32>(r2 + o));
          t = f32x4.replace_lane(t, 3, load<f32>(r3 + o));
          v = f32x4.add(v, f32x4.mul(t, f32x4.splat(load<f32>(pb))));
          pb += sbBytes;
        }
        const dst = c + <usize>i * ldcBytes + ((<usize>j) << 2);
        if (n === 1) {
          if (acc) v = f32x4.add(v, v128.load(dst));
          v128.store(dst, v);
        } else storeLanesF32(v, dst, ldcBytes, acc);
      }
      for (let i = m4; i < m; i++) {
        const pa = a + ((<usize>(i * rsA + pc)) << 2);
        dotChunk<f32>(kc, pa, 4, pb0, sbBytes, c + <usize>i * ldcBytes + ((<usize>j) << 2), acc);
      }
    }
  }
}

/**
 * Runs a narrow product on its own path; false when the packed GEMM suits it better. Narrow:
 * m below MR or k at most 2 (with B's rows contiguous), or n below NR (with A stored
 * transposed, or row-major float32).
 */
function narrowGemm<T>(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
): bool {
  if ((m < MR || k <= 2) && csB === 1 && n >= lanesOf<T>()) {
    rowsPath<T>(m, n, k, a, rsA, csA, b, rsB, c, ldc, accumulate);
    return true;
  }
  if (n < nrOf<T>() && m >= lanesOf<T>()) {
    if (rsA === 1) {
      colsPath<T>(m, n, k, a, csA, b, rsB, csB, c, ldc, accumulate);
      return true;
    }
    if (sizeof<T>() === 4 && csA === 1) {
      rowMajorNarrowF32(m, n, k, a, rsA, b, rsB, csB, c, ldc, accumulate);
      return true;
    }
  }
  return false;
}

/** The blocked GEMM driver for float32 and float64 (T). */
function gemmFloat<T>(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  scratch: usize,
): void {
  const sz = sizeof<T>();
  const ldcBytes = <usize>ldc * sz;
  if (k === 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldcBytes, 0, <usize>n * sz);
    return;
  }
  if (narrowGemm<T>(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate)) return;
  const NR = nrOf<T>();
  const np = (n + NR - 1) / NR;
  const edgeTile = (scratch + 15) & ~15;
  const bp = edgeTile + EDGE_BYTES;
  const ap = bp + <usize>(imin(KC, k) * np * NR) * sz;
  for (let pc = 0; pc < k; pc += KC) {
    const kc = imin(KC, k - pc);
    packB<T>(kc, n, b + <usize>(pc * rsB) * sz, rsB, csB, bp);
    const acc = accumulate || pc > 0;
    for (let ic = 0; ic < m; ic += MC) {
      const mc = imin(MC, m - ic);
      packA<T>(mc, kc, a + <usize>(ic * rsA + pc * csA) * sz, rsA, csA, ap);
      const mp = (mc + MR - 1) / MR;
      for (let jp = 0; jp < np; jp++) {
        const nr = imin(NR, n - jp * NR);
        const bpp = bp + <usize>(jp * kc * NR) * sz;
        for (let ip = 0; ip < mp; ip++) {
          const mr = imin(MR, mc - ip * MR);
          const app = ap + <usize>(ip * kc * MR) * APACK;
          const cp = c + <usize>((ic + ip * MR) * ldc + jp * NR) * sz;
          if (mr === MR && nr === NR) {
            micro<T>(kc, app, bpp, cp, ldcBytes, acc);
          } else {
            micro<T>(kc, app, bpp, edgeTile, <usize>NR * sz, false);
            for (let r = 0; r < mr; r++) {
              for (let q = 0; q < nr; q++) {
                const dst = cp + <usize>r * ldcBytes + <usize>q * sz;
                const v = load<T>(edgeTile + <usize>(r * NR + q) * sz);
                store<T>(dst, acc ? load<T>(dst) + v : v);
              }
            }
          }
        }
      }
    }
  }
}

/** int32 matmul (rare: no SIMD, wrapping arithmetic like a plain loop). */
export function gemmI32(
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s +=
          load<i32>(a + ((<usize>(i * rsA + p * csA)) << 2)) *
          load<i32>(b + ((<usize>(p * rsB + j * csB)) << 2));
      }
      store<i32>(c + ((<usize>(i * ldc + j)) << 2), s);
    }
  }
}

/** Dispatches on dtype: float32, float64, int32. */
export function gemm(
  dt: i32,
  m: i32,
  n: i32,
  k: i32,
  a: usize,
  rsA: i32,
  csA: i32,
  b: usize,
  rsB: i32,
  csB: i32,
  c: usize,
  ldc: i32,
  accumulate: bool,
  scratch: usize,
): void {
  if (dt === F32) gemmFloat<f32>(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate, scratch);
  else if (dt === F64) gemmFloat<f64>(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc, accumulate, scratch);
  else gemmI32(m, n, k, a, rsA, csA, b, rsB, csB, c, ldc);
}
