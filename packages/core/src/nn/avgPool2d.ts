import type { Tensor } from '../tensor.js';
import { avgPool2d } from './functional/avgPool2d.js';
import { type IntPair, pair } from './functional/geometry.js';
import { expectRank, Module } from './module.js';

/** Options of `nn.AvgPool2d` after the kernel size. */
export interface AvgPool2dModuleOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntPair;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
  /** Include the zero padding in the averaging divisor (PyTorch's `count_include_pad`). */
  countIncludePad?: boolean;
  /** If set, the divisor of the average instead of the window size (PyTorch's `divisor_override`). */
  divisorOverride?: number | null;
}

const show = (v: IntPair): string => (typeof v === 'number' ? `${v}` : `(${v[0]}, ${v[1]})`);

/** `torch.nn.AvgPool2d`: the mean over windows of [N, C, H, W] or [C, H, W]. */
export class AvgPool2d extends Module {
  /** As given (PyTorch keeps and prints the arguments as passed). */
  readonly kernelSize: IntPair;
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: IntPair;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: IntPair;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  readonly ceilMode: boolean;
  /** Include the zero padding in the averaging divisor (PyTorch's `count_include_pad`). */
  readonly countIncludePad: boolean;
  /** If set, the divisor of the average instead of the window size (PyTorch's `divisor_override`). */
  readonly divisorOverride: number | null;

  constructor(kernelSize: IntPair, opts: AvgPool2dModuleOptions = {}) {
    super();
    pair(kernelSize, 'AvgPool2d: kernel_size', 1);
    this.kernelSize = kernelSize;
    this.stride = opts.stride ?? kernelSize;
    pair(this.stride, 'AvgPool2d: stride', 1);
    this.padding = opts.padding ?? 0;
    pair(this.padding, 'AvgPool2d: padding', 0);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
    this.divisorOverride = opts.divisorOverride ?? null;
  }

  forward(input: Tensor): Tensor {
    expectRank('AvgPool2d', input, [3, 4]);
    return avgPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
      divisorOverride: this.divisorOverride,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${show(this.kernelSize)}, stride=${show(this.stride)}, padding=${show(this.padding)}`;
  }
}
