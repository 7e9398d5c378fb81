/**
 * Parameters and gradients of the optimizer suites, by the generator's exact rational
 * formulas (tooling/golden/optim.py), so the same values reach PyTorch and stepwise.
 */

import type { DType, Tensor } from '@stepwise/core';
import { tensorOf } from '../util.js';

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Element `i` of parameter `k`. */
export const paramValue = (k: number, i: number) => ((i * 37 + k * 11 + 5) % 101) / 50 - 1;
/** Element `i` of the gradient of parameter `k` at step `t`. */
export const gradValue = (t: number, k: number, i: number) => ((i * 53 + t * 29 + k * 17 + 3) % 97) / 48 - 1;

export function makeParams(shapes: readonly (readonly number[])[], dtype: DType): Tensor[] {
  return shapes.map((s, k) =>
    tensorOf(
      Array.from({ length: numel(s) }, (_, i) => paramValue(k, i)),
      s,
      dtype,
      true,
    ),
  );
}

export function makeGrad(t: number, k: number, shape: readonly number[], dtype: DType): Tensor {
  return tensorOf(
    Array.from({ length: numel(shape) }, (_, i) => gradValue(t, k, i)),
    shape,
    dtype,
  );
}

/** Sets the grads of step `t` (param `nullParam` gets none at `nullStep`). */
export function setGrads(ps: Tensor[], t: number, nullStep = -1, nullParam = 1): void {
  ps.forEach((p, k) => {
    p.grad?.dispose();
    p.grad = t === nullStep && k === nullParam && ps.length > 1 ? null : makeGrad(t, k, p.shape, p.dtype);
  });
}
