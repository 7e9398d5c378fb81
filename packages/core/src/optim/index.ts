/**
 * `torch.optim`: every optimizer, the `Optimizer` base class, and `lrScheduler`.
 */

export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adafactor, type AdafactorOptions } from './adafactor.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adam, type AdamOptions, AdamW, type AdamWOptions } from './adam.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { withComposedUpdates } from './fusedStep.js';
export { LBFGS, type LBFGSClosure, type LBFGSOptions } from './lbfgs.js';
export * as lrScheduler from './lrScheduler/index.js';
export { Muon, type MuonOptions } from './muon.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export {
  Optimizer,
  type OptimizerState,
  type OptimizerStateDict,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  type PytorchOptimizerStateDict,
  type RemovableHandle,
  registerOptimizerStepPostHook,
  registerOptimizerStepPreHook,
  required,
  type StateDictLayout,
  type StateDictOptions,
  type StepPostHook,
  type StepPreHook,
} from './optimizer.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { SGD, type SGDOptions } from './sgd.js';
export { SparseAdam, type SparseAdamOptions } from './sparseAdam.js';
export * as swaUtils from './swaUtils/index.js';
