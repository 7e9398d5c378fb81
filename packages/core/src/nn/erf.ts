/** The error function and its inverse, on the host (for `nn.init.truncNormal_`). */

/**
 * The inverse error function as PyTorch's `calc_erfinv`: a rational first guess (Pavlis'
 * translation of MATLAB's erfinv) and two Newton steps on erf.
 */
export function erfinv(y: number): number {
  const ay = Math.abs(y);
  if (Number.isNaN(y) || ay > 1) return Number.NaN;
  if (ay === 1) return y > 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
  let x: number;
  if (ay <= 0.7) {
    const z = y * y;
    const num = ((-0.140543331 * z + 0.914624893) * z - 1.645349621) * z + 0.886226899;
    const dem = (((0.012229801 * z - 0.329097515) * z + 1.442710462) * z - 2.118377725) * z + 1;
    x = (y * num) / dem;
  } else {
    const z = Math.sqrt(-Math.log((1 - ay) / 2));
    const num = ((1.641345311 * z + 3.429567803) * z - 1.624906493) * z - 1.970840454;
    const dem = (1.6370678 * z + 3.5438892) * z + 1;
    x = (y < 0 ? -num : num) / dem;
  }
  const k = 2 / Math.sqrt(Math.PI);
  x -= (erf(x) - y) / (k * Math.exp(-x * x));
  x -= (erf(x) - y) / (k * Math.exp(-x * x));
  return x;
}

/** The error function, to double precision (Taylor series near 0, a continued fraction for erfc beyond). */
export function erf(x: number): number {
  if (Number.isNaN(x)) return x;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // erf(x) = 2/√π · Σ (−1)ⁿ x^(2n+1) / (n!(2n+1))
    let term = ax;
    let sum = ax;
    const x2 = ax * ax;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  if (ax > 6) return x < 0 ? -1 : 1;
  // erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}
