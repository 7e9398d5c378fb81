import type { Tensor } from '@stepwise/core';
import type { Image } from '../image.js';
import { toTensor } from './functional.js';
import { Transform } from './transform.js';

/**
 * `torchvision.transforms.ToTensor()`: an 8-bit `Image` (H × W × C) becomes a float32 tensor
 * `[C, H, W]` in [0, 1] (bytes / 255), on the default backend.
 */
export class ToTensor extends Transform<Image, Tensor> {
  /** Converts one image. */
  forward(pic: Image): Tensor {
    return toTensor(pic);
  }
}
