import type { TypedArray, UnaryOp } from '@stepwise/core';

/**
 * Elementwise unary kernels (torch.neg, torch.exp, ..., torch.logical_not) over contiguous
 * arrays. One switch per call, one tight loop per op: no per-element dispatch.
 * Numerics follow PyTorch CPU: `sign(0) = sign(-0) = sign(NaN) = 0` (PyTorch computes
 * `(0 < x) - (x < 0)`), `relu(NaN) = NaN` and `relu(-0) = -0`, sigmoid
 * computed without overflow on either side, softplus with beta = 1 and threshold = 20.
 */
export function unaryKernel(op: UnaryOp, x: TypedArray, out: TypedArray, n: number, intMath: boolean): void {
  switch (op) {
    case 'neg':
      for (let i = 0; i < n; i++) out[i] = -x[i];
      return;
    case 'exp':
      for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]);
      return;
    case 'log':
      for (let i = 0; i < n; i++) out[i] = Math.log(x[i]);
      return;
    case 'sqrt':
      for (let i = 0; i < n; i++) out[i] = Math.sqrt(x[i]);
      return;
    case 'rsqrt':
      for (let i = 0; i < n; i++) out[i] = 1 / Math.sqrt(x[i]);
      return;
    case 'abs':
      for (let i = 0; i < n; i++) out[i] = Math.abs(x[i]);
      return;
    case 'sign':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v > 0 ? 1 : v < 0 ? -1 : 0;
      }
      return;
    case 'square':
      // int32 squares wrap like PyTorch's int arithmetic; a float64 product would round first.
      if (intMath) for (let i = 0; i < n; i++) out[i] = Math.imul(x[i], x[i]);
      else
        for (let i = 0; i < n; i++) {
          const v = x[i];
          out[i] = v * v;
        }
      return;
    case 'relu':
      // clamp_min(x, 0): NaN and -0 pass through unchanged, as in PyTorch.
      for (let i = 0; i < n; i++) {
        const v = x[i];
        // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is 0; PyTorch keeps -0.
        out[i] = v < 0 ? 0 : v;
      }
      return;
    case 'sigmoid':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        if (v >= 0) out[i] = 1 / (1 + Math.exp(-v));
        else {
          const e = Math.exp(v);
          out[i] = e / (1 + e);
        }
      }
      return;
    case 'tanh':
      for (let i = 0; i < n; i++) out[i] = Math.tanh(x[i]);
      return;
    case 'softplus':
      for (let i = 0; i < n; i++) {
        const v = x[i];
        out[i] = v > 20 ? v : Math.log1p(Math.exp(v));
      }
      return;
    case 'reciprocal':
      for (let i = 0; i < n; i++) out[i] = 1 / x[i];
      return;
    case 'not':
      for (let i = 0; i < n; i++) out[i] = x[i] === 0 ? 1 : 0;
      return;
    default:
      throw new TypeError(`cpu-js: unknown unary op '${String(op)}'`);
  }
}
