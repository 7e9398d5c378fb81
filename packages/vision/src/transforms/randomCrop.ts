import { type Tensor, ValueError } from '@stepwise/core';
import type { Image } from '../image.js';
import {
  crop,
  getDimensions,
  type ImageOrTensor,
  type PaddingArg,
  type PaddingMode,
  pad,
  parsePadding,
} from './functional.js';
import { type RandomOptions, type RandomSource, randomSource } from './random.js';
import { Transform } from './transform.js';

/** Options of `RandomCrop` (torchvision's keyword arguments, camelCased, plus the random source). */
export interface RandomCropOptions extends RandomOptions {
  /** Padding applied before cropping (as `Pad`'s); none by default. */
  padding?: PaddingArg | null;
  /** Pad an image smaller than `size` up to it (torchvision pads both sides by the shortfall). */
  padIfNeeded?: boolean;
  /** Fill value of the constant padding. Default 0. */
  fill?: number | readonly number[];
  /** Padding mode (`Pad`'s). Default `'constant'`. */
  paddingMode?: PaddingMode;
}

/** `[height, width]` from torchvision's size argument (an int, `[s]` or `[h, w]`). */
export function parseSize(who: string, size: number | readonly number[]): [number, number] {
  const list =
    typeof size === 'number'
      ? [size, size]
      : Array.isArray(size) && size.length === 1
        ? [size[0], size[0]]
        : size;
  if (!Array.isArray(list) || list.length !== 2)
    throw new ValueError(`${who}: Please provide only two dimensions (h, w) for size.`);
  if (list.some((v) => !Number.isInteger(v) || v < 0)) {
    throw new ValueError(`${who}: size must be non-negative integers, got [${list.join(', ')}]`);
  }
  return [list[0], list[1]];
}

/**
 * `torchvision.transforms.RandomCrop(size, padding=None, pad_if_needed=False, fill=0,
 * padding_mode='constant')`: pads (if asked), then crops a random `size` window. Draws
 * `torch.randint(0, h - th + 1)` then `torch.randint(0, w - tw + 1)` from torch's global
 * generator as torchvision does (none when the image already has the size), or from
 * `{ seed }` / `{ generator }`.
 *
 *     new RandomCrop(28, { padding: 4 })
 */
export class RandomCrop extends Transform<ImageOrTensor, ImageOrTensor> {
  /** `[height, width]` of the output. */
  readonly size: readonly [number, number];
  /** Padding applied before cropping, or null. */
  readonly padding: PaddingArg | null;
  /** Whether an image smaller than `size` is padded up to it. */
  readonly padIfNeeded: boolean;
  /** Fill value(s) of constant padding. */
  readonly fill: number | readonly number[];
  /** Padding mode. */
  readonly paddingMode: PaddingMode;
  readonly #random: RandomSource;

  constructor(size: number | readonly [number] | readonly [number, number], opts: RandomCropOptions = {}) {
    super();
    this.size = parseSize('RandomCrop', size);
    if (opts.padding !== undefined && opts.padding !== null) parsePadding('RandomCrop', opts.padding);
    this.padding = opts.padding ?? null;
    this.padIfNeeded = opts.padIfNeeded ?? false;
    this.fill = opts.fill ?? 0;
    this.paddingMode = opts.paddingMode ?? 'constant';
    pad({ width: 1, height: 1, channels: 1, data: new Uint8Array(1) }, 0, 0, this.paddingMode);
    this.#random = randomSource('RandomCrop', opts);
  }

  /**
   * torchvision's `RandomCrop.get_params(img, output_size)`: `[top, left, height, width]` of
   * a random crop, drawn from this transform's random source.
   */
  getParams(img: ImageOrTensor, outputSize: readonly [number, number]): [number, number, number, number] {
    const [, h, w] = getDimensions(img);
    const [th, tw] = outputSize;
    if (h < th || w < tw) {
      throw new ValueError(`Required crop size (${th}, ${tw}) is larger than input image size (${h}, ${w})`);
    }
    if (w === tw && h === th) return [0, 0, h, w];
    const i = this.#random.randint(h - th + 1);
    const j = this.#random.randint(w - tw + 1);
    return [i, j, th, tw];
  }

  /** Pads (if asked) and crops a random `size` window. */
  forward(img: Image): Image;
  forward(img: Tensor): Tensor;
  forward(img: ImageOrTensor): ImageOrTensor;
  forward(img: ImageOrTensor): ImageOrTensor {
    if (this.padding !== null) img = pad(img, this.padding, this.fill, this.paddingMode);
    const [, height, width] = getDimensions(img);
    const [th, tw] = this.size;
    if (this.padIfNeeded && width < tw) img = pad(img, [tw - width, 0], this.fill, this.paddingMode);
    if (this.padIfNeeded && height < th) img = pad(img, [0, th - height], this.fill, this.paddingMode);
    const [i, j, h, w] = this.getParams(img, this.size);
    return crop(img, i, j, h, w);
  }

  override toString(): string {
    const p =
      this.padding === null
        ? 'None'
        : typeof this.padding === 'number'
          ? this.padding
          : `[${this.padding.join(', ')}]`;
    return `RandomCrop(size=(${this.size[0]}, ${this.size[1]}), padding=${p})`;
  }
}
