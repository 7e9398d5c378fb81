import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/** `torch.optim.lr_scheduler.MultiStepLR`: lr ×= γ at each milestone (a repeated milestone counts again). */
export class MultiStepLR extends LRScheduler {
  milestones: number[];
  gamma: number;
  constructor(
    optimizer: Optimizer,
    opts: { milestones: Iterable<number>; gamma?: number; lastEpoch?: number },
  ) {
    super(optimizer, opts.lastEpoch);
    this.milestones = [...opts.milestones].sort((a, b) => a - b);
    this.gamma = opts.gamma ?? 0.1;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      milestones: { kind: 'numbers', sorted: true },
      gamma: { kind: 'number' },
    };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    const count = this.milestones.filter((m) => m === this.lastEpoch).length;
    if (count === 0 || this._isInitial) return groups.map(lrOf);
    return groups.map((g) => lrOf(g) * this.gamma ** count);
  }
  protected override _getClosedFormLr(): number[] {
    const passed = this.milestones.filter((m) => m <= this.lastEpoch).length;
    return this.baseLrs.map((b) => b * this.gamma ** passed);
  }
}
