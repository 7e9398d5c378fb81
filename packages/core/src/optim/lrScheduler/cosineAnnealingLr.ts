import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/**
 * `torch.optim.lr_scheduler.CosineAnnealingLR`, in PyTorch's recursive form (which keeps
 * working when something else changes the lr too); past `T_max` it is periodic.
 */
export class CosineAnnealingLR extends LRScheduler {
  /** Number of steps of a half cosine period (PyTorch's `T_max`). */
  T_max: number;
  /** Minimum learning rate (PyTorch's `eta_min`). */
  etaMin: number;
  constructor(optimizer: Optimizer, opts: { T_max: number; etaMin?: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.T_max = opts.T_max;
    this.etaMin = opts.etaMin ?? 0;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return { ...super._stateSchema(), T_max: { kind: 'number' }, etaMin: { kind: 'number' } };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    const e = this.lastEpoch;
    const T = this.T_max;
    if (this._isInitial || e === 0) return groups.map(lrOf);
    if (this._stepCount === 1 && e > 0) {
      return this.baseLrs.map(
        (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2,
      );
    }
    if ((((e - 1 - T) % (2 * T)) + 2 * T) % (2 * T) === 0) {
      return groups.map(
        (g, i) => lrOf(g) + ((this.baseLrs[i]! - this.etaMin) * (1 - Math.cos(Math.PI / T))) / 2,
      );
    }
    return groups.map(
      (g) =>
        ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) *
          (lrOf(g) - this.etaMin) +
        this.etaMin,
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.T_max))) / 2,
    );
  }
}
