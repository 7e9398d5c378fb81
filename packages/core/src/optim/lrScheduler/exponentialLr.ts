import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/** `torch.optim.lr_scheduler.ExponentialLR`: lr ×= γ every step. */
export class ExponentialLR extends LRScheduler {
  /** Multiplicative factor of learning-rate decay (PyTorch's `gamma`). */
  gamma: number;
  constructor(optimizer: Optimizer, opts: { gamma: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.gamma = opts.gamma;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return { ...super._stateSchema(), gamma: { kind: 'number' } };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this._isInitial) return groups.map(lrOf);
    return groups.map((g) => lrOf(g) * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** this.lastEpoch);
  }
}
