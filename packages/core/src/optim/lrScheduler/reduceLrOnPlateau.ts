import { ValueError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import type { Optimizer } from '../optimizer.js';
import { checkOptimizer, LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';
import { baseExtra, type SchedulerLayout } from './pytorchLayout.js';

/** Options of `ReduceLROnPlateau`. */
export interface ReduceLROnPlateauOptions {
  /**
   * `'min'`: reduce when the metric stops decreasing; `'max'`: when it stops increasing (PyTorch's `mode`).
   */
  mode?: 'min' | 'max';
  /** Factor the learning rate is multiplied by (PyTorch's `factor`). */
  factor?: number;
  /** Steps without improvement before the lr is reduced (PyTorch's `patience`). */
  patience?: number;
  /** Minimum change that counts as an improvement (PyTorch's `threshold`). */
  threshold?: number;
  /** `'rel'` compares to best × (1 ± threshold), `'abs'` to best ± threshold (PyTorch's `threshold_mode`). */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting again (PyTorch's `cooldown`). */
  cooldown?: number;
  /** Lower bound of the lr, one value or one per group (PyTorch's `min_lr`). */
  minLr?: number | readonly number[];
  /** Reductions smaller than this are skipped (PyTorch's `eps`). */
  eps?: number;
}

/**
 * `torch.optim.lr_scheduler.ReduceLROnPlateau`: cuts the lr by `factor` once the metric
 * passed to `step(metric)` has not improved for more than `patience` epochs.
 */
export class ReduceLROnPlateau extends LRScheduler {
  /** Factor the learning rate is multiplied by (PyTorch's `factor`). */
  factor: number;
  /** Lower bound of the lr per group. */
  minLrs: number[];
  /** Steps without improvement before the lr is reduced (PyTorch's `patience`). */
  patience: number;
  /** Steps to wait after a reduction before counting again (PyTorch's `cooldown`). */
  cooldown: number;
  /** Steps left in the current cooldown. */
  cooldownCounter = 0;
  /**
   * `'min'`: reduce when the metric stops decreasing; `'max'`: when it stops increasing (PyTorch's `mode`).
   */
  mode: 'min' | 'max';
  /** Minimum change that counts as an improvement (PyTorch's `threshold`). */
  threshold: number;
  /** `'rel'` compares to best × (1 ± threshold), `'abs'` to best ± threshold (PyTorch's `threshold_mode`). */
  thresholdMode: 'rel' | 'abs';
  /** Best metric seen so far. */
  best: number;
  /** Steps since the last improvement. */
  numBadEpochs = 0;
  /** The worst value for `mode` (+inf for min, -inf for max). */
  modeWorse: number;
  /** Reductions smaller than this are skipped (PyTorch's `eps`). */
  eps: number;

  constructor(optimizer: Optimizer, opts: ReduceLROnPlateauOptions = {}) {
    checkOptimizer(optimizer);
    const factor = opts.factor ?? 0.1;
    if (factor >= 1) throw new ValueError('Factor should be < 1.0.');
    const minLr = opts.minLr ?? 0;
    let minLrs: number[];
    if (Array.isArray(minLr)) {
      if (minLr.length !== optimizer.paramGroups.length) {
        throw new ValueError(`expected ${optimizer.paramGroups.length} min_lrs, got ${minLr.length}`);
      }
      minLrs = [...minLr];
    } else minLrs = optimizer.paramGroups.map(() => minLr as number);
    const mode = opts.mode ?? 'min';
    if (mode !== 'min' && mode !== 'max') throw new ValueError(`mode ${mode} is unknown!`);
    const thresholdMode = opts.thresholdMode ?? 'rel';
    if (thresholdMode !== 'rel' && thresholdMode !== 'abs')
      throw new ValueError(`threshold mode ${thresholdMode} is unknown!`);
    const hadInitialLr = optimizer.paramGroups.map((g) => g.initialLr !== undefined);
    super(optimizer, -1);
    // PyTorch's ReduceLROnPlateau never sets initial_lr (it does not run LRScheduler's
    // constructor): the groups keep the keys they had, so a state dict matches PyTorch's.
    optimizer.paramGroups.forEach((g, i) => {
      if (!hadInitialLr[i]) delete g.initialLr;
    });
    this.factor = factor;
    this.minLrs = minLrs;
    this.patience = opts.patience ?? 10;
    this.cooldown = opts.cooldown ?? 0;
    this.mode = mode;
    this.threshold = opts.threshold ?? 1e-4;
    this.thresholdMode = thresholdMode;
    this.eps = opts.eps ?? 1e-8;
    this.lastEpoch = 0;
    this.modeWorse = mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    this.best = this.modeWorse;
    this._lastLr = optimizer.paramGroups.map(lrOf);
  }

  /**
   * @internal PyTorch 1.13's ReduceLROnPlateau is no LRScheduler: no `base_lrs` or
   * `_step_count`; latest PyTorch's `default_min_lr` (its constructor's scalar `min_lr`) is
   * dropped on load.
   */
  override _pytorchLayout(): SchedulerLayout {
    return {
      omit: ['_isInitial', 'baseLrs', '_stepCount'],
      extra: {
        verbose: baseExtra.verbose!,
        default_min_lr: {
          write: false,
          check: (v) =>
            v === null || (typeof v === 'number' && Number.isFinite(v)) ? null : 'must be a number or None',
        },
      },
    };
  }

  getLr(): number[] {
    return this.optimizer.paramGroups.map(lrOf);
  }

  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      factor: { kind: 'number', below: 1 },
      minLrs: { kind: 'numbers', length: 'groups' },
      patience: { kind: 'number', infinite: true },
      cooldown: { kind: 'number', infinite: true },
      cooldownCounter: { kind: 'number', infinite: true },
      mode: { kind: 'string', oneOf: ['min', 'max'] },
      threshold: { kind: 'number' },
      thresholdMode: { kind: 'string', oneOf: ['rel', 'abs'] },
      // The best metric so far: ±Infinity until the first step.
      best: { kind: 'number', infinite: true },
      numBadEpochs: { kind: 'int', min: 0 },
      modeWorse: { kind: 'number', infinite: true },
      eps: { kind: 'number', min: 0 },
    };
  }

  /** `modeWorse` is the worst value of `mode` (+Infinity for 'min', -Infinity for 'max'). */
  protected override _checkState(next: Readonly<Record<string, unknown>>): string | null {
    const worse = next.mode === 'min' ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    return next.modeWorse === worse ? null : `'modeWorse' must be ${worse} for mode '${String(next.mode)}'`;
  }

  /** Records one epoch's metric (a number, or a 1-element tensor on a backend with sync reads). */
  override step(metric?: number | Tensor): void {
    const current = metric instanceof Tensor ? metric.item() : Number(metric);
    if (metric === undefined) throw new TypeError('ReduceLROnPlateau.step(metric) needs the metric');
    this.lastEpoch += 1;
    if (this.isBetter(current, this.best)) {
      this.best = current;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs += 1;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const old = lrOf(g);
        const next = Math.max(old * this.factor, this.minLrs[i]!);
        if (old - next > this.eps) {
          if (g.lr instanceof Tensor) g.lr.fill_(next);
          else g.lr = next;
        }
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this._lastLr = this.optimizer.paramGroups.map(lrOf);
  }

  /** Whether metric `a` improves on `best` under `mode`, `threshold` and `thresholdMode`. */
  isBetter(a: number, best: number): boolean {
    if (this.mode === 'min' && this.thresholdMode === 'rel') return a < best * (1 - this.threshold);
    if (this.mode === 'min') return a < best - this.threshold;
    if (this.thresholdMode === 'rel') return a > best * (this.threshold + 1);
    return a > best + this.threshold;
  }
}
