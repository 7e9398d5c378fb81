import type { Tensor } from '@stepwise/core';
import { normalize } from './functional.js';
import { Transform } from './transform.js';

/** Options of `Normalize`. */
export interface NormalizeOptions {
  /** Normalize the input tensor in place (`sub_`, `div_`). Default false. */
  inplace?: boolean;
}

/**
 * `torchvision.transforms.Normalize(mean, std, inplace=False)`: `(x - mean[c]) / std[c]` per
 * channel of a float tensor image `[..., C, H, W]` (tensors only, as torchvision).
 */
export class Normalize extends Transform<Tensor, Tensor> {
  /** Per-channel means (or one for all channels). */
  readonly mean: number | readonly number[];
  /** Per-channel standard deviations (or one for all channels). */
  readonly std: number | readonly number[];
  /** Whether `forward` writes into its input. */
  readonly inplace: boolean;

  constructor(
    mean: number | readonly number[],
    std: number | readonly number[],
    opts: NormalizeOptions = {},
  ) {
    super();
    this.mean = typeof mean === 'number' ? mean : [...mean];
    this.std = typeof std === 'number' ? std : [...std];
    this.inplace = opts.inplace ?? false;
  }

  /** Normalizes a float tensor image `[..., C, H, W]`. */
  forward(tensor: Tensor): Tensor {
    return normalize(tensor, this.mean, this.std, this.inplace);
  }

  override toString(): string {
    const f = (v: number | readonly number[]) => (typeof v === 'number' ? String(v) : `[${v.join(', ')}]`);
    return `Normalize(mean=${f(this.mean)}, std=${f(this.std)})`;
  }
}
