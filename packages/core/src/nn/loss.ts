import type { Tensor } from '../tensor.js';
import {
  type BCEWithLogitsOptions,
  binaryCrossEntropyWithLogits,
  type CrossEntropyOptions,
  crossEntropy,
  l1Loss,
  mseLoss,
  type Reduction,
} from './functional/loss.js';
import { Module } from './module.js';

/** `torch.nn.MSELoss({ reduction = 'mean' })`: squared error. */
export class MSELoss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return mseLoss(input, target, { reduction: this.reduction });
  }
}

/** `torch.nn.L1Loss({ reduction = 'mean' })`: absolute error. */
export class L1Loss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;
  constructor(opts: { reduction?: Reduction } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
  }
  forward(input: Tensor, target: Tensor): Tensor {
    return l1Loss(input, target, { reduction: this.reduction });
  }
}

/**
 * `torch.nn.CrossEntropyLoss({ weight, ignoreIndex = -100, reduction = 'mean',
 * labelSmoothing = 0 })`: log-softmax plus negative log likelihood, for class-index or
 * class-probability targets (see `nn.functional.crossEntropy`). `weight` is a buffer, as
 * in PyTorch.
 */
export class CrossEntropyLoss extends Module {
  /** Target value that is ignored and adds no gradient (PyTorch's `ignore_index`). */
  readonly ignoreIndex: number;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;
  /** Amount of label smoothing in [0, 1] (PyTorch's `label_smoothing`). */
  readonly labelSmoothing: number;

  constructor(opts: CrossEntropyOptions = {}) {
    super();
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.reduction = opts.reduction ?? 'mean';
    this.labelSmoothing = opts.labelSmoothing ?? 0;
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return crossEntropy(input, target, {
      weight: this.getBuffer('weight'),
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
      labelSmoothing: this.labelSmoothing,
    });
  }
}

/**
 * `torch.nn.BCEWithLogitsLoss({ weight, reduction = 'mean', posWeight })`: a sigmoid and
 * binary cross entropy in one stable expression. `weight` and `posWeight` are buffers.
 */
export class BCEWithLogitsLoss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;

  constructor(opts: BCEWithLogitsOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    if (opts.weight) this.registerBuffer('weight', opts.weight);
    if (opts.posWeight) this.registerBuffer('posWeight', opts.posWeight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropyWithLogits(input, target, {
      weight: this.getBuffer('weight'),
      posWeight: this.getBuffer('posWeight'),
      reduction: this.reduction,
    });
  }
}
