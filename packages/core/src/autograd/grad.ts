import { AutogradError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { runGraph } from './backward.js';

/** Options of `torch.autograd.grad`. */
export interface GradOptions {
  /** The gradients of `outputs` (PyTorch's `grad_outputs`); ones for scalar outputs by default. */
  gradOutputs?: Tensor | readonly (Tensor | null)[] | null;
  /** Keep the graph so a second backward through it works (PyTorch's `retain_graph`). */
  retainGraph?: boolean;
  /** Higher-order gradients are not supported; `true` raises an error. */
  createGraph?: boolean;
  /**
   * Return `null` for an input the outputs do not depend on, instead of an error (PyTorch's `allow_unused`).
   */
  allowUnused?: boolean;
}

/**
 * `torch.autograd.grad(outputs, inputs)`: the gradients of `outputs` with respect to
 * `inputs`, returned rather than accumulated into `.grad`.
 */
export function grad(
  outputs: Tensor | readonly Tensor[],
  inputs: Tensor | readonly Tensor[],
  opts: GradOptions = {},
): (Tensor | null)[] {
  if (opts.createGraph) {
    throw new AutogradError('createGraph (higher-order gradients) is not supported by stepwise');
  }
  const outs = Array.isArray(outputs) ? outputs : [outputs as Tensor];
  const ins = Array.isArray(inputs) ? inputs : [inputs as Tensor];
  const go = opts.gradOutputs;
  const grads = go === null || go === undefined ? undefined : Array.isArray(go) ? go : [go as Tensor];
  ins.forEach((t, i) => {
    if (!t.requiresGrad)
      throw new AutogradError(`One of the differentiated Tensors (input ${i}) does not require grad`);
  });
  return runGraph(outs, grads, opts.retainGraph ?? false, ins, opts.allowUnused ?? false)!;
}
