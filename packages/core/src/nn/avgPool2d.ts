import type { Tensor } from '../tensor.js';
import { avgPool2d } from './functional/avgPool2d.js';
import { type IntPair, pair } from './functional/geometry.js';
import { expectRank, Module } from './module.js';

/** Options of `nn.AvgPool2d` after the kernel size. */
export interface AvgPool2dModuleOptions {
  /** Default: the kernel size. */
  stride?: IntPair | null;
  padding?: IntPair;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number | null;
}

const show = (v: IntPair): string => (typeof v === 'number' ? `${v}` : `(${v[0]}, ${v[1]})`);

/** `torch.nn.AvgPool2d`: the mean over windows of [N, C, H, W] or [C, H, W]. */
export class AvgPool2d extends Module {
  /** As given (PyTorch keeps and prints the arguments as passed). */
  readonly kernelSize: IntPair;
  readonly stride: IntPair;
  readonly padding: IntPair;
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
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
