import { recordOp } from '../../autograd/graph.js';
import type { Conv2dGeometry } from '../../backend.js';
import { noGrad, tidy } from '../../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { fromHost } from '../../ops/creation.js';
import { cat } from '../../ops/shape.js';
import { alloc } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';
import { type IntPair, pair } from './geometry.js';
import { poolOutSize } from './maxPool2d.js';

/** Options of `nn.functional.avgPool2d` (PyTorch's keyword arguments). */
export interface AvgPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /** Implicit zero padding on both sides; at most half the kernel size. */
  padding?: IntPair;
  /** Use ceil instead of floor for the output size. */
  ceilMode?: boolean;
  /** Count the zero padding in each window's divisor. Default true. */
  countIncludePad?: boolean;
  /** Divide every window's sum by this instead. */
  divisorOverride?: number | null;
}

/**
 * `torch.nn.functional.avg_pool2d(input, kernel_size, stride, padding, ceil_mode,
 * count_include_pad, divisor_override)`: the mean over each window of `input` [N, C, H, W]
 * or [C, H, W]. The window sums run on the backend's conv2d kernel (a ones kernel over the
 * N·C planes; the ceil-mode overhang is zero rows and columns), divided by PyTorch's
 * divisors, computed from the geometry alone. Gradient node `AvgPool2DBackward0`.
 */
export function avgPool2d(input: Tensor, kernelSize: IntPair, opts: AvgPool2dOptions = {}): Tensor {
  const what = 'avg_pool2d';
  if (!(input instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
  if (input.dim() !== 3 && input.dim() !== 4) {
    throw new ShapeError(
      `${what}: Expected 3D or 4D (batch mode) tensor for input with possibly 0 batch size and non-zero dimensions, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
  const dtype = input.dtype;
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new DTypeError(`${what}: expected a floating point input, got dtype ${dtype}`);
  }
  const [kH, kW] = pair(kernelSize, `${what}: kernel_size`, 1);
  const [sH, sW] = pair(opts.stride ?? [kH, kW], `${what}: stride`, 1);
  const [pH, pW] = pair(opts.padding ?? 0, `${what}: padding`, 0);
  if (pH > kH / 2 || pW > kW / 2) {
    throw new ValueError(
      `${what}: pad should be at most half of kernel size, but got pad=[${pH}, ${pW}], kernel_size=[${kH}, ${kW}]`,
    );
  }
  const divisorOverride = opts.divisorOverride ?? null;
  if (divisorOverride !== null && !(typeof divisorOverride === 'number' && divisorOverride !== 0)) {
    throw new ValueError(`${what}: divisor must be not zero, got divisor_override=${divisorOverride}`);
  }
  const ceil = opts.ceilMode ?? false;
  const countIncludePad = opts.countIncludePad ?? true;
  const shape = input.shape;
  const H = shape[shape.length - 2]!;
  const W = shape[shape.length - 1]!;
  const outH = poolOutSize(H, kH, sH, pH, 1, ceil);
  const outW = poolOutSize(W, kW, sW, pW, 1, ceil);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `${what}: Given input size: ${shapeStr(shape.slice(-3))}. Calculated output size: [${shape[shape.length - 3]}, ${outH}, ${outW}]. Output size is too small`,
    );
  }
  // Rows/columns past the bottom/right padding that ceil mode's last windows reach.
  const extraH = Math.max(0, (outH - 1) * sH + kH - (H + 2 * pH));
  const extraW = Math.max(0, (outW - 1) * sW + kW - (W + 2 * pW));
  const planes = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const backend = input.backend;
  const g: Conv2dGeometry = {
    batch: planes,
    inChannels: 1,
    inH: H + extraH,
    inW: W + extraW,
    outChannels: 1,
    outH,
    outW,
    kH,
    kW,
    strideH: sH,
    strideW: sW,
    padH: pH,
    padW: pW,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
  const divisor = new Float64Array(outH * outW);
  for (let i = 0; i < outH; i++) {
    const h0 = i * sH - pH;
    const h1 = Math.min(h0 + kH, H + pH);
    const hs = Math.max(h0, 0);
    const he = Math.min(h1, H);
    for (let j = 0; j < outW; j++) {
      const w0 = j * sW - pW;
      const w1 = Math.min(w0 + kW, W + pW);
      const ws = Math.max(w0, 0);
      const we = Math.min(w1, W);
      divisor[i * outW + j] =
        divisorOverride ??
        (countIncludePad ? (h1 - h0) * (w1 - w0) : Math.max(0, he - hs) * Math.max(0, we - ws));
    }
  }
  const ones = noGrad(() => fromHost(new Float64Array(kH * kW).fill(1), [1, 1, kH, kW], { dtype, backend }));
  const div = noGrad(() => fromHost(divisor, [outH, outW], { dtype, backend }));
  const out = noGrad(() =>
    tidy(() => {
      let x = input.reshape([planes, 1, H, W]);
      if (extraH) x = cat([x, alloc([planes, 1, extraH, W], dtype, backend)], 2);
      if (extraW) x = cat([x, alloc([planes, 1, H + extraH, extraW], dtype, backend)], 3);
      const sums = alloc([planes, 1, outH, outW], dtype, backend);
      if (sums.numel() > 0) backend.conv2d(x.storage, ones.storage, sums.storage, g);
      return sums.reshape([...shape.slice(0, -2), outH, outW]).div(div);
    }),
  );
  recordOp(
    out,
    'AvgPool2DBackward0',
    [input],
    (grad) => {
      const gs = grad.div(div).reshape([planes, 1, outH, outW]);
      const gx = alloc([planes, 1, H + extraH, W + extraW], dtype, backend);
      if (gx.numel() > 0) backend.conv2dBackwardInput(gs.storage, ones.storage, gx.storage, g);
      const trimmed = extraH || extraW ? gx.narrow(2, 0, H).narrow(3, 0, W) : gx;
      return [trimmed.reshape(shape)];
    },
    [ones, div],
  );
  if (!out.requiresGrad) {
    ones.dispose();
    div.dispose();
  }
  return out;
}
