/** `torch.nn.functional`: the layers and losses of `nn` as plain functions. */
export { type OneHotOptions, oneHot, type PadMode, type PadOptions, pad } from '../../ops/pad.js';
export { flatten, logSoftmax, relu, sigmoid, softmax, softplus, tanh } from './activation.js';
export { elu, gelu, type HardtanhOptions, hardtanh, leakyRelu, mish, silu } from './activations2.js';
export { type AdaptiveSize, adaptiveAvgPool2d } from './adaptiveAvgPool2d.js';
export { type ScaledDotProductAttentionOptions, scaledDotProductAttention } from './attention.js';
export { type AvgPool2dOptions, avgPool2d } from './avgPool2d.js';
export { type Conv1dOptions, conv1d } from './conv1d.js';
export { type Conv2dOptions, conv2d } from './conv2d.js';
export { type ConvTranspose2dOptions, convTranspose2d } from './convTranspose2d.js';
export { dropout } from './dropout.js';
export { embedding } from './embedding.js';
export type { IntPair, IntSingle } from './geometry.js';
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
export {
  type BatchNormOptions,
  batchNorm,
  type GroupNormOptions,
  groupNorm,
  type LayerNormOptions,
  layerNorm,
} from './normalization.js';
export { type AvgPool1dOptions, avgPool1d, type MaxPool1dOptions, maxPool1d } from './pool1d.js';
export {
  type BCELossOptions,
  binaryCrossEntropy,
  type KLDivOptions,
  type KLDivReduction,
  klDiv,
  type NLLLossOptions,
  nllLoss,
} from './probabilityLoss.js';
export {
  type HuberLossOptions,
  huberLoss,
  type SmoothL1LossOptions,
  smoothL1Loss,
} from './regressionLoss.js';
