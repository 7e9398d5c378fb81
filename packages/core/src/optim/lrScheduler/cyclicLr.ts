import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { formatParam, LRScheduler, type StateSchema } from './lrScheduler.js';
import { functionsOnlyNone, type SchedulerLayout } from './pytorchLayout.js';

/** Options of `CyclicLR` (PyTorch's arguments, camelCase). */
export interface CyclicLROptions {
  /** Lower learning-rate boundary of the cycle, one value or one per group (PyTorch's `base_lr`). */
  baseLr: number | readonly number[];
  /** Upper learning-rate boundary of the cycle, one value or one per group (PyTorch's `max_lr`). */
  maxLr: number | readonly number[];
  /** Steps in the increasing half of a cycle (PyTorch's `step_size_up`). */
  stepSizeUp?: number;
  /** Steps in the decreasing half; `null` uses `stepSizeUp` (PyTorch's `step_size_down`). */
  stepSizeDown?: number | null;
  /** `'triangular'`, `'triangular2'` or `'exp_range'` (PyTorch's `mode`). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  /** Multiplicative factor of learning-rate decay (PyTorch's `gamma`). */
  gamma?: number;
  /** Custom amplitude scaling function; overrides `mode` (PyTorch's `scale_fn`). */
  scaleFn?: ((x: number) => number) | null;
  /**
   * Whether `scaleFn` takes the cycle number (`'cycle'`) or the step (`'iterations'`) (PyTorch's
   * `scale_mode`).
   */
  scaleMode?: 'cycle' | 'iterations';
  /** Cycle the momentum inversely to the learning rate (PyTorch's `cycle_momentum`). */
  cycleMomentum?: boolean;
  /** Lower momentum boundary of the cycle (PyTorch's `base_momentum`). */
  baseMomentum?: number | readonly number[];
  /** Upper momentum boundary of the cycle (PyTorch's `max_momentum`). */
  maxMomentum?: number | readonly number[];
  /** Index of the last epoch; -1 starts fresh (PyTorch's `last_epoch`). */
  lastEpoch?: number;
}

/**
 * `torch.optim.lr_scheduler.CyclicLR`: the lr cycles between `baseLr` and `maxLr`
 * (triangular, triangular2, exp_range, or a custom `scaleFn`); with `cycleMomentum` the
 * momentum (or `betas[0]` for Adam-like optimizers) cycles the opposite way. Stepped
 * after every batch.
 */
export class CyclicLR extends LRScheduler {
  /** Upper learning-rate boundary per param group. */
  maxLrs: number[];
  /** Steps per cycle. */
  totalSize: number;
  /** Fraction of a cycle spent increasing. */
  stepRatio: number;
  /** `'triangular'`, `'triangular2'` or `'exp_range'` (PyTorch's `mode`). */
  mode: string;
  /** Multiplicative factor of learning-rate decay (PyTorch's `gamma`). */
  gamma: number;
  /**
   * Whether `scaleFn` takes the cycle number (`'cycle'`) or the step (`'iterations'`) (PyTorch's
   * `scale_mode`).
   */
  scaleMode: string;
  /** Cycle the momentum inversely to the learning rate (PyTorch's `cycle_momentum`). */
  cycleMomentum: boolean;
  /** Whether the optimizer's momentum is `betas[0]` (Adam-like) rather than `momentum`. */
  useBeta1 = false;
  /** Lower momentum boundary per param group. */
  baseMomentums: number[] = [];
  /** Upper momentum boundary per param group. */
  maxMomentums: number[] = [];
  private readonly _scaleFnCustom: ((x: number) => number) | null;

  constructor(optimizer: Optimizer, opts: CyclicLROptions) {
    const lastEpoch = opts.lastEpoch ?? -1;
    const baseLrs = formatParam('base_lr', optimizer, opts.baseLr);
    if (lastEpoch === -1) {
      optimizer.paramGroups.forEach((g, i) => {
        g.lr = baseLrs[i];
      });
    }
    const mode = opts.mode ?? 'triangular';
    const scaleFn = opts.scaleFn ?? null;
    if (!['triangular', 'triangular2', 'exp_range'].includes(mode) && scaleFn === null) {
      throw new ValueError('mode is invalid and scale_fn is None');
    }
    const cycleMomentum = opts.cycleMomentum ?? true;
    let useBeta1 = false;
    let baseMomentums: number[] = [];
    let maxMomentums: number[] = [];
    if (cycleMomentum) {
      if (!('momentum' in optimizer.defaults) && !('betas' in optimizer.defaults)) {
        throw new ValueError('optimizer must support momentum or beta1 with `cycle_momentum` option enabled');
      }
      useBeta1 = 'betas' in optimizer.defaults;
      baseMomentums = formatParam('base_momentum', optimizer, opts.baseMomentum ?? 0.8);
      maxMomentums = formatParam('max_momentum', optimizer, opts.maxMomentum ?? 0.9);
      if (lastEpoch === -1) {
        optimizer.paramGroups.forEach((g, i) => {
          if (useBeta1) g.betas = [maxMomentums[i], ...g.betas.slice(1)];
          else g.momentum = maxMomentums[i];
          g.maxMomentum = maxMomentums[i];
          g.baseMomentum = baseMomentums[i];
        });
      }
    }
    super(optimizer, lastEpoch);
    this.baseLrs = baseLrs;
    this.maxLrs = formatParam('max_lr', optimizer, opts.maxLr);
    const up = opts.stepSizeUp ?? 2000;
    const down = opts.stepSizeDown ?? up;
    this.totalSize = up + down;
    this.stepRatio = up / this.totalSize;
    this.mode = mode;
    this.gamma = opts.gamma ?? 1;
    this._scaleFnCustom = scaleFn;
    this.scaleMode = scaleFn ? (opts.scaleMode ?? 'cycle') : mode === 'exp_range' ? 'iterations' : 'cycle';
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomentums = baseMomentums;
    this.maxMomentums = maxMomentums;
    this._initialStep();
  }

  protected override _excludedState(): readonly string[] {
    return ['optimizer', '_scaleFnCustom'];
  }

  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      maxLrs: { kind: 'numbers', length: 'groups' },
      totalSize: { kind: 'number', above: 0 },
      stepRatio: { kind: 'number', min: 0, max: 1 },
      mode: { kind: 'string' },
      gamma: { kind: 'number' },
      scaleMode: { kind: 'string', oneOf: ['cycle', 'iterations'] },
      cycleMomentum: { kind: 'bool' },
      useBeta1: { kind: 'bool' },
      baseMomentums: { kind: 'numbers', length: 'groupsOrNone' },
      maxMomentums: { kind: 'numbers', length: 'groupsOrNone' },
    };
  }

  /**
   * @internal PyTorch's `_scale_fn_custom` is None (a function is not saved: a custom
   * `scaleFn` does not cross); without cycled momentum 1.13 has no `base_momentums`,
   * `max_momentums`, and no `use_beta1` at all (2.x's: cycling Adam's beta1), written
   * only when true.
   */
  override _pytorchLayout(): SchedulerLayout {
    const base = super._pytorchLayout();
    return {
      ...base,
      omit: [
        ...(base.omit ?? []),
        ...(this.cycleMomentum ? [] : ['baseMomentums', 'maxMomentums']),
        ...(this.useBeta1 ? [] : ['useBeta1']),
      ],
      extra: {
        ...base.extra,
        _scale_fn_custom: {
          value: null,
          check: functionsOnlyNone(
            'scaleFn',
            'The _scale_fn_custom will only be saved if it is a callable object and not if it is a function or lambda.',
          ),
        },
      },
    };
  }

  /** A built-in `mode` unless a custom `scaleFn` was given; momenta per group when cycled. */
  protected override _checkState(next: Readonly<Record<string, unknown>>): string | null {
    const modes = ['triangular', 'triangular2', 'exp_range'];
    if (this._scaleFnCustom === null && !modes.includes(next.mode as string)) {
      return `'mode' must be one of ${modes.map((m) => `'${m}'`).join(', ')} (no custom scaleFn), got '${String(next.mode)}'`;
    }
    const groups = this.optimizer.paramGroups.length;
    if (next.cycleMomentum === true) {
      for (const k of ['baseMomentums', 'maxMomentums']) {
        if ((next[k] as number[]).length !== groups) {
          return `'${k}' must hold one momentum per param group (${groups}) when 'cycleMomentum' is true`;
        }
      }
    }
    return null;
  }

  /** The scale of cycle `x` (or iteration `x`, in 'iterations' mode). */
  scaleFn(x: number): number {
    if (this._scaleFnCustom) return this._scaleFnCustom(x);
    if (this.mode === 'triangular2') return 1 / 2 ** (x - 1);
    if (this.mode === 'exp_range') return this.gamma ** x;
    return 1;
  }

  getLr(): number[] {
    this._warnOutsideStep();
    const cycle = Math.floor(1 + this.lastEpoch / this.totalSize);
    const x = 1 + this.lastEpoch / this.totalSize - cycle;
    const scale = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const s = this.scaleFn(this.scaleMode === 'cycle' ? cycle : this.lastEpoch);
    const lrs = this.baseLrs.map((b, i) => b + (this.maxLrs[i]! - b) * scale * s);
    if (this.cycleMomentum) {
      this.optimizer.paramGroups.forEach((g, i) => {
        const m = this.maxMomentums[i]! - (this.maxMomentums[i]! - this.baseMomentums[i]!) * scale * s;
        if (this.useBeta1) g.betas = [m, ...g.betas.slice(1)];
        else g.momentum = m;
      });
    }
    return lrs;
  }
}
