import { type Tensor, ValueError } from '@stepwise/core';
import type { Image } from '../image.js';
import { hflip, type ImageOrTensor } from './functional.js';
import { type RandomOptions, type RandomSource, randomSource } from './random.js';
import { Transform } from './transform.js';

/** Options of `RandomHorizontalFlip`. */
export interface RandomHorizontalFlipOptions extends RandomOptions {
  /** Probability of a flip. Default 0.5. */
  p?: number;
}

/**
 * `torchvision.transforms.RandomHorizontalFlip(p=0.5)`: mirrors the image left to right with
 * probability `p`. Draws `torch.rand(1)` once per call (flips when it is below `p`, compared
 * in float32 as PyTorch does) from torch's global generator, or from `{ seed }` /
 * `{ generator }`. `new RandomHorizontalFlip(0.3)` is accepted for `{ p: 0.3 }`.
 */
export class RandomHorizontalFlip extends Transform<ImageOrTensor, ImageOrTensor> {
  /** Probability of a flip. */
  readonly p: number;
  readonly #random: RandomSource;

  constructor(opts: RandomHorizontalFlipOptions | number = {}) {
    super();
    const o = typeof opts === 'number' ? { p: opts } : opts;
    const p = o.p ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`RandomHorizontalFlip: p must be a probability in [0, 1], got ${p}`);
    }
    this.p = p;
    this.#random = randomSource('RandomHorizontalFlip', o);
  }

  /** Flips with probability `p`. */
  forward(img: Image): Image;
  forward(img: Tensor): Tensor;
  forward(img: ImageOrTensor): ImageOrTensor;
  forward(img: ImageOrTensor): ImageOrTensor {
    if (this.#random.rand() < Math.fround(this.p)) return hflip(img);
    return img;
  }

  override toString(): string {
    return `RandomHorizontalFlip(p=${this.p})`;
  }
}
