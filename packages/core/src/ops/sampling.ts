/**
 * How draws become values: PyTorch 1.13's CPU samplers, reproduced on the host.
 *
 * Every function here takes a Generator and returns host numbers in the order PyTorch's
 * kernel writes them (row-major for a contiguous output). Float32 arithmetic is rounded
 * where PyTorch's is (`Math.fround`), and the multiply-adds that PyTorch's AVX2 build
 * fuses (the compiler contracts `a * b + c` there) are fused here too (`fma32`, `fma64`).
 *
 * Exactness: the float32 paths reproduce PyTorch's values bit for bit (PyTorch on x86-64
 * with its default AVX2 kernels). Paths through libm's double `log`/`sin`/`cos`/`tan`/`exp`
 * (float64 normals, exponential, cauchy, log-normal, geometric) use the JS engine's, which
 * differ from glibc's in the last bit for a few percent of arguments: float64 values agree
 * to within a few ulps, and float32 values (rounded from those doubles) agree exactly all
 * but never in practice.
 */
import type { DType } from '../dtype.js';
import type { Generator } from '../generator.js';

const f = Math.fround;

// ---- fused multiply-add ----

/** `fmaf(a, b, c)` for float32 a, b, c: the exact a·b + c rounded once to float32. */
export function fma32(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 + 24 bits
  const s = p + c;
  const r = f(s);
  if (r === s) return r;
  const bb = s - p;
  const e = p - (s - bb) + (c - bb); // s + e = p + c exactly
  if (e === 0) return r;
  // s rounds to float32 like the exact sum unless s is a tie between two floats; then the
  // error decides.
  const d = s - r;
  const r2 = r + 2 * d;
  if (f(r2) === r2 && e > 0 === d > 0) return r2;
  return r;
}

const SPLIT = 134217729; // 2^27 + 1

/**
 * `fma(a, b, c)` in double: the product's error term (Dekker) and the sum's (Knuth) added
 * back before the final rounding. Correctly rounded but for a double tie, which no
 * sampler here meets in practice.
 */
export function fma64(a: number, b: number, c: number): number {
  const p = a * b;
  let t = SPLIT * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLIT * b;
  const bh = t - (t - b);
  const bl = b - bh;
  const pe = ah * bh - p + ah * bl + al * bh + al * bl;
  const s = p + c;
  const bb = s - p;
  const se = p - (s - bb) + (c - bb);
  return s + (se + pe);
}

// ---- uniform ----

/**
 * `uniform_(from, to)` (and `rand` for [0, 1)): PyTorch's `uniform_real_distribution`,
 * 24 bits of one draw for float32, 53 bits of two for float64, scaled as `fma(u, to - from,
 * from)` in the dtype.
 */
export function uniformValues(gen: Generator, n: number, dtype: DType, from = 0, to = 1): Float64Array {
  const out = new Float64Array(n);
  if (dtype === 'float64') {
    const w = to - from;
    if (from === 0 && to === 1) for (let i = 0; i < n; i++) out[i] = gen.nextFloat53();
    else for (let i = 0; i < n; i++) out[i] = fma64(gen.nextFloat53(), w, from);
  } else {
    const lo = f(from);
    const w = f(f(to) - lo);
    if (lo === 0 && w === 1) for (let i = 0; i < n; i++) out[i] = gen.nextFloat24();
    else for (let i = 0; i < n; i++) out[i] = fma32(gen.nextFloat24(), w, lo);
  }
  return out;
}

// ---- normal ----

/** PyTorch's `normal_distribution<double>`: scalar Box-Muller, the second value cached on the generator. */
export function normalScalar(gen: Generator): number {
  const cached = gen._takeNormal();
  if (cached !== null) return cached;
  const u1 = gen.nextFloat53();
  const u2 = gen.nextFloat53();
  const r = Math.sqrt(-2 * Math.log(1 - u2));
  const theta = 2 * Math.PI * u1;
  gen._cacheNormal(r * Math.sin(theta));
  return r * Math.cos(theta);
}

// avx_mathfun.h's log256_ps and sincos256_ps (Cephes), lane by lane, with the
// multiply-adds GCC fuses in PyTorch's AVX2 build.
const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const SQRTHF = f(Math.SQRT1_2);
const LOG_P = [
  7.0376836292e-2, -1.151461031e-1, 1.167699874e-1, -1.2420140846e-1, 1.4249322787e-1, -1.6668057665e-1,
  2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1,
].map(f);
const LOG_Q1 = f(-2.1219444e-4);
const LOG_Q2 = f(0.693359375);
const MIN_NORM = 1.1754943508222875e-38;

function log256(x0: number): number {
  const x1 = Math.max(x0, MIN_NORM);
  F32[0] = x1;
  const bits = U32[0]!;
  let e = (bits >>> 23) - 0x7f + 1;
  U32[0] = (bits & ~0x7f800000) | 0x3f000000;
  let x = F32[0]!;
  const below = x < SQRTHF;
  const tmp = below ? x : 0;
  x = f(x - 1);
  if (below) e -= 1;
  x = f(x + tmp);
  const z = f(x * x);
  let y = LOG_P[0]!;
  for (let k = 1; k <= 8; k++) y = fma32(y, x, LOG_P[k]!);
  y = f(y * x);
  y = fma32(y, z, f(e * LOG_Q1));
  y = f(y - f(z * 0.5));
  x = f(x + y);
  x = fma32(e, LOG_Q2, x);
  return x0 <= 0 ? Number.NaN : x;
}

const DP1 = f(-0.78515625);
const DP2 = f(-2.4187564849853516e-4);
const DP3 = f(-3.774894977445941e-8);
const SIN_P = [-1.9515295891e-4, 8.3321608736e-3, -1.6666654611e-1].map(f);
const COS_P = [2.443315711809948e-5, -1.388731625493765e-3, 4.166664568298827e-2].map(f);
const FOPI = f(1.27323954473516);

/** sincos256_ps for one lane; `out[0]` = sin, `out[1]` = cos. */
function sincos256(t: number, out: number[]): void {
  let x = Math.abs(t);
  let j = Math.trunc(f(x * FOPI));
  j = (j + 1) & ~1;
  const y = j;
  x = fma32(y, DP1, x);
  x = fma32(y, DP2, x);
  x = fma32(y, DP3, x);
  const sinNeg = t < 0 !== ((j & 4) !== 0);
  const cosNeg = (~(j - 2) & 4) !== 0;
  const z = f(x * x);
  let yc = fma32(COS_P[0]!, z, COS_P[1]!);
  yc = fma32(yc, z, COS_P[2]!);
  yc = f(yc * z);
  yc = fma32(yc, z, -f(z * 0.5));
  yc = f(yc + 1);
  let ys = fma32(SIN_P[0]!, z, SIN_P[1]!);
  ys = fma32(ys, z, SIN_P[2]!);
  ys = f(ys * z);
  ys = fma32(ys, x, x);
  const first = (j & 2) === 0;
  const s = first ? ys : yc;
  const c = first ? yc : ys;
  out[0] = sinNeg ? -s : s;
  out[1] = cosNeg ? -c : c;
}

const TWO_PI_F = f(2 * Math.PI);
const sc = [0, 0];

/** normal_fill_16_AVX2: 16 uniforms at `o` become 16 normals (float32). */
function normalFill16F32(d: Float64Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = f(1 - d[o + j]!);
    const u2 = d[o + j + 8]!;
    const radius = f(Math.sqrt(f(-2 * log256(u1))));
    sincos256(f(TWO_PI_F * u2), sc);
    d[o + j] = fma32(f(radius * sc[1]!), std, mean);
    d[o + j + 8] = fma32(f(radius * sc[0]!), std, mean);
  }
}

/** normal_fill_16 in double (PyTorch's generic path, which its float64 tensors take). */
function normalFill16F64(d: Float64Array, o: number, mean: number, std: number): void {
  for (let j = 0; j < 8; j++) {
    const u1 = 1 - d[o + j]!;
    const u2 = d[o + j + 8]!;
    const radius = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    d[o + j] = fma64(radius * Math.cos(theta), std, mean);
    d[o + j + 8] = fma64(radius * Math.sin(theta), std, mean);
  }
}

/**
 * `normal_(mean, std)` as PyTorch's CPU `normal_kernel` fills a tensor of `n` elements:
 * a contiguous tensor of 16 or more elements takes the vectorised Box-Muller over blocks of
 * 16 uniforms (the last 16 values redrawn when n is not a multiple of 16); anything
 * smaller, or not contiguous, takes the scalar path (double uniforms, the second value of
 * each pair cached on the generator for the next draw, even across calls).
 */
export function normalValues(
  gen: Generator,
  n: number,
  dtype: DType,
  mean = 0,
  std = 1,
  contiguous = true,
): Float64Array {
  const f32 = dtype !== 'float64';
  if (n >= 16 && contiguous) {
    const d = f32 ? uniformValues(gen, n, 'float32') : uniformValues(gen, n, 'float64');
    const fill = f32 ? normalFill16F32 : normalFill16F64;
    const m = f32 ? f(mean) : mean;
    const s = f32 ? f(std) : std;
    for (let i = 0; i + 16 <= n; i += 16) fill(d, i, m, s);
    if (n % 16 !== 0) {
      const tail = uniformValues(gen, 16, f32 ? 'float32' : 'float64');
      d.set(tail, n - 16);
      fill(d, n - 16, m, s);
    }
    return d;
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = fma64(normalScalar(gen), std, mean);
    out[i] = f32 ? f(v) : v;
  }
  return out;
}

// ---- integers ----

/**
 * `random_(from, to)` / `randint(low, high)`: `draw % (to - from) + from`, one 32-bit draw
 * per value when the range fits 32 bits, else one 64-bit draw (PyTorch's
 * `uniform_int_from_to_distribution`).
 */
export function intRangeValues(gen: Generator, n: number, low: number, high: number): Float64Array {
  const out = new Float64Array(n);
  const range = high - low;
  if (range < 2 ** 32) {
    for (let i = 0; i < n; i++) out[i] = low + (gen.nextU32() % range);
  } else {
    const r = BigInt(range);
    for (let i = 0; i < n; i++) out[i] = low + Number(gen.nextU64() % r);
  }
  return out;
}

/**
 * `random_()` with no range: PyTorch's `uniform_int_distribution` of the dtype, in
 * [0, 2^24] for float32, [0, 2^53] for float64, [0, 2^31) for int32, {0, 1} for bool.
 */
export function intFullValues(gen: Generator, n: number, dtype: DType): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (dtype === 'float64') out[i] = Number(gen.nextU64() % (2n ** 53n + 1n));
    else if (dtype === 'float32') out[i] = gen.nextU32() % (2 ** 24 + 1);
    else if (dtype === 'int32') out[i] = gen.nextU32() % 2 ** 31;
    else out[i] = gen.nextU32() & 1;
  }
  return out;
}

/** `randperm(n)`: PyTorch's CPU shuffle (forward, `random() % (n - i)`). */
export function permutationValues(gen: Generator, n: number): Float64Array {
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = 0; i < n - 1; i++) {
    const j = i + (gen.nextU32() % (n - i));
    const t = p[i]!;
    p[i] = p[j]!;
    p[j] = t;
  }
  return p;
}

// ---- the other scalar distributions (one double uniform per value) ----

/** `bernoulli_(p)` with a number p: 1 where a double uniform is below p. */
export function bernoulliValues(gen: Generator, n: number, p: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = gen.nextFloat53() < p ? 1 : 0;
  return out;
}

/** `exponential_(lambd)`: `-1 / lambd · log(1 - u)`, rounded to the dtype. */
export function exponentialValues(gen: Generator, n: number, dtype: DType, lambd: number): Float64Array {
  const out = new Float64Array(n);
  const k = -1 / lambd;
  for (let i = 0; i < n; i++) out[i] = k * Math.log(1 - gen.nextFloat53());
  return dtype === 'float64' ? out : out.map(f);
}

/** `cauchy_(median, sigma)`: `median + sigma · tan(π (u - 1/2))`. */
export function cauchyValues(
  gen: Generator,
  n: number,
  dtype: DType,
  median: number,
  sigma: number,
): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = fma64(sigma, Math.tan(Math.PI * (gen.nextFloat53() - 0.5)), median);
  return dtype === 'float64' ? out : out.map(f);
}

/** `log_normal_(mean, std)`: `exp` of the scalar normal path's `normal(mean, std)`. */
export function logNormalValues(
  gen: Generator,
  n: number,
  dtype: DType,
  mean: number,
  std: number,
): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.exp(fma64(normalScalar(gen), std, mean));
  return dtype === 'float64' ? out : out.map(f);
}

/** `geometric_(p)`: `ceil(log(u) / log(1 - p))`. */
export function geometricValues(gen: Generator, n: number, p: number): Float64Array {
  const out = new Float64Array(n);
  const d = Math.log(1 - p);
  for (let i = 0; i < n; i++) out[i] = Math.ceil(Math.log(gen.nextFloat53()) / d);
  return out;
}
