/**
 * The functions of the fused-program language that JavaScript's `Math` lacks, on float64:
 * the one JS definition that core's reference evaluation and cpu-js's rendered loops call
 * (wasm-simd has the same algorithms in AssemblyScript, webgpu in WGSL on f32).
 */

const TWO_OVER_SQRT_PI = 1.1283791670955126;
const INV_SQRT_PI = 0.5641895835477563;

/**
 * erfc(a) for a >= 2 by the continued fraction
 * erfc(a) = e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))) (modified Lentz).
 */
function erfcLarge(a: number): number {
  let f = a;
  let c = a;
  let d = 0;
  for (let n = 1; n < 200; n++) {
    const an = n / 2;
    d = 1 / (a + an * d);
    c = a + an / c;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return (Math.exp(-a * a) * INV_SQRT_PI) / f;
}

/**
 * The error function (`torch.erf`): its Maclaurin series below |x| = 2 (terms stay below
 * 2.4, so under an ulp of cancellation), 1 − erfc by a continued fraction above, ±1 from
 * |x| = 6. Within about 1e-15 relative of the correctly rounded value.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const a = Math.abs(x);
  if (a < 2) {
    const x2 = x * x;
    let term = x;
    let sum = x;
    for (let n = 1; n < 60; n++) {
      term *= -x2 / n;
      const t = term / (2 * n + 1);
      sum += t;
      if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (a >= 6) return x > 0 ? 1 : -1;
  const c = erfcLarge(a);
  return x > 0 ? 1 - c : c - 1;
}

/**
 * The inverse error function (`torch.erfinv`), PyTorch's algorithm (ATen `calc_erfinv`):
 * a rational first guess, then two Newton steps on erf(x) = y.
 */
export function erfinv(y: number): number {
  const ya = Math.abs(y);
  if (!(ya <= 1)) return Number.NaN;
  if (ya === 1) return y > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let x: number;
  if (ya <= 0.7) {
    const z = y * y;
    const num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899;
    const dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1;
    x = (y * num) / dem;
  } else {
    const z = Math.sqrt(-Math.log((1 - ya) / 2));
    const num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454;
    const dem = (1.6370678 * z + 3.5438892) * z + 1;
    x = (y < 0 || Object.is(y, -0) ? -Math.abs(num) : Math.abs(num)) / dem;
  }
  x -= (erf(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  x -= (erf(x) - y) / (TWO_OVER_SQRT_PI * Math.exp(-x * x));
  return x;
}

/** Rounds half to even (`torch.round`, C's nearbyint); -0 and the sign of small values kept. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
