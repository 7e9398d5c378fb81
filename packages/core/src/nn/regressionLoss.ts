import type { Tensor } from '../tensor.js';
import type { Reduction } from './functional/loss.js';
import { huberLoss, smoothL1Loss } from './functional/regressionLoss.js';
import { Module } from './module.js';

/** `torch.nn.HuberLoss({ reduction = 'mean', delta = 1 })` (see `nn.functional.huberLoss`). */
export class HuberLoss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;
  /** Where the loss changes from quadratic to linear (PyTorch's `delta`). */
  readonly delta: number;

  constructor(opts: { reduction?: Reduction; delta?: number } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.delta = opts.delta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return huberLoss(input, target, { reduction: this.reduction, delta: this.delta });
  }
}

/** `torch.nn.SmoothL1Loss({ reduction = 'mean', beta = 1 })` (see `nn.functional.smoothL1Loss`). */
export class SmoothL1Loss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;
  /** Where the loss changes from quadratic to linear (PyTorch's `beta`). */
  readonly beta: number;

  constructor(opts: { reduction?: Reduction; beta?: number } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.beta = opts.beta ?? 1;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return smoothL1Loss(input, target, { reduction: this.reduction, beta: this.beta });
  }
}
