import { recordOp } from '../../autograd/graph.js';
import type { Pool2dGeometry } from '../../backend.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { alloc } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';
import { type IntPair, pair } from './geometry.js';

/** Options of `nn.functional.maxPool2d` (PyTorch's keyword arguments). */
export interface MaxPool2dOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /** Implicit -infinity padding on both sides; at most half the kernel size. */
  padding?: IntPair;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
  /** Use ceil instead of floor for the output size (windows must still start inside the input or left padding). */
  ceilMode?: boolean;
}

/** @internal A pooling output size along one axis, with PyTorch's ceil-mode rule. */
export function poolOutSize(inp: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const span = inp + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  // PyTorch: with ceil mode the last window must start inside the input or the left padding.
  if (ceil && (o - 1) * s >= inp + p) o--;
  return o;
}

function pool(input: Tensor, kernelSize: IntPair, opts: MaxPool2dOptions, what: string): [Tensor, Tensor] {
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
  const [strideH, strideW] = pair(opts.stride ?? [kH, kW], `${what}: stride`, 1);
  const [padH, padW] = pair(opts.padding ?? 0, `${what}: padding`, 0);
  const [dilationH, dilationW] = pair(opts.dilation ?? 1, `${what}: dilation`, 1);
  if (padH > kH / 2 || padW > kW / 2) {
    throw new ValueError(
      `${what}: pad should be at most half of effective kernel size, but got pad=[${padH}, ${padW}], kernel_size=[${kH}, ${kW}]`,
    );
  }
  const shape = input.shape;
  const inH = shape[shape.length - 2]!;
  const inW = shape[shape.length - 1]!;
  const ceil = opts.ceilMode ?? false;
  const outH = poolOutSize(inH, kH, strideH, padH, dilationH, ceil);
  const outW = poolOutSize(inW, kW, strideW, padW, dilationW, ceil);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `${what}: Given input size: ${shapeStr(shape.slice(-3))}. Calculated output size: [${shape[shape.length - 3]}, ${outH}, ${outW}]. Output size is too small`,
    );
  }
  const channels = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  const g: Pool2dGeometry = {
    channels,
    inH,
    inW,
    outH,
    outW,
    kH,
    kW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
  };
  const backend = input.backend;
  const outShape = [...shape.slice(0, -2), outH, outW];
  const out = alloc(outShape, dtype, backend);
  const argmax = alloc(outShape, 'int32', backend);
  if (out.numel() > 0) backend.maxPool2d(input.storage, out.storage, argmax.storage, g);
  recordOp(
    out,
    'MaxPool2DWithIndicesBackward0',
    [input],
    (grad) => {
      const go = grad;
      const gx = alloc(shape, dtype, backend);
      backend.maxPool2dBackward(go.storage, argmax.storage, gx.storage, g);
      return [gx];
    },
    [argmax],
  );
  return [out, argmax];
}

/**
 * `torch.nn.functional.max_pool2d`: the maximum over each (dilated) window of `input`
 * [N, C, H, W] or [C, H, W]. Padding counts as -infinity. Gradient node:
 * `MaxPool2DWithIndicesBackward0` (the gradient goes to the first maximum of each window).
 */
export function maxPool2d(input: Tensor, kernelSize: IntPair, opts: MaxPool2dOptions = {}): Tensor {
  const [out, argmax] = pool(input, kernelSize, opts, 'max_pool2d');
  if (!out.requiresGrad) argmax.dispose();
  return out;
}

/**
 * `max_pool2d(..., return_indices=True)`: the pooled values and, as int32, the index of
 * each chosen element within its channel's flattened H×W plane (PyTorch's indices).
 */
export function maxPool2dWithIndices(
  input: Tensor,
  kernelSize: IntPair,
  opts: MaxPool2dOptions = {},
): [Tensor, Tensor] {
  return pool(input, kernelSize, opts, 'max_pool2d');
}
