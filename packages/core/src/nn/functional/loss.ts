import { needsGrad, recordOp } from '../../autograd/graph.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { defineFused } from '../../fused/program.js';
import { runFused } from '../../fused/run.js';
import { where } from '../../ops/elementwise.js';
import { broadcastTo } from '../../ops/mathOp.js';
import {
  allocOut,
  broadcastShapes,
  checkSameBackend,
  numelOf,
  sameShape,
  sumToShape,
} from '../../ops/util.js';
import { Tensor } from '../../tensor.js';

/** How a loss combines its per-element values: PyTorch's `reduction`. */
export type Reduction = 'none' | 'mean' | 'sum';

/** @internal PyTorch's reduction argument, checked. */
export function checkReduction(r: unknown): Reduction {
  if (r === 'none' || r === 'mean' || r === 'sum') return r;
  throw new ValueError(`${String(r)} is not a valid value for reduction (use 'none', 'mean' or 'sum')`);
}

/** @internal Applies a checked reduction. */
export function reduce(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/** @internal Input and target are tensors on one backend. */
export function checkTensors(what: string, input: unknown, target: unknown): asserts input is Tensor {
  if (!(input instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
  if (!(target instanceof Tensor)) throw new TypeError(`${what}: target must be a Tensor`);
  checkSameBackend(what, input, target);
}

/** @internal */
export function checkFloat(what: string, t: Tensor, name: string): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new DTypeError(`${what}: expected a floating point ${name}, got dtype ${t.dtype}`);
  }
}

/** @internal PyTorch's warning for a target that broadcasts against the input. */
export function warnShape(what: string, input: Tensor, target: Tensor): void {
  if (!sameShape(input.shape, target.shape)) {
    console.warn(
      `${what}: Using a target size (${shapeStr(target.shape)}) that is different to the input size (${shapeStr(input.shape)}). This will likely lead to incorrect results due to broadcasting. Please ensure they have the same size.`,
    );
  }
}

/**
 * mse_loss's forward: the difference, stored (so rounded to the dtype, as PyTorch's
 * `input - target`), and its square from the stored value.
 */
const mseForward = defineFused('mse_loss', ['input', 'target', 'diff', 'sq'], [], (b) => {
  b.store('diff', b.buf.input.sub(b.buf.target));
  b.store('sq', b.buf.diff.mul(b.buf.diff));
});

/** PyTorch's `mse_loss_backward`: `norm · (input - target) · grad`, norm 2/N (mean) or 2. */
const mseBackward = defineFused('mse_loss_backward', ['diff', 'g', 'gradInput'], ['norm'], (b) => {
  b.store('gradInput', b.buf.diff.mul(b.s.norm).mul(b.buf.g));
});

/**
 * `torch.nn.functional.mse_loss`: mean (or sum, or none) of (input - target)². One node,
 * PyTorch's `MseLossBackward0`, whose backward is one pass; the forward is one pass and
 * the reduction. Operands of different dtypes go through the composed ops (promotion).
 */
export function mseLoss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkTensors('mse_loss', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('mse_loss', input, 'input');
  warnShape('mse_loss', input, target);
  if (target.dtype !== input.dtype) return reduce(input.sub(target).square(), reduction);
  const shape = broadcastShapes(input.shape, target.shape);
  const diff = allocOut(shape, input.dtype, input.backend);
  const sq = allocOut(shape, input.dtype, input.backend);
  const x = broadcastTo(input, shape);
  const y = broadcastTo(target, shape);
  runFused(mseForward, [{ buffers: { input: x, target: y, diff, sq }, scalars: {} }]);
  if (x !== input) x.dispose();
  if (y !== target) y.dispose();
  let loss = sq;
  if (reduction !== 'none') {
    loss = reduce(sq, reduction);
    sq.dispose();
  }
  if (!needsGrad(input, target)) {
    diff.dispose();
    return loss;
  }
  const norm = reduction === 'mean' ? 2 / numelOf(shape) : 2;
  return recordOp(
    loss,
    'MseLossBackward0',
    [input, target],
    (g, needs) => {
      const gradInput = allocOut(shape, input.dtype, input.backend);
      const gb = broadcastTo(g, shape);
      runFused(mseBackward, [{ buffers: { diff, g: gb, gradInput }, scalars: { norm } }]);
      if (gb !== g) gb.dispose();
      const gTarget = needs[1] ? sumToShape(gradInput.neg(), target.shape) : null;
      return [needs[0] ? sumToShape(gradInput, input.shape) : null, gTarget];
    },
    [diff],
  );
}

/** `torch.nn.functional.l1_loss`: mean (or sum, or none) of |input - target|. */
export function l1Loss(input: Tensor, target: Tensor, opts: { reduction?: Reduction } = {}): Tensor {
  checkTensors('l1_loss', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('l1_loss', input, 'input');
  warnShape('l1_loss', input, target);
  return reduce(input.sub(target).abs(), reduction);
}

/** Options of `crossEntropy` (PyTorch's keyword arguments). */
export interface CrossEntropyOptions {
  /** A manual rescaling weight per class, shape [C]. */
  weight?: Tensor | null;
  /** Target value that is ignored (class-index targets only). Default -100. */
  ignoreIndex?: number;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
  /** Mixes the target with the uniform distribution: (1 - ε)·target + ε/C. Default 0. */
  labelSmoothing?: number;
}

/**
 * `torch.nn.functional.cross_entropy`: log-softmax over dim 1 (dim 0 for an unbatched
 * [C] input) followed by the negative log likelihood. `target` is either class indices
 * (int32, shape [N] or [N, d1, ...], or [] unbatched) or class probabilities (float, the
 * input's shape). Supports `weight`, `ignoreIndex`, `labelSmoothing` and every reduction,
 * with PyTorch's normalisation of the weighted mean.
 */
export function crossEntropy(input: Tensor, target: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  checkTensors('cross_entropy', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const eps = opts.labelSmoothing ?? 0;
  const weight = opts.weight ?? null;
  checkFloat('cross_entropy', input, 'input');
  if (!Number.isInteger(ignoreIndex))
    throw new ValueError(`cross_entropy: ignoreIndex must be an integer, got ${ignoreIndex}`);
  if (!(typeof eps === 'number' && eps >= 0 && eps <= 1)) {
    throw new ValueError(`cross_entropy: label_smoothing must be between 0.0 and 1.0. Got: ${eps}`);
  }
  if (input.dim() === 0)
    throw new ShapeError('cross_entropy: input must have at least one dimension (classes), got a 0-d tensor');
  if (input.dim() === 1) {
    // Unbatched: [C] with a [] index target or a [C] probability target.
    const t = target.dim() === 0 || target.shape.length === 1 ? target.unsqueeze(0) : target;
    const r = crossEntropy(input.unsqueeze(0), t, opts);
    return reduction === 'none' ? r.squeeze(0) : r;
  }
  const n = input.shape[0]!;
  const c = input.shape[1]!;
  if (weight) {
    if (!(weight instanceof Tensor)) throw new TypeError('cross_entropy: weight must be a Tensor');
    checkSameBackend('cross_entropy', input, weight);
    if (weight.dim() !== 1 || weight.shape[0] !== c) {
      throw new ShapeError(
        `cross_entropy: weight tensor should be defined either for all ${c} classes or no classes but got weight tensor of shape: ${shapeStr(weight.shape)}`,
      );
    }
    if (weight.dtype !== input.dtype) {
      throw new DTypeError(
        `cross_entropy: weight has dtype ${weight.dtype} but input has dtype ${input.dtype}`,
      );
    }
  }
  // Move the class dim last and flatten: [M, C] logits, M = N·d1·d2·...
  const k = input.dim();
  const perm = [0, ...Array.from({ length: k - 2 }, (_, i) => i + 2), 1];
  const x2 = k === 2 ? input : input.permute(perm).reshape([-1, c]);
  const logp = x2.logSoftmax(1);
  const probs = target.dtype === 'float32' || target.dtype === 'float64';
  if (probs) {
    if (!sameShape(target.shape, input.shape)) {
      throw new ShapeError(
        `cross_entropy: a probability target must have the input's shape ${shapeStr(input.shape)}, got ${shapeStr(target.shape)} (class-index targets must be int32)`,
      );
    }
    if (opts.ignoreIndex !== undefined && opts.ignoreIndex !== -100) {
      throw new ValueError('cross_entropy: ignore_index is not supported for floating point target');
    }
    let t2 = k === 2 ? target : target.permute(perm).reshape([-1, c]);
    if (t2.dtype !== input.dtype) t2 = t2.to(input.dtype);
    if (eps > 0) t2 = t2.mul(1 - eps).add(eps / c);
    let prod = logp.mul(t2);
    if (weight) prod = prod.mul(weight.reshape([1, c]));
    const perSample = prod.sum(1).neg();
    if (reduction === 'none') return perSample.reshape([n, ...input.shape.slice(2)]);
    if (reduction === 'sum') return perSample.sum();
    return perSample.sum().div(perSample.shape[0]!);
  }
  if (target.dtype !== 'int32') {
    throw new DTypeError(
      `cross_entropy: class-index targets must be int32 (PyTorch's Long), got dtype ${target.dtype}`,
    );
  }
  const expected = [n, ...input.shape.slice(2)];
  if (!sameShape(target.shape, expected)) {
    throw new ShapeError(
      `cross_entropy: Expected target size ${shapeStr(expected)}, got ${shapeStr(target.shape)} (input shape ${shapeStr(input.shape)})`,
    );
  }
  checkTargets(target, c, ignoreIndex);
  const t1 = target.reshape([-1]);
  const mask = t1.ne(ignoreIndex);
  const safeT = where(mask, t1, 0);
  const maskF = mask.to(input.dtype);
  const picked = logp.gather(1, safeT.unsqueeze(1)).reshape([-1]);
  // Per-sample weight: w[target] where the target counts, else 0.
  const wt = weight ? weight.indexSelect(0, safeT).mul(maskF) : maskF;
  const nll = picked.mul(wt).neg();
  let smooth: Tensor | null = null;
  if (eps > 0) {
    const lw = weight ? logp.mul(weight.reshape([1, c])) : logp;
    smooth = lw.sum(1).neg().mul(maskF);
  }
  if (reduction === 'none') {
    const r = smooth ? nll.mul(1 - eps).add(smooth.mul(eps / c)) : nll;
    return r.reshape(expected);
  }
  if (reduction === 'sum') {
    return smooth
      ? nll
          .sum()
          .mul(1 - eps)
          .add(smooth.sum().mul(eps / c))
      : nll.sum();
  }
  const denom = wt.sum();
  const mean = nll.sum().div(denom);
  if (!smooth) return mean;
  // PyTorch normalises the smoothing term of a weighted mean by the same total weight.
  return mean.mul(1 - eps).add(
    smooth
      .sum()
      .div(denom)
      .mul(eps / c),
  );
}

/** Options of `binaryCrossEntropyWithLogits` (PyTorch's keyword arguments). */
export interface BCEWithLogitsOptions {
  /** A rescaling weight broadcast against the loss. */
  weight?: Tensor | null;
  /** How the per-element losses are reduced: `'none'`, `'mean'` or `'sum'` (PyTorch's `reduction`). */
  reduction?: Reduction;
  /** A weight of positive examples, broadcast along the last (class) dimension. */
  posWeight?: Tensor | null;
}

/**
 * `torch.nn.functional.binary_cross_entropy_with_logits`: sigmoid plus binary cross
 * entropy in one numerically stable expression,
 * ℓ = (1 - y)·x + (1 + (p - 1)·y)·log(1 + e^(-x)), with log(1 + e^(-x)) evaluated as
 * m + log(e^(-m) + e^(-x-m)), m = max(-x, 0), so no exponential overflows.
 */
export function binaryCrossEntropyWithLogits(
  input: Tensor,
  target: Tensor,
  opts: BCEWithLogitsOptions = {},
): Tensor {
  checkTensors('binary_cross_entropy_with_logits', input, target);
  const reduction = checkReduction(opts.reduction ?? 'mean');
  checkFloat('binary_cross_entropy_with_logits', input, 'input');
  if (!sameShape(input.shape, target.shape)) {
    throw new ShapeError(
      `binary_cross_entropy_with_logits: Target size (${shapeStr(target.shape)}) must be the same as input size (${shapeStr(input.shape)})`,
    );
  }
  const y = target.dtype === input.dtype ? target : target.to(input.dtype);
  const m = input.neg().relu();
  const softplusNeg = m.neg().exp().add(input.neg().sub(m).exp()).log().add(m);
  let loss: Tensor;
  const oneMinusY = y.neg().add(1);
  if (opts.posWeight) {
    const pw = opts.posWeight;
    checkSameBackend('binary_cross_entropy_with_logits', input, pw);
    const logWeight = pw.sub(1).mul(y).add(1);
    loss = oneMinusY.mul(input).add(logWeight.mul(softplusNeg));
  } else {
    loss = oneMinusY.mul(input).add(softplusNeg);
  }
  if (opts.weight) {
    checkSameBackend('binary_cross_entropy_with_logits', input, opts.weight);
    loss = loss.mul(opts.weight);
  }
  return reduce(loss, reduction);
}

/** PyTorch's "Target 7 is out of bounds." where values can be read synchronously. */
export function checkTargets(target: Tensor, c: number, ignoreIndex: number, what = 'cross_entropy'): void {
  const b = target.backend;
  if (!b.syncReads || !b.readSync) return;
  const data = b.readSync(target.storage);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v !== ignoreIndex && (v < 0 || v >= c)) {
      throw new RangeError(`${what}: Target ${v} is out of bounds (the input has ${c} classes)`);
    }
  }
}
