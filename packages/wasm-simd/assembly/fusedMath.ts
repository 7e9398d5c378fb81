// Scalar math for the fused programs (src/fused/compileFused.ts): a fused module imports
// these from the kernels instance (module 'k') for the ops that have no SIMD instruction,
// and applies them lane by lane (float32 lanes through f64). AssemblyScript's Math is a
// port of musl's; erf and erfinv follow core's definitions (core src/fused/special.ts).

export function mathExp(x: f64): f64 {
  return Math.exp(x);
}
export function mathLog(x: f64): f64 {
  return Math.log(x);
}
export function mathExpm1(x: f64): f64 {
  return Math.expm1(x);
}
export function mathLog1p(x: f64): f64 {
  return Math.log1p(x);
}
export function mathSin(x: f64): f64 {
  return Math.sin(x);
}
export function mathCos(x: f64): f64 {
  return Math.cos(x);
}
export function mathTan(x: f64): f64 {
  return Math.tan(x);
}
export function mathAsin(x: f64): f64 {
  return Math.asin(x);
}
export function mathAcos(x: f64): f64 {
  return Math.acos(x);
}
export function mathAtan(x: f64): f64 {
  return Math.atan(x);
}
export function mathSinh(x: f64): f64 {
  return Math.sinh(x);
}
export function mathCosh(x: f64): f64 {
  return Math.cosh(x);
}
export function mathTanh(x: f64): f64 {
  return Math.tanh(x);
}
export function mathAsinh(x: f64): f64 {
  return Math.asinh(x);
}
export function mathAcosh(x: f64): f64 {
  return Math.acosh(x);
}
export function mathAtanh(x: f64): f64 {
  return Math.atanh(x);
}
export function mathAtan2(y: f64, x: f64): f64 {
  return Math.atan2(y, x);
}
/** C's fmod. */
export function mathFmod(x: f64, y: f64): f64 {
  return Math.mod(x, y);
}
export function mathHypot(x: f64, y: f64): f64 {
  return Math.hypot(x, y);
}

const TWO_OVER_SQRT_PI: f64 = 1.1283791670955126;
const INV_SQRT_PI: f64 = 0.5641895835477563;

/** erfc(a) for a >= 2: the continued fraction, modified Lentz (as core's). */
function erfcLarge(a: f64): f64 {
  let f = a;
  let c = a;
  let d: f64 = 0;
  for (let n = 1; n < 200; n++) {
    const an = <f64>n / 2;
    d = 1 / (a + an * d);
    c = a + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-a * a) * INV_SQRT_PI) / f;
}

/** The error function: Maclaurin series below |x| = 2, 1 − erfc above, ±1 from 6 (as core's). */
export function mathErf(x: f64): f64 {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / <f64>n;
      const t = term / <f64>(2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (a >= 6) return x > 0 ? 1 : -1;
  const c = erfcLarge(a);
  return x > 0 ? 1 - c : c - 1;
}

/** PyTorch's erfinv (ATen calc_erfinv): a rational guess and two Newton steps. */
export function mathErfinv(y: f64): f64 {
  const ya = Math.abs(y);
  if (!(ya <= 1)) return NaN;
  if (ya === 1) return y > 0 ? Infinity : -Infinity;
  let x: f64;
  if (ya <= 0.7) {
    const z = y * y;
    const num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899;
    const dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1;
    x = (y * num) / dem;
  } else {
    const z = Math.sqrt(-Math.log((1 - ya) / 2));
    const num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454;
    const dem = (1.6370678 * z + 3.5438892) * z + 1;
    x = (y < 0 ? -Math.abs(num) : Math.abs(num)) / dem;
  }
  x -= (mathErf(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  x -= (mathErf(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  return x;
}
