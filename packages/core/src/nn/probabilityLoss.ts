import type { Tensor } from '../tensor.js';
import type { Reduction } from './functional/loss.js';
import {
  type BCELossOptions,
  binaryCrossEntropy,
  type KLDivReduction,
  klDiv,
  type NLLLossOptions,
  nllLoss,
} from './functional/probabilityLoss.js';
import { Module } from './module.js';

/**
 * `torch.nn.NLLLoss({ weight, ignoreIndex = -100, reduction = 'mean' })`: the negative log
 * likelihood of log-probabilities at class indices (see `nn.functional.nllLoss`). `weight`
 * is a buffer, as in PyTorch.
 */
export class NLLLoss extends Module {
  /** Target value that is ignored and adds no gradient (PyTorch's `ignore_index`). */
  readonly ignoreIndex: number;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;

  constructor(opts: NLLLossOptions = {}) {
    super();
    this.ignoreIndex = opts.ignoreIndex ?? -100;
    this.reduction = opts.reduction ?? 'mean';
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return nllLoss(input, target, {
      weight: this.getBuffer('weight'),
      ignoreIndex: this.ignoreIndex,
      reduction: this.reduction,
    });
  }
}

/**
 * `torch.nn.BCELoss({ weight, reduction = 'mean' })`: binary cross entropy of
 * probabilities, logs clamped at −100 (see `nn.functional.binaryCrossEntropy`). `weight` is
 * a buffer.
 */
export class BCELoss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: Reduction;

  constructor(opts: BCELossOptions = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    if (opts.weight) this.registerBuffer('weight', opts.weight);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return binaryCrossEntropy(input, target, { weight: this.getBuffer('weight'), reduction: this.reduction });
  }
}

/**
 * `torch.nn.KLDivLoss({ reduction = 'mean', logTarget = false })`: the KL divergence of
 * log-probabilities `input` from `target` (see `nn.functional.klDiv`).
 */
export class KLDivLoss extends Module {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  readonly reduction: KLDivReduction;
  /** The target is given as log-probabilities (PyTorch's `log_target`). */
  readonly logTarget: boolean;

  constructor(opts: { reduction?: KLDivReduction; logTarget?: boolean } = {}) {
    super();
    this.reduction = opts.reduction ?? 'mean';
    this.logTarget = opts.logTarget ?? false;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget });
  }
}
