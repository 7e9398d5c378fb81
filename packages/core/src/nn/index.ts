/**
 * `torch.nn`: modules, layers, losses, `functional`, `init` and `utils`.
 *
 *   const model = new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
 *   const loss = new nn.MSELoss().forward(model.forward(x), y);
 */
export { Identity, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh } from './activation.js';
export { ELU, GELU, Hardtanh, LeakyReLU, Mish, SiLU } from './activations2.js';
export { AdaptiveAvgPool2d } from './adaptiveAvgPool2d.js';
export {
  MultiheadAttention,
  type MultiheadAttentionForwardOptions,
  type MultiheadAttentionOptions,
  NonDynamicallyQuantizableLinear,
} from './attention.js';
export { AvgPool2d, type AvgPool2dModuleOptions } from './avgPool2d.js';
export { BatchNorm1d, BatchNorm2d, BatchNormBase, type BatchNormModuleOptions } from './batchNorm.js';
export { Conv1d, type Conv1dModuleOptions } from './conv1d.js';
export { Conv2d, type Conv2dModuleOptions } from './conv2d.js';
export { ConvTranspose2d, type ConvTranspose2dModuleOptions } from './convTranspose2d.js';
export { Dropout } from './dropout.js';
export { Embedding, type EmbeddingOptions } from './embedding.js';
export { Flatten } from './flatten.js';
export * as functional from './functional/index.js';
export * as init from './init.js';
export { type FactoryOptions, Linear } from './linear.js';
export { BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss } from './loss.js';
export { MaxPool2d, type MaxPool2dModuleOptions } from './maxPool2d.js';
export { type IncompatibleKeys, Module, type StateDict, StateDictError } from './module.js';
export { ModuleDict, type ModuleEntries } from './moduleDict.js';
export {
  GroupNorm,
  type GroupNormModuleOptions,
  LayerNorm,
  type LayerNormModuleOptions,
} from './normalization.js';
export { Parameter } from './parameter.js';
export { ParameterList } from './parameterList.js';
export { AvgPool1d, type AvgPool1dModuleOptions, MaxPool1d, type MaxPool1dModuleOptions } from './pool1d.js';
export { BCELoss, KLDivLoss, NLLLoss } from './probabilityLoss.js';
export { HuberLoss, SmoothL1Loss } from './regressionLoss.js';
export {
  GRU,
  GRUCell,
  LSTM,
  LSTMCell,
  RNN,
  RNNBase,
  RNNCell,
  RNNCellBase,
  type RNNModuleOptions,
  type RNNOptions,
} from './rnn.js';
export { ModuleList, Sequential } from './sequential.js';
export {
  type TransformerActivation,
  TransformerEncoder,
  type TransformerEncoderForwardOptions,
  TransformerEncoderLayer,
  type TransformerEncoderLayerForwardOptions,
  type TransformerEncoderLayerOptions,
  type TransformerEncoderOptions,
} from './transformer.js';
export * as utils from './utils/index.js';
