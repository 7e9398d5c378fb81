/** `torchvision.transforms`: the common image transforms, and `functional` (torchvision's `F`). */
export { Compose } from './compose.js';
export type { ImageOrTensor, PaddingArg, PaddingMode } from './functional.js';
export * as functional from './functional.js';
export { Lambda } from './lambda.js';
export { Normalize, type NormalizeOptions } from './normalize.js';
export { Pad, type PadOptions } from './pad.js';
export type { RandomOptions } from './random.js';
export { RandomCrop, type RandomCropOptions } from './randomCrop.js';
export { RandomHorizontalFlip, type RandomHorizontalFlipOptions } from './randomHorizontalFlip.js';
export { ToTensor } from './toTensor.js';
export { applyTransform, Transform, type TransformLike } from './transform.js';
