/** `nll_loss`, `binary_cross_entropy` and `kl_div`: losses of (log-)probabilities. */
import { recordOp } from '../../autograd/graph.js';
import { noGrad, tidy } from '../../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { where } from '../../ops/elementwise.js';
import { broadcastShapes, checkSameBackend, sameShape } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';
import { checkFloat, checkReduction, checkTargets, checkTensors, type Reduction, reduce } from './loss.js';

/** Options of `nn.functional.nllLoss` (PyTorch's keyword arguments). */
export interface NLLLossOptions {
  /** A manual rescaling weight per class, shape [C]. */
  weight?: Tensor | null;
  /** Target value that contributes nothing (and is not counted by the mean). Default -100. */
  ignoreIndex?: number;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
}

/**
 * `torch.nn.functional.nll_loss`: the negative log likelihood −weight[t]·input[t] of
 * log-probabilities `input` [N, C] (or [N, C, d1, ...], or [C] unbatched) at the int32
 * class indices `target` [N] (or [N, d1, ...], or []). The mean divides by the total weight
 * of the targets that are not ignored, as PyTorch.
 */
export function nllLoss(input: Tensor, target: Tensor, opts: NLLLossOptions = {}): Tensor {
  checkTensors('nll_loss', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const weight = opts.weight ?? null;
  checkFloat('nll_loss', input, 'input');
  if (!Number.isInteger(ignoreIndex))
    throw new ValueError(`nll_loss: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `nll_loss: expected a target of class indices of dtype int32 (PyTorch's Long), got dtype ${target.dtype}`,
    );
  }
  if (input.dim() === 0)
    throw new ShapeError('nll_loss: input must have at least one dimension (classes), got a 0-d tensor');
  if (input.dim() === 1) {
    if (target.dim() !== 0) {
      throw new ShapeError(
        `nll_loss: an unbatched input ${shapeStr(input.shape)} takes a 0-d target, got ${shapeStr(target.shape)}`,
      );
    }
    const r = nllLoss(input.unsqueeze(0), target.reshape([1]), opts);
    return reduction === 'none' ? r.squeeze(0) : r;
  }
  const n = input.shape[0]!;
  const c = input.shape[1]!;
  const expected = [n, ...input.shape.slice(2)];
  if (target.shape[0] !== n && target.dim() >= 1) {
    throw new ShapeError(
      `nll_loss: Expected input batch_size (${n}) to match target batch_size (${target.shape[0]}) (input ${shapeStr(input.shape)}, target ${shapeStr(target.shape)}).`,
    );
  }
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `nll_loss: size mismatch (got input: ${shapeStr(input.shape)}, target: ${shapeStr(target.shape)}); expected a target of shape ${shapeStr(expected)}`,
    );
  }
  if (weight) {
    if (!(weight instanceof Tensor)) throw new TypeError('nll_loss: weight must be a Tensor');
    checkSameBackend('nll_loss', input, weight);
    if (weight.dim() !== 1 || weight.shape[0] !== c) {
      throw new ShapeError(
        `nll_loss: weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${shapeStr(weight.shape)}`,
      );
    }
    if (weight.dtype !== input.dtype) {
      throw new DTypeError(`nll_loss: weight has dtype ${weight.dtype} but input has dtype ${input.dtype}`);
    }
  }
  checkTargets(target, c, ignoreIndex, 'nll_loss');
  const k = input.dim();
  const perm = [0, ...Array.from({ length: k - 2 }, (_, i) => i + 2), 1];
  const x2 = k === 2 ? input : input.permute(perm).reshape([-1, c]);
  const t1 = target.reshape([-1]);
  const mask = t1.ne(ignoreIndex);
  const safeT = where(mask, t1, 0);
  const maskF = mask.to(input.dtype);
  const picked = x2.gather(1, safeT.unsqueeze(1)).reshape([-1]);
  const wt = weight ? weight.indexSelect(0, safeT).mul(maskF) : maskF;
  const loss = picked.mul(wt).neg();
  if (reduction === 'none') return loss.reshape(expected);
  if (reduction === 'sum') return loss.sum();
  return loss.sum().div(wt.sum());
}

/** Options of `nn.functional.binaryCrossEntropy`. */
export interface BCELossOptions {
  /** A rescaling weight broadcast against the input. */
  weight?: Tensor | null;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
}

/** PyTorch's "all elements of input should be between 0 and 1", where values can be read synchronously. */
function checkProbabilities(input: Tensor): void {
  const b = input.backend;
  if (!b.syncReads || !b.readSync) return;
  const data = b.readSync(input.storage);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(
        `binary_cross_entropy: all elements of input should be between 0 and 1 (got ${v} at flat index ${i} of an input of shape ${shapeStr(input.shape)})`,
      );
    }
  }
}

/**
 * `torch.nn.functional.binary_cross_entropy`: −weight·(y·log x + (1 − y)·log(1 − x)) for
 * probabilities `input` and `target` of the same shape, each log clamped at −100 as
 * PyTorch does (so 0 and 1 give finite losses). The gradient is PyTorch's,
 * weight·(x − y) / max(x·(1 − x), 1e-12), and the target's −weight·logit(x); gradient node
 * `BinaryCrossEntropyBackward0`.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, opts: BCELossOptions = {}): Tensor {
  checkTensors('binary_cross_entropy', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('binary_cross_entropy', input, 'input');
  if (!sameShape(input.shape, target.shape)) {
    throw new ValueError(
      `binary_cross_entropy: Using a target size (${shapeStr(target.shape)}) that is different to the input size (${shapeStr(input.shape)}) is deprecated. Please ensure they have the same size.`,
    );
  }
  const weight = opts.weight ?? null;
  if (weight) {
    if (!(weight instanceof Tensor)) throw new TypeError('binary_cross_entropy: weight must be a Tensor');
    checkSameBackend('binary_cross_entropy', input, weight);
    let ok = false;
    try {
      ok = sameShape(broadcastShapes(weight.shape, input.shape), input.shape);
    } catch {
      ok = false;
    }
    if (!ok) {
      throw new ShapeError(
        `binary_cross_entropy: weight of shape ${shapeStr(weight.shape)} cannot be broadcast to the input's shape ${shapeStr(input.shape)}`,
      );
    }
  }
  checkProbabilities(input);
  const dtype = input.dtype;
  const y = target.dtype === dtype ? target : noGrad(() => target.to(dtype));
  const out = noGrad(() =>
    tidy(() => {
      const logX = input.log().clamp(-100);
      const log1mX = input.neg().add(1).log().clamp(-100);
      let loss = y.mul(logX).add(y.neg().add(1).mul(log1mX)).neg();
      if (weight) loss = loss.mul(weight);
      return reduce(loss, reduction);
    }),
  );
  return recordOp(
    out,
    'BinaryCrossEntropyBackward0',
    [input, target],
    (g, needs) => {
      let scale = reduction === 'mean' ? g.div(input.numel()) : g;
      if (weight) scale = scale.mul(weight);
      const oneMinusX = input.neg().add(1);
      const gx = needs[0] ? input.sub(y).div(oneMinusX.mul(input).clamp(1e-12)).mul(scale) : null;
      const gt = needs[1] ? input.log().sub(oneMinusX.log()).neg().mul(scale) : null;
      return [gx, gt && gt.dtype !== target.dtype ? gt.to(target.dtype) : gt];
    },
    [input, y, ...(weight ? [weight] : [])],
  );
}

/** `torch.xlogy(a, b)` for the KL divergence: a·log b, 0 where a = 0, with PyTorch's derivatives. */
function xlogy(a: Tensor, b: Tensor): Tensor {
  const out = noGrad(() => tidy(() => a.mul(where(a.eq(0), 1, b).log())));
  return recordOp(
    out,
    'XlogyBackward0',
    [a, b],
    (g, needs) => {
      // d/da = xlogy(a ≠ 0, b); d/db = a / b (NaN at a = b = 0, as PyTorch).
      const ga = needs[0] ? g.mul(where(a.ne(0), b.log(), 0)) : null;
      const gb = needs[1] ? g.mul(a.div(b)) : null;
      return [ga, gb];
    },
    [a, b],
  );
}

/** `reduction` of `kl_div`: PyTorch's, plus 'batchmean' (the sum divided by the batch size). */
export type KLDivReduction = Reduction | 'batchmean';

/** Options of `nn.functional.klDiv`. */
export interface KLDivOptions {
  /** Default 'mean' (over every element, as PyTorch; 'batchmean' is the KL divergence's definition). */
  reduction?: KLDivReduction;
  /** Whether `target` holds log-probabilities. Default false. */
  logTarget?: boolean;
}

let warnedMean = false;

/**
 * `torch.nn.functional.kl_div(input, target, reduction, log_target)`: the pointwise KL
 * divergence target·(log target − input) of log-probabilities `input` against
 * probabilities `target` (or exp(target)·(target − input) with `logTarget`), reduced.
 * Written as PyTorch's composite (`xlogy(t, t) − t·input`), so both gradients are
 * PyTorch's.
 */
export function klDiv(input: Tensor, target: Tensor, opts: KLDivOptions = {}): Tensor {
  checkTensors('kl_div', input, target);
  const r = opts.reduction ?? 'mean';
  if (r !== 'batchmean') checkReduction(r);
  checkFloat('kl_div', input, 'input');
  checkFloat('kl_div', target, 'target');
  if (r === 'mean' && !warnedMean) {
    warnedMean = true;
    console.warn(
      "kl_div: reduction: 'mean' divides the total loss by both the batch size and the support size. 'batchmean' divides only by the batch size, and aligns with the KL div math definition.",
    );
  }
  const t = target.dtype === input.dtype ? target : target.to(input.dtype);
  const pointwise = opts.logTarget ? t.exp().mul(t.sub(input)) : xlogy(t, t).sub(t.mul(input));
  if (r === 'batchmean') {
    const s = pointwise.sum();
    return input.dim() === 0 ? s : s.div(input.shape[0]!);
  }
  return reduce(pointwise, r);
}
