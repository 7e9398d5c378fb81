/**
 * WGSL for the fused-program math ops beyond the optimizers' set (sin … erfinv, fmod,
 * hypot, atan2), written out in f32 arithmetic for the same reason as `wgslMath.ts`: the
 * builtins may be several ulps (Vulkan allows sin/cos an absolute 2^-11), far from PyTorch's
 * float32 tolerance. Range reductions and polynomials follow Cephes' single-precision
 * functions and musl's reformulations (sinh, cosh, asinh, acosh, atanh); erf and erfinv
 * follow core's definitions (core src/fused/special.ts). NaN and infinities are tested on
 * the bits first (WGSL lets compilers assume neither occurs). Appended to a fused shader
 * only when its program uses one of these functions.
 */
export const WGSL_MATH_EXTRA = /* wgsl */ `
fn neg_if(r: f32, neg: bool) -> f32 { return select(r, -r, neg); }

// x = k·π/2 + r, |r| <= π/4: Cody-Waite with π/2 in three parts (k·part exact for |k| < 2^12).
struct TrigArg { r: f32, q: i32 }
fn trig_reduce(x: f32) -> TrigArg {
  let k = round(x * 0.6366197723675814);
  let r = ((x - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
  return TrigArg(r, i32(k) & 3);
}
fn sin_poly(r: f32) -> f32 {
  let z = r * r;
  return r + r * z * ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1);
}
fn cos_poly(r: f32) -> f32 {
  let z = r * r;
  return 1.0 - 0.5 * z + z * z * ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2);
}
fn sin_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return f_nan(); }
  let t = trig_reduce(x);
  if (t.q == 0) { return sin_poly(t.r); }
  if (t.q == 1) { return cos_poly(t.r); }
  if (t.q == 2) { return -sin_poly(t.r); }
  return -cos_poly(t.r);
}
fn cos_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return f_nan(); }
  let t = trig_reduce(x);
  if (t.q == 0) { return cos_poly(t.r); }
  if (t.q == 1) { return -sin_poly(t.r); }
  if (t.q == 2) { return -cos_poly(t.r); }
  return sin_poly(t.r);
}
fn tan_f(x: f32) -> f32 {
  if (is_nan(x) || is_inf(x)) { return f_nan(); }
  let t = trig_reduce(x);
  let s = sin_poly(t.r);
  let c = cos_poly(t.r);
  if ((t.q & 1) == 0) { return s / c; }
  return -c / s;
}

// asin on [0, 1] (Cephes asinf): a polynomial in a², or around 1 through sqrt((1 - a)/2).
fn asin_pos(a: f32) -> f32 {
  var z: f32;
  var s: f32;
  let big = a > 0.5;
  if (big) { z = 0.5 * (1.0 - a); s = sqrt(z); } else { z = a * a; s = a; }
  let p = ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z + 7.4953002686e-2) * z
    + 1.6666752422e-1) * z * s + s;
  if (big) { return 1.5707963267948966 - 2.0 * p; }
  return p;
}
fn asin_f(x: f32) -> f32 {
  if (is_nan(x) || abs(x) > 1.0) { return f_nan(); }
  return neg_if(asin_pos(abs(x)), x < 0.0);
}
fn acos_f(x: f32) -> f32 {
  if (is_nan(x) || abs(x) > 1.0) { return f_nan(); }
  if (x < -0.5) { return 3.141592653589793 - 2.0 * asin_pos(sqrt(0.5 * (1.0 + x))); }
  if (x > 0.5) { return 2.0 * asin_pos(sqrt(0.5 * (1.0 - x))); }
  return 1.5707963267948966 - neg_if(asin_pos(abs(x)), x < 0.0);
}

// atan on [0, inf) (Cephes atanf): reduced by tan(3π/8) and tan(π/8).
fn atan_pos(a: f32) -> f32 {
  if (is_inf(a)) { return 1.5707963267948966; }
  var y0 = 0.0;
  var t = a;
  if (a > 2.414213562373095) { y0 = 1.5707963267948966; t = -1.0 / a; }
  else if (a > 0.4142135623730950) { y0 = 0.7853981633974483; t = (a - 1.0) / (a + 1.0); }
  let z = t * t;
  return y0 + ((((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z - 3.33329491539e-1) * z * t + t);
}
fn atan_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  return neg_if(atan_pos(abs(x)), x < 0.0);
}
fn sign_bit(x: f32) -> bool { return (bitcast<u32>(x) >> 31u) == 1u; }
// C's atan2(y, x), signed zeros and infinities included.
fn atan2_f(y: f32, x: f32) -> f32 {
  if (is_nan(x) || is_nan(y)) { return f_nan(); }
  let ax = abs(x);
  let ay = abs(y);
  var r: f32;
  if (is_inf(ax) && is_inf(ay)) {
    r = select(2.356194490192345, 0.7853981633974483, x > 0.0);
  } else if (ay == 0.0 || is_inf(ax)) {
    r = select(0.0, 3.141592653589793, sign_bit(x));
  } else if (ax == 0.0 || is_inf(ay)) {
    r = 1.5707963267948966;
  } else {
    if (ay > ax) { r = 1.5707963267948966 - atan_pos(ax / ay); } else { r = atan_pos(ay / ax); }
    if (sign_bit(x)) { r = 3.141592653589793 - r; }
  }
  return neg_if(r, sign_bit(y));
}

fn sinh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a < 1.0) {
    let t = expm1_f(a);
    r = 0.5 * (2.0 * t - t * t / (t + 1.0));
  } else if (a < 88.0) {
    let t = expm1_f(a);
    r = 0.5 * (t + t / (t + 1.0));
  } else {
    let t = exp_f(0.5 * a);
    r = (0.5 * t) * t;
  }
  return neg_if(r, x < 0.0);
}
fn cosh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 0.6931472) {
    let t = expm1_f(a);
    return 1.0 + t * t / (2.0 * (1.0 + t));
  }
  if (a < 88.0) {
    let t = exp_f(a);
    return 0.5 * t + 0.5 / t;
  }
  let t = exp_f(0.5 * a);
  return (0.5 * t) * t;
}
fn asinh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  var r: f32;
  if (a >= 4096.0) { r = log_f(a) + 0.6931471805599453; }
  else if (a >= 2.0) { r = log_f(2.0 * a + 1.0 / (sqrt(a * a + 1.0) + a)); }
  else { r = log1p_f(a + a * a / (sqrt(a * a + 1.0) + 1.0)); }
  return neg_if(r, x < 0.0);
}
fn acosh_f(x: f32) -> f32 {
  if (is_nan(x) || x < 1.0) { return f_nan(); }
  if (x < 2.0) {
    let t = x - 1.0;
    return log1p_f(t + sqrt(2.0 * t + t * t));
  }
  if (x < 4096.0) { return log_f(2.0 * x - 1.0 / (x + sqrt(x * x - 1.0))); }
  return log_f(x) + 0.6931471805599453;
}
fn atanh_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a > 1.0) { return f_nan(); }
  if (a == 1.0) { return neg_if(f_inf(), x < 0.0); }
  var r: f32;
  if (a < 0.5) { r = 0.5 * log1p_f(2.0 * a + 2.0 * a * a / (1.0 - a)); }
  else { r = 0.5 * log1p_f(2.0 * a / (1.0 - a)); }
  return neg_if(r, x < 0.0);
}

// erf: the Maclaurin series below |x| = 2, 1 − erfc by its continued fraction above, ±1
// from 4 (erfc(4) is below half an ulp of 1).
fn erf_f(x: f32) -> f32 {
  if (is_nan(x)) { return x; }
  let a = abs(x);
  if (a < 2.0) {
    let x2 = x * x;
    var term = x;
    var sum = x;
    for (var n = 1; n < 40; n++) {
      term = term * (-x2 / f32(n));
      let t = term / f32(2 * n + 1);
      sum = sum + t;
      if (abs(t) < 1e-8 * abs(sum)) { break; }
    }
    return 1.1283791670955126 * sum;
  }
  if (a >= 4.0) { return sign(x); }
  var f = a;
  var c = a;
  var d = 0.0;
  for (var n = 1; n < 80; n++) {
    let an = f32(n) * 0.5;
    d = 1.0 / (a + an * d);
    c = a + an / c;
    let delta = c * d;
    f = f * delta;
    if (abs(delta - 1.0) < 1e-8) { break; }
  }
  let erfc = exp_f(-a * a) * 0.5641895835477563 / f;
  return neg_if(1.0 - erfc, x < 0.0);
}
// PyTorch's erfinv: a rational guess, then two Newton steps on erf(x) = y.
fn erfinv_f(y: f32) -> f32 {
  if (is_nan(y)) { return y; }
  let ya = abs(y);
  if (ya > 1.0) { return f_nan(); }
  if (ya == 1.0) { return neg_if(f_inf(), y < 0.0); }
  var x: f32;
  if (ya <= 0.7) {
    let z = y * y;
    let num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899;
    let dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1.0;
    x = y * num / dem;
  } else {
    let z = sqrt(-log_f((1.0 - ya) / 2.0));
    let num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454;
    let dem = (1.6370678 * z + 3.5438892) * z + 1.0;
    x = neg_if(abs(num), y < 0.0) / dem;
  }
  x = x - (erf_f(x) - y) / (1.1283791670955126 * exp_f(-x * x));
  x = x - (erf_f(x) - y) / (1.1283791670955126 * exp_f(-x * x));
  return x;
}

// C's fmod: |a| − q·|b| with q·|b| split exactly (|b| into two 12-bit halves), so the
// remainder is exact for quotients below 2^12; the sign of a.
fn fmod_f(a: f32, b: f32) -> f32 {
  if (is_nan(a) || is_nan(b) || is_inf(a) || b == 0.0) { return f_nan(); }
  if (is_inf(b)) { return a; }
  let ab = abs(b);
  var r = abs(a);
  if (r < ab) { return a; }
  let q = trunc(r / ab);
  let hi = bitcast<f32>(bitcast<u32>(ab) & 0xfffff000u);
  let lo = ab - hi;
  r = (r - q * hi) - q * lo;
  if (r < 0.0) { r = r + ab; }
  if (r >= ab) { r = r - ab; }
  return neg_if(r, sign_bit(a));
}
fn hypot_f(a: f32, b: f32) -> f32 {
  if (is_inf(a) || is_inf(b)) { return f_inf(); }
  if (is_nan(a) || is_nan(b)) { return f_nan(); }
  let m = max(abs(a), abs(b));
  let n = min(abs(a), abs(b));
  if (m == 0.0) { return 0.0; }
  let r = n / m;
  return m * sqrt(1.0 + r * r);
}
`;

/** The functions above, as the fused renderer names them: a shader that calls one needs the block. */
export const WGSL_MATH_EXTRA_FUNCTIONS = [
  'sin_f',
  'cos_f',
  'tan_f',
  'asin_f',
  'acos_f',
  'atan_f',
  'atan2_f',
  'sinh_f',
  'cosh_f',
  'asinh_f',
  'acosh_f',
  'atanh_f',
  'erf_f',
  'erfinv_f',
  'fmod_f',
  'hypot_f',
] as const;
