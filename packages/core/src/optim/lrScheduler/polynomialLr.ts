import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/** `torch.optim.lr_scheduler.PolynomialLR`: lr = initialLr · (1 − min(T, e)/T)^power. */
export class PolynomialLR extends LRScheduler {
  /** Number of steps over which the schedule changes the learning rate (PyTorch's `total_iters`). */
  totalIters: number;
  /** Power of the polynomial (PyTorch's `power`). */
  power: number;
  constructor(optimizer: Optimizer, opts: { totalIters?: number; power?: number; lastEpoch?: number } = {}) {
    super(optimizer, opts.lastEpoch);
    this.totalIters = opts.totalIters ?? 5;
    this.power = opts.power ?? 1;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return { ...super._stateSchema(), totalIters: { kind: 'number' }, power: { kind: 'number' } };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this._isInitial || this.lastEpoch === 0 || this.lastEpoch > this.totalIters) return groups.map(lrOf);
    const f =
      ((1 - this.lastEpoch / this.totalIters) / (1 - (this.lastEpoch - 1) / this.totalIters)) ** this.power;
    return groups.map((g) => lrOf(g) * f);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power,
    );
  }
}
