/** `torch.nn.utils`: gradient clipping (written with the optimizers, in `clipGrad.ts`). */
export { clipGradNorm_, clipGradValue_ } from './clipGrad.js';
