/**
 * WGSL helpers shared by the generated shaders.
 *
 * Vulkan allows exp/log/tanh several ulps (log: an absolute 2^-21 near 1) of error, and
 * lavapipe uses that freedom, which breaks a 1e-5 relative agreement with PyTorch. So the
 * transcendental functions are written out here with f32 arithmetic only (range reduction
 * plus short polynomials), accurate to a few ulps everywhere, and the activations use the
 * stable forms PyTorch uses (sigmoid through exp(-|x|), softplus with threshold 20).
 * NaN tests look at the bits: compilers may fold `x != x` away.
 */
export const WGSL_MATH = /* wgsl */ `
var<private> F_INF_BITS: u32 = 0x7f800000u;
var<private> F_NAN_BITS: u32 = 0x7fc00000u;
fn f_inf() -> f32 { return bitcast<f32>(F_INF_BITS); }
fn f_nan() -> f32 { return bitcast<f32>(F_NAN_BITS); }
fn is_nan(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn is_inf(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }

// exp(r) - 1 for |r| <= 0.5: Taylor to r^10 (error below 3e-10 relative).
fn expm1_small(r: f32) -> f32 {
  var q = 1.0 / 3628800.0;
  q = q * r + 1.0 / 362880.0;
  q = q * r + 1.0 / 40320.0;
  q = q * r + 1.0 / 5040.0;
  q = q * r + 1.0 / 720.0;
  q = q * r + 1.0 / 120.0;
  q = q * r + 1.0 / 24.0;
  q = q * r + 1.0 / 6.0;
  q = q * r + 0.5;
  return r + r * r * q;
}

fn exp_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  if (x > 88.72284) { return f_inf(); }
  if (x < -103.97208) { return 0.0; }
  // x = k ln2 + r, ln2 split in two so k*ln2 is exact to f32.
  let k = round(x * 1.4426950408889634);
  let r = (x - k * 0.693145751953125) - k * 1.428606765330187e-6;
  let e = expm1_small(r) + 1.0;
  // Two steps: 2^k alone may overflow or be subnormal where the product is not.
  let k1 = i32(k) / 2;
  return ldexp(ldexp(e, k1), i32(k) - k1);
}

fn expm1_f(x: f32) -> f32 {
  if (abs(x) <= 0.5) { return expm1_small(x); }
  return exp_f(x) - 1.0;
}

// 2 atanh(s) = log((1+s)/(1-s)) for |s| <= 0.1716 (error below 1e-9 relative).
fn log_atanh(s: f32) -> f32 {
  let z = s * s;
  var q = 1.0 / 15.0;
  q = q * z + 1.0 / 13.0;
  q = q * z + 1.0 / 11.0;
  q = q * z + 1.0 / 9.0;
  q = q * z + 1.0 / 7.0;
  q = q * z + 1.0 / 5.0;
  q = q * z + 1.0 / 3.0;
  return 2.0 * s + 2.0 * s * z * q;
}

fn log_f(x: f32) -> f32 {
  if (is_nan(x) || x < 0.0) { return f_nan(); }
  if (x == 0.0) { return -f_inf(); }
  if (is_inf(x)) { return x; }
  let fe = frexp(x);
  var m = fe.fract;
  var e = f32(fe.exp);
  // m in [0.5, 1): move it to [sqrt(1/2), sqrt(2)) so |s| stays small.
  if (m < 0.70710678) { m = m * 2.0; e = e - 1.0; }
  let s = (m - 1.0) / (m + 1.0);
  return e * 1.428606765330187e-6 + log_atanh(s) + e * 0.693145751953125;
}

fn log1p_f(x: f32) -> f32 {
  if (x > -0.2928932 && x < 0.41421356) { return log_atanh(x / (2.0 + x)); }
  return log_f(1.0 + x);
}

// Above |x| = log(3)/2, 1 − 2/(e^2|x| + 1) (musl's form): near ±1 the result is then within
// an ulp, which 1 − tanh² (the tanh and gelu backwards) needs.
fn tanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 20.0) { return sign(x); }
  if (a > 0.5493061) { return sign(x) * (1.0 - 2.0 / (exp_f(2.0 * a) + 1.0)); }
  let em = expm1_f(-2.0 * a);
  return sign(x) * (-em / (2.0 + em));
}

fn sigmoid_f(x: f32) -> f32 {
  let e = exp_f(-abs(x));
  if (x >= 0.0) { return 1.0 / (1.0 + e); }
  return e / (1.0 + e);
}

fn softplus_f(x: f32) -> f32 {
  if (x > 20.0) { return x; }
  return log1p_f(exp_f(x));
}

// torch.sign (tensors and fused programs): NaN gives 0, as PyTorch's CPU kernel does.
fn sign_t(x: f32) -> f32 {
  if (x > 0.0) { return 1.0; }
  if (x < 0.0) { return -1.0; }
  return 0.0;
}

fn max_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  return max(a, b);
}

fn min_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  return min(a, b);
}

// C's pow (PyTorch's) on f32: 1 for base 1 whatever the exponent and for base -1 with an
// infinite one; a negative finite base to a non-integer power is NaN.
fn pow_f(a: f32, b: f32) -> f32 {
  if (b == 0.0 || a == 1.0) { return 1.0; }
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  if (b == 1.0) { return a; }
  if (b == 2.0) { return a * a; }
  if (b == 0.5 && a > 0.0 && !is_inf(a)) { return sqrt(a); }
  if (b == -1.0) { return 1.0 / a; }
  let bi = b == trunc(b);
  if (a == -1.0 && is_inf(b)) { return 1.0; }
  if (a < 0.0 && !bi && !is_inf(b) && !is_inf(a)) { return f_nan(); }
  let aa = abs(a);
  var r: f32;
  if (aa == 0.0) {
    if (b > 0.0) { r = 0.0; } else { r = f_inf(); }
  } else if (is_inf(aa)) {
    if (b > 0.0) { r = f_inf(); } else { r = 0.0; }
  } else if (is_inf(b)) {
    if ((aa > 1.0) == (b > 0.0)) { r = f_inf(); } else { r = 0.0; }
    return r;
  } else if (bi && abs(b) <= 64.0) {
    // Small integer powers by squaring: a few roundings, where exp(b·log|a|) is off by
    // about |b·log|a|| ulps.
    var e = u32(abs(b));
    var x = aa;
    r = 1.0;
    loop {
      if (e == 0u) { break; }
      if ((e & 1u) == 1u) { r = r * x; }
      x = x * x;
      e = e >> 1u;
    }
    if (b < 0.0) { r = 1.0 / r; }
  } else {
    r = exp_f(b * log_f(aa));
  }
  // An odd integer power keeps the sign of a negative base.
  if (a < 0.0 || (a == 0.0 && (bitcast<u32>(a) >> 31u) == 1u)) {
    if (bi && abs(b) < 16777216.0 && (i32(abs(b)) & 1) == 1) { r = -r; }
  }
  return r;
}

fn pow_i(a: i32, b: i32) -> i32 {
  if (b < 0) {
    if (a == 1) { return 1; }
    if (a == -1) { if ((b & 1) == 0) { return 1; } return -1; }
    return 0;
  }
  var r = 1;
  var base = a;
  var e = b;
  loop {
    if (e == 0) { break; }
    if ((e & 1) == 1) { r = r * base; }
    base = base * base;
    e = e >> 1;
  }
  return r;
}
`;

/** An f32 constant in WGSL, exact (bit pattern) and never a const-eval error for inf/NaN. */
export function f32Literal(v: number): string {
  v = Math.fround(v);
  if (Number.isNaN(v)) return 'f_nan()';
  if (v === Number.POSITIVE_INFINITY) return 'f_inf()';
  if (v === Number.NEGATIVE_INFINITY) return '(-f_inf())';
  const bits = new Uint32Array(new Float32Array([v]).buffer)[0]!;
  return `bitcast<f32>(0x${bits.toString(16)}u)`;
}
