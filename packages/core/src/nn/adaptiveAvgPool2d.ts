import type { Tensor } from '../tensor.js';
import { type AdaptiveSize, adaptiveAvgPool2d } from './functional/adaptiveAvgPool2d.js';
import { expectRank, Module } from './module.js';

/**
 * `torch.nn.AdaptiveAvgPool2d(output_size)`: averages [N, C, H, W] or [C, H, W] to
 * [..., oH, oW] over PyTorch's adaptive windows; `outputSize` is one size, or [oH, oW] with
 * null keeping that input size.
 */
export class AdaptiveAvgPool2d extends Module {
  /** The output's height and width (`null` keeps the input's) (PyTorch's `output_size`). */
  readonly outputSize: AdaptiveSize;

  constructor(outputSize: AdaptiveSize) {
    super();
    this.outputSize = outputSize;
  }

  forward(input: Tensor): Tensor {
    expectRank('AdaptiveAvgPool2d', input, [3, 4]);
    return adaptiveAvgPool2d(input, this.outputSize);
  }

  override extraRepr(): string {
    const o = this.outputSize;
    const f = (v: number | null) => (v === null ? 'None' : String(v));
    return `output_size=${typeof o === 'number' || o === null ? f(o) : `(${f(o[0])}, ${f(o[1])})`}`;
  }
}
