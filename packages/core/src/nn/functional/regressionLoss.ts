/** `huber_loss` and `smooth_l1_loss`: squared near zero, absolute beyond a threshold. */
import { ValueError } from '../../errors.js';
import { where } from '../../ops/elementwise.js';
import type { Tensor } from '../../tensor.js';
import { checkFloat, checkReduction, checkTensors, type Reduction, reduce, warnShape } from './loss.js';

/** Options of `nn.functional.huberLoss`. */
export interface HuberLossOptions {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear. Default 1. */
  delta?: number;
}

/**
 * `torch.nn.functional.huber_loss`: with d = input − target, 0.5·d² where |d| < delta and
 * delta·(|d| − 0.5·delta) elsewhere (the gradient there is delta·sign(d)).
 */
export function huberLoss(input: Tensor, target: Tensor, opts: HuberLossOptions = {}): Tensor {
  checkTensors('huber_loss', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('huber_loss', input, 'input');
  const delta = opts.delta ?? 1;
  if (typeof delta !== 'number' || !(delta > 0)) {
    throw new ValueError(`huber_loss does not support non-positive values for delta (got delta=${delta}).`);
  }
  warnShape('huber_loss', input, target);
  const d = input.sub(target);
  const ad = d.abs();
  const loss = where(ad.lt(delta), d.square().mul(0.5), ad.sub(0.5 * delta).mul(delta));
  return reduce(loss, reduction);
}

/** Options of `nn.functional.smoothL1Loss`. */
export interface SmoothL1LossOptions {
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
  /** Where the loss turns from quadratic to linear (0: the L1 loss). Default 1. */
  beta?: number;
}

/**
 * `torch.nn.functional.smooth_l1_loss`: with d = input − target, 0.5·d²/beta where
 * |d| < beta and |d| − 0.5·beta elsewhere; beta = 0 is the L1 loss, as in PyTorch.
 */
export function smoothL1Loss(input: Tensor, target: Tensor, opts: SmoothL1LossOptions = {}): Tensor {
  checkTensors('smooth_l1_loss', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('smooth_l1_loss', input, 'input');
  const beta = opts.beta ?? 1;
  if (typeof beta !== 'number' || !(beta >= 0)) {
    throw new ValueError(`smooth_l1_loss does not support negative values for beta (got beta=${beta}).`);
  }
  warnShape('smooth_l1_loss', input, target);
  const d = input.sub(target);
  const ad = d.abs();
  if (beta === 0) return reduce(ad, reduction);
  const loss = where(ad.lt(beta), d.square().mul(0.5 / beta), ad.sub(0.5 * beta));
  return reduce(loss, reduction);
}
