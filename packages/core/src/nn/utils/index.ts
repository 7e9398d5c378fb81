/** `torch.nn.utils`: gradient clipping (written with the optimizers, in `clipGrad.ts`), parameter vectors. */
export { clipGradNorm_, clipGradValue_ } from './clipGrad.js';
export { parametersToVector, vectorToParameters } from './convertParameters.js';
