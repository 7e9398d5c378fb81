/**
 * @stepwise/vision — torchvision for stepwise: `datasets` (MNIST, FashionMNIST from IDX
 * files in a Node folder or at a URL) and `transforms` (ToTensor, Normalize, Pad,
 * RandomCrop, RandomHorizontalFlip, Compose, Lambda).
 *
 *   import * as torch from '@stepwise/core';
 *   import '@stepwise/cpu-js/register';
 *   import { datasets, transforms } from '@stepwise/vision';
 *
 * @module @stepwise/vision
 */
export * as datasets from './datasets/index.js';
export { DatasetNotFoundError, IdxFormatError } from './errors.js';
export { createImage, type Image, isImage } from './image.js';
export { gunzip } from './io/gzip.js';
export {
  encodeIdx,
  IDX_IMAGES_MAGIC,
  IDX_LABELS_MAGIC,
  type IdxArray,
  type IdxDType,
  type ParseIdxOptions,
  parseIdx,
} from './io/idx.js';
export * as transforms from './transforms/index.js';
