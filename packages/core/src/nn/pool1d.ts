import type { Tensor } from '../tensor.js';
import { type IntSingle, single } from './functional/geometry.js';
import { avgPool1d, maxPool1d } from './functional/pool1d.js';
import { expectRank, Module } from './module.js';
import { pyBool } from './pyRepr.js';

/** Options of `nn.MaxPool1d` after the kernel size. */
export interface MaxPool1dModuleOptions {
  /** Default: the kernel size. */
  stride?: IntSingle | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntSingle;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntSingle;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
}

/** `torch.nn.MaxPool1d`: max over (dilated) windows of [N, C, L] or [C, L]. */
export class MaxPool1d extends Module {
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: number;
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: number;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: number;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  readonly dilation: number;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  readonly ceilMode: boolean;

  constructor(kernelSize: IntSingle, opts: MaxPool1dModuleOptions = {}) {
    super();
    this.kernelSize = single(kernelSize, 'MaxPool1d: kernel_size', 1);
    this.stride = single(opts.stride ?? this.kernelSize, 'MaxPool1d: stride', 1);
    this.padding = single(opts.padding ?? 0, 'MaxPool1d: padding', 0);
    this.dilation = single(opts.dilation ?? 1, 'MaxPool1d: dilation', 1);
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(input: Tensor): Tensor {
    expectRank('MaxPool1d', input, [2, 3]);
    return maxPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    });
  }

  override extraRepr(): string {
    return `kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, ceil_mode=${pyBool(this.ceilMode)}`;
  }
}

/** Options of `nn.AvgPool1d` after the kernel size. */
export interface AvgPool1dModuleOptions {
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntSingle | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntSingle;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
  /** Include the zero padding in the averaging divisor (PyTorch's `count_include_pad`). */
  countIncludePad?: boolean;
}

/** `torch.nn.AvgPool1d`: the mean over windows of [N, C, L] or [C, L]. */
export class AvgPool1d extends Module {
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: number;
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: number;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: number;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  readonly ceilMode: boolean;
  /** Include the zero padding in the averaging divisor (PyTorch's `count_include_pad`). */
  readonly countIncludePad: boolean;

  constructor(kernelSize: IntSingle, opts: AvgPool1dModuleOptions = {}) {
    super();
    this.kernelSize = single(kernelSize, 'AvgPool1d: kernel_size', 1);
    this.stride = single(opts.stride ?? this.kernelSize, 'AvgPool1d: stride', 1);
    this.padding = single(opts.padding ?? 0, 'AvgPool1d: padding', 0);
    this.ceilMode = opts.ceilMode ?? false;
    this.countIncludePad = opts.countIncludePad ?? true;
  }

  forward(input: Tensor): Tensor {
    expectRank('AvgPool1d', input, [2, 3]);
    return avgPool1d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      ceilMode: this.ceilMode,
      countIncludePad: this.countIncludePad,
    });
  }

  override extraRepr(): string {
    return `kernel_size=(${this.kernelSize},), stride=(${this.stride},), padding=(${this.padding},)`;
  }
}
