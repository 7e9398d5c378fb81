import type { Tensor } from '../tensor.js';

/**
 * `torch.lerp(start, end, w)` for a number weight, with PyTorch's two formulas (the one
 * anchored at `end` when |w| >= 0.5, so w = 1 gives `end` exactly).
 */
export function lerp(start: Tensor, end: Tensor, w: number): Tensor {
  const diff = end.sub(start);
  return Math.abs(w) < 0.5 ? start.add(diff.mul(w)) : end.sub(diff.mul(1 - w));
}
