import type { Tensor } from '@stepwise/core';
import type { Image } from '../image.js';
import { type ImageOrTensor, type PaddingArg, type PaddingMode, pad, parsePadding } from './functional.js';
import { Transform } from './transform.js';

/** Options of `Pad` (torchvision's keyword arguments, camelCased). */
export interface PadOptions {
  /** Fill value of `'constant'` mode: a number, or one per channel for an `Image`. Default 0. */
  fill?: number | readonly number[];
  /** `'constant'` (default), `'edge'`, `'reflect'` or `'symmetric'`. */
  paddingMode?: PaddingMode;
}

/**
 * `torchvision.transforms.Pad(padding, fill=0, padding_mode='constant')`: pads an image or a
 * tensor image. `padding` is an int (every side), `[leftRight, topBottom]`, or
 * `[left, top, right, bottom]`.
 *
 *     new Pad(2)                                   // 28×28 → 32×32
 *     new Pad([1, 2, 3, 4], { paddingMode: 'reflect' })
 */
export class Pad extends Transform<ImageOrTensor, ImageOrTensor> {
  /** The padding as given (an int, `[lr, tb]` or `[l, t, r, b]`). */
  readonly padding: PaddingArg;
  /** Fill value(s) of `'constant'` mode. */
  readonly fill: number | readonly number[];
  /** The padding mode. */
  readonly paddingMode: PaddingMode;

  constructor(padding: PaddingArg, opts: PadOptions = {}) {
    super();
    parsePadding('Pad', padding);
    this.padding = typeof padding === 'number' ? padding : ([...padding] as unknown as PaddingArg);
    this.fill = opts.fill ?? 0;
    this.paddingMode = opts.paddingMode ?? 'constant';
    // Checks the mode now, as torchvision's constructor does.
    pad({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 0, 0, this.paddingMode);
  }

  /** Pads the image or tensor image. */
  forward(img: Image): Image;
  forward(img: Tensor): Tensor;
  forward(img: ImageOrTensor): ImageOrTensor;
  forward(img: ImageOrTensor): ImageOrTensor {
    return pad(img, this.padding, this.fill, this.paddingMode);
  }

  override toString(): string {
    const p = typeof this.padding === 'number' ? this.padding : `[${this.padding.join(', ')}]`;
    const f = typeof this.fill === 'number' ? this.fill : `[${this.fill.join(', ')}]`;
    return `Pad(padding=${p}, fill=${f}, padding_mode=${this.paddingMode})`;
  }
}
