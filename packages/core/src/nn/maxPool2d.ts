import type { Tensor } from '../tensor.js';
import { type IntPair, pair } from './functional/geometry.js';
import { maxPool2d } from './functional/maxPool2d.js';
import { expectRank, Module } from './module.js';

/** Options of `nn.MaxPool2d` after the kernel size. */
export interface MaxPool2dModuleOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntPair;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  ceilMode?: boolean;
}

/** `torch.nn.MaxPool2d`: max over (dilated) windows of [N, C, H, W] or [C, H, W]. */
export class MaxPool2d extends Module {
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: [number, number];
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: [number, number];
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: [number, number];
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  readonly dilation: [number, number];
  /** Use ceil instead of floor to compute the output size (PyTorch's `ceil_mode`). */
  readonly ceilMode: boolean;

  constructor(kernelSize: IntPair, opts: MaxPool2dModuleOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize, 'MaxPool2d: kernel_size', 1);
    this.stride = pair(opts.stride ?? this.kernelSize, 'MaxPool2d: stride', 1);
    this.padding = pair(opts.padding ?? 0, 'MaxPool2d: padding', 0);
    this.dilation = pair(opts.dilation ?? 1, 'MaxPool2d: dilation', 1);
    this.ceilMode = opts.ceilMode ?? false;
  }

  forward(input: Tensor): Tensor {
    expectRank('MaxPool2d', input, [3, 4]);
    return maxPool2d(input, this.kernelSize, {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      ceilMode: this.ceilMode,
    });
  }

  override extraRepr(): string {
    const f = (p: [number, number]) => (p[0] === p[1] ? `${p[0]}` : `(${p[0]}, ${p[1]})`);
    return `kernel_size=${f(this.kernelSize)}, stride=${f(this.stride)}, padding=${f(this.padding)}, dilation=${f(this.dilation)}, ceil_mode=${this.ceilMode ? 'True' : 'False'}`;
  }
}
