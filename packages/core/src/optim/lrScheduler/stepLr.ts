import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/** `torch.optim.lr_scheduler.StepLR`: lr = initialLr · γ^⌊epoch/stepSize⌋. */
export class StepLR extends LRScheduler {
  /** Period of learning-rate decay, in epochs (PyTorch's `step_size`). */
  stepSize: number;
  /** Multiplicative factor of learning-rate decay (PyTorch's `gamma`). */
  gamma: number;
  constructor(optimizer: Optimizer, opts: { stepSize: number; gamma?: number; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.stepSize = opts.stepSize;
    this.gamma = opts.gamma ?? 0.1;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return { ...super._stateSchema(), stepSize: { kind: 'number' }, gamma: { kind: 'number' } };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0 || this._isInitial || this.lastEpoch % this.stepSize !== 0)
      return groups.map(lrOf);
    return groups.map((g) => lrOf(g) * this.gamma);
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map((b) => b * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}
