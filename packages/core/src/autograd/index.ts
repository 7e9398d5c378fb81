/** `torch.autograd`. */
export { grad, type GradOptions } from './grad.js';
export type { GradNode, GradEdge, BackwardFn } from './graph.js';
