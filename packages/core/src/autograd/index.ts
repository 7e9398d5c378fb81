/** `torch.autograd`. */
export { type GradOptions, grad } from './grad.js';
export type { BackwardFn, GradEdge, GradNode } from './graph.js';
