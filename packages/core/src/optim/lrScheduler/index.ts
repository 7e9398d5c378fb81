/** `torch.optim.lr_scheduler`: every learning-rate scheduler. */

export { ChainedScheduler } from './chainedScheduler.js';
export { ConstantLR } from './constantLr.js';
export { CosineAnnealingLR } from './cosineAnnealingLr.js';
export { CosineAnnealingWarmRestarts } from './cosineAnnealingWarmRestarts.js';
export { CyclicLR, type CyclicLROptions } from './cyclicLr.js';
export { ExponentialLR } from './exponentialLr.js';
export { LambdaLR, type LrLambda } from './lambdaLr.js';
export { LinearLR } from './linearLr.js';
export { LRScheduler, type SchedulerStateDict } from './lrScheduler.js';
export { MultiplicativeLR } from './multiplicativeLr.js';
export { MultiStepLR } from './multiStepLr.js';
export { OneCycleLR, type OneCycleLROptions } from './oneCycleLr.js';
export { PolynomialLR } from './polynomialLr.js';
export { ReduceLROnPlateau, type ReduceLROnPlateauOptions } from './reduceLrOnPlateau.js';
export { SequentialLR } from './sequentialLr.js';
export { StepLR } from './stepLr.js';
