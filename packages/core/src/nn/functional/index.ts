/** `torch.nn.functional`: the layers and losses of `nn` as plain functions. */
export { type OneHotOptions, oneHot, type PadMode, type PadOptions, pad } from '../../ops/pad.js';
export { flatten, logSoftmax, relu, sigmoid, softmax, softplus, tanh } from './activation.js';
export { type Conv2dOptions, conv2d } from './conv2d.js';
export { dropout } from './dropout.js';
export { embedding } from './embedding.js';
export type { IntPair } from './geometry.js';
export { linear } from './linear.js';
export {
  type BCEWithLogitsOptions,
  binaryCrossEntropyWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  l1Loss,
  mseLoss,
  type Reduction,
} from './loss.js';
export { type MaxPool2dOptions, maxPool2d, maxPool2dWithIndices } from './maxPool2d.js';
