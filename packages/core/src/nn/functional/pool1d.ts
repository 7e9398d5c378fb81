/** The 1-D pools, run as their 2-D forms over a unit height (as PyTorch's avg_pool1d). */
import { ShapeError, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { avgPool2d } from './avgPool2d.js';
import { type IntSingle, single } from './geometry.js';
import { maxPool2d } from './maxPool2d.js';

function check1d(what: string, input: unknown): asserts input is Tensor {
  if (!(input instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
  if (input.dim() !== 2 && input.dim() !== 3) {
    throw new ShapeError(
      `${what}: Expected 2D or 3D (batch mode) tensor for input, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
}

/** Options of `nn.functional.maxPool1d`. */
export interface MaxPool1dOptions {
  /** Default: the kernel size. */
  stride?: IntSingle | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntSingle;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntSingle;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
}

/** `torch.nn.functional.max_pool1d`: the maximum over each (dilated) window of [N, C, L] or [C, L]. */
export function maxPool1d(input: Tensor, kernelSize: IntSingle, opts: MaxPool1dOptions = {}): Tensor {
  check1d('max_pool1d', input);
  const k = single(kernelSize, 'max_pool1d: kernel_size', 1);
  const s = single(opts.stride ?? k, 'max_pool1d: stride', 1);
  const p = single(opts.padding ?? 0, 'max_pool1d: padding', 0);
  const d = single(opts.dilation ?? 1, 'max_pool1d: dilation', 1);
  const out = maxPool2d(input.unsqueeze(-2), [1, k], {
    stride: [1, s],
    padding: [0, p],
    dilation: [1, d],
    ceilMode: opts.ceilMode ?? false,
  });
  return out.squeeze(-2);
}

/** Options of `nn.functional.avgPool1d`. */
export interface AvgPool1dOptions {
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntSingle | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntSingle;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
  /** Include the zero padding in the averaging divisor (PyTorch's `count_include_pad`). */
  countIncludePad?: boolean;
}

/** `torch.nn.functional.avg_pool1d`: the mean over each window of [N, C, L] or [C, L]. */
export function avgPool1d(input: Tensor, kernelSize: IntSingle, opts: AvgPool1dOptions = {}): Tensor {
  check1d('avg_pool1d', input);
  const k = single(kernelSize, 'avg_pool1d: kernel_size', 1);
  const s = single(opts.stride ?? k, 'avg_pool1d: stride', 1);
  const p = single(opts.padding ?? 0, 'avg_pool1d: padding', 0);
  const out = avgPool2d(input.unsqueeze(-2), [1, k], {
    stride: [1, s],
    padding: [0, p],
    ceilMode: opts.ceilMode ?? false,
    countIncludePad: opts.countIncludePad ?? true,
  });
  return out.squeeze(-2);
}
