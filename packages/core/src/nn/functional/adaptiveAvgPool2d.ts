import { recordOp } from '../../autograd/graph.js';
import { noGrad, tidy } from '../../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { fromHost } from '../../ops/creation.js';
import { matmul } from '../../ops/linalg.js';
import { Tensor } from '../../tensor.js';

/** An adaptive pooling output size: one size for both axes, or [H, W] where null keeps the input's. */
export type AdaptiveSize = number | null | readonly [number | null, number | null];

/** `[oH, oW]` of an adaptive pool of an input with spatial size [H, W]. */
export function adaptiveSize(what: string, outputSize: AdaptiveSize, H: number, W: number): [number, number] {
  const p =
    typeof outputSize === 'number' || outputSize === null
      ? [outputSize, outputSize]
      : Array.isArray(outputSize) && outputSize.length === 2
        ? outputSize
        : null;
  if (!p)
    throw new ValueError(
      `${what}: output_size must be an integer or a pair, got ${JSON.stringify(outputSize)}`,
    );
  const out = [p[0] ?? H, p[1] ?? W] as [number, number];
  if (!out.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new ValueError(
      `${what}: output_size must be non-negative integers (or null), got ${JSON.stringify(outputSize)}`,
    );
  }
  return out;
}

/**
 * [out, in]: row i averages input positions floor(i·in/out) .. ceil((i+1)·in/out) − 1,
 * PyTorch's adaptive windows, so pooling is A_H · x · A_Wᵀ.
 */
export function adaptiveMatrix(inSize: number, outSize: number, transposed: boolean): Float64Array {
  const m = new Float64Array(inSize * outSize);
  for (let i = 0; i < outSize; i++) {
    const start = Math.floor((i * inSize) / outSize);
    const end = Math.ceil(((i + 1) * inSize) / outSize);
    const w = 1 / (end - start);
    for (let h = start; h < end; h++) m[transposed ? h * outSize + i : i * inSize + h] = w;
  }
  return m;
}

/**
 * `torch.nn.functional.adaptive_avg_pool2d(input, output_size)`: input [N, C, H, W] or
 * [C, H, W] averaged over PyTorch's adaptive windows to [..., oH, oW]. The windows along
 * each axis are independent, so the pool is two small matmuls on the backend
 * (A_H · x · A_Wᵀ); gradient node `AdaptiveAvgPool2DBackward0`.
 */
export function adaptiveAvgPool2d(input: Tensor, outputSize: AdaptiveSize): Tensor {
  const what = 'adaptive_avg_pool2d';
  if (!(input instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
  if (input.dim() !== 3 && input.dim() !== 4) {
    throw new ShapeError(`${what}(): Expected 3D or 4D tensor, but got ${shapeStr(input.shape)}`);
  }
  const dtype = input.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${what}: expected a floating point input, got dtype ${dtype}`);
  }
  const shape = input.shape;
  const H = shape[shape.length - 2]!;
  const W = shape[shape.length - 1]!;
  if (H === 0 || W === 0) {
    throw new ShapeError(
      `${what}(): Expected input to have non-zero size for non-batch dimensions, but input has sizes ${shapeStr(shape)}`,
    );
  }
  const [oH, oW] = adaptiveSize(what, outputSize, H, W);
  const backend = input.backend;
  const o = { dtype, backend };
  const [aH, aHt, aW, aWt] = noGrad(() => [
    fromHost(adaptiveMatrix(H, oH, false), [oH, H], o),
    fromHost(adaptiveMatrix(H, oH, true), [H, oH], o),
    fromHost(adaptiveMatrix(W, oW, false), [oW, W], o),
    fromHost(adaptiveMatrix(W, oW, true), [W, oW], o),
  ]);
  const out = noGrad(() => tidy(() => matmul(aH, matmul(input, aWt))));
  recordOp(out, 'AdaptiveAvgPool2DBackward0', [input], (grad) => [matmul(aHt, matmul(grad, aW))], [aHt, aW]);
  aH.dispose();
  aWt.dispose();
  if (!out.requiresGrad) {
    aHt.dispose();
    aW.dispose();
  }
  return out;
}
