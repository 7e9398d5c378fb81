import { getDefaultDtype } from '../dtype.js';
import { noGrad } from '../engine.js';
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { full, ones, zeros } from '../ops/creation.js';
import { resolveBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { constantParameter } from './constantParameter.js';
import { batchNormImpl } from './functional/normalization.js';
import type { FactoryOptions } from './linear.js';
import { describe, Module } from './module.js';
import type { Parameter } from './parameter.js';
import { pyBool, pyFloat } from './pyRepr.js';

/** Options of `nn.BatchNorm1d` / `nn.BatchNorm2d` after the number of features. */
export interface BatchNormModuleOptions extends FactoryOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Weight of each new batch in the running statistics; null: a cumulative average. Default 0.1. */
  momentum?: number | null;
  /** Learnable per-channel weight (ones) and bias (zeros). Default true. */
  affine?: boolean;
  /** Keep running_mean / running_var / num_batches_tracked buffers. Default true. */
  trackRunningStats?: boolean;
}

/**
 * PyTorch's `_BatchNorm`: per-channel normalisation of [N, C, *]. In training mode it uses
 * the batch's statistics and updates the running ones (buffers `running_mean`, zeros;
 * `running_var`, ones; `num_batches_tracked`, an int32 0-dim counter — PyTorch's names, so
 * state dicts cross as they are); in eval mode it uses the running statistics. Without
 * `trackRunningStats` it always uses the batch's.
 */
export abstract class BatchNormBase extends Module {
  /** Number of features C (PyTorch's `num_features`). */
  readonly numFeatures: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  readonly eps: number;
  /**
   * Weight of the new batch in the running statistics; `null` for a cumulative average (PyTorch's
   * `momentum`).
   */
  readonly momentum: number | null;
  /** Whether the layer has learnable affine parameters (PyTorch's `affine`). */
  readonly affine: boolean;
  /** Keep running mean and variance for evaluation (PyTorch's `track_running_stats`). */
  readonly trackRunningStats: boolean;
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter | null;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(numFeatures: number, opts: BatchNormModuleOptions = {}) {
    super();
    const name = this.constructor.name;
    if (!Number.isInteger(numFeatures) || numFeatures < 1)
      throw new ValueError(`${name}: num_features must be a positive integer, got ${numFeatures}`);
    const momentum = opts.momentum === undefined ? 0.1 : opts.momentum;
    if (momentum !== null && (typeof momentum !== 'number' || Number.isNaN(momentum)))
      throw new ValueError(`${name}: momentum must be a number or null, got ${String(momentum)}`);
    this.numFeatures = numFeatures;
    this.eps = opts.eps ?? 1e-5;
    this.momentum = momentum;
    this.affine = opts.affine ?? true;
    this.trackRunningStats = opts.trackRunningStats ?? true;
    this.weight = this.affine ? constantParameter([numFeatures], 1, opts) : null;
    this.bias = this.affine ? constantParameter([numFeatures], 0, opts) : null;
    if (this.trackRunningStats) {
      const o = { dtype: opts.dtype ?? getDefaultDtype(), backend: resolveBackend(opts.backend) } as const;
      this.registerBuffer('running_mean', zeros([numFeatures], o));
      this.registerBuffer('running_var', ones([numFeatures], o));
      this.registerBuffer('num_batches_tracked', full([], 0, { dtype: 'int32', backend: o.backend }));
    } else {
      this.registerBuffer('running_mean', null);
      this.registerBuffer('running_var', null);
      this.registerBuffer('num_batches_tracked', null);
    }
  }

  /** The `running_mean` buffer (null without `trackRunningStats`). */
  get runningMean(): Tensor | null {
    return this.getBuffer('running_mean');
  }

  /** The `running_var` buffer. */
  get runningVar(): Tensor | null {
    return this.getBuffer('running_var');
  }

  /** The `num_batches_tracked` buffer (int32, 0-dim). */
  get numBatchesTracked(): Tensor | null {
    return this.getBuffer('num_batches_tracked');
  }

  /** PyTorch's `reset_running_stats()`: mean 0, variance 1, count 0. */
  resetRunningStats(): void {
    noGrad(() => {
      this.runningMean?.fill_(0);
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.fill_(0);
    });
  }

  /** PyTorch's `reset_parameters()`: running statistics reset, weight 1, bias 0. */
  resetParameters(): void {
    this.resetRunningStats();
    noGrad(() => {
      this.weight?.fill_(1);
      this.bias?.fill_(0);
    });
  }

  /** The input ranks this layer takes, checked before anything runs. */
  protected abstract checkInputDim(input: Tensor): void;

  forward(input: Tensor): Tensor {
    this.checkInputDim(input);
    const c = input.shape[1];
    if (c !== this.numFeatures) {
      throw new ShapeError(
        `${this.constructor.name}: expected input with ${this.numFeatures} channels (dim 1, num_features), got input of shape ${shapeStr(input.shape)}`,
      );
    }
    let factor: number | Tensor = this.momentum ?? 0;
    const nbt = this.numBatchesTracked;
    if (this.training && this.trackRunningStats && nbt) {
      noGrad(() => nbt.add_(1));
      // The cumulative average's factor 1/count stays on the device: nothing is read back.
      if (this.momentum === null) factor = noGrad(() => nbt.to(input.dtype).reciprocal());
    }
    const rm = this.runningMean;
    const rv = this.runningVar;
    const bnTraining = this.training || (rm === null && rv === null);
    const useRunning = !this.training || this.trackRunningStats;
    const out = batchNormImpl(
      input,
      useRunning ? rm : null,
      useRunning ? rv : null,
      this.weight,
      this.bias,
      bnTraining,
      factor,
      this.eps,
    );
    if (typeof factor !== 'number') factor.dispose();
    return out;
  }

  override extraRepr(): string {
    return `${this.numFeatures}, eps=${pyFloat(this.eps)}, momentum=${pyFloat(this.momentum)}, affine=${pyBool(this.affine)}, track_running_stats=${pyBool(this.trackRunningStats)}`;
  }
}

function checkRank(m: Module, input: Tensor, ranks: readonly number[]): void {
  if (!(input && typeof input === 'object' && 'shape' in input)) {
    throw new TypeError(`${m.constructor.name}: input must be a Tensor, got ${describe(input)}`);
  }
  if (!ranks.includes(input.dim())) {
    throw new ValueError(
      `${m.constructor.name}: expected ${ranks.map((r) => `${r}D`).join(' or ')} input (got ${input.dim()}D input of shape ${shapeStr(input.shape)})`,
    );
  }
}

/** `torch.nn.BatchNorm1d`: batch normalisation of [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    checkRank(this, input, [2, 3]);
  }
}

/** `torch.nn.BatchNorm2d`: batch normalisation of [N, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  protected checkInputDim(input: Tensor): void {
    checkRank(this, input, [4]);
  }
}
