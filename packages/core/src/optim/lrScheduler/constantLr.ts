import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/** `torch.optim.lr_scheduler.ConstantLR`: lr = initialLr · factor until `totalIters`, then initialLr. */
export class ConstantLR extends LRScheduler {
  /** Factor the learning rate is multiplied by (PyTorch's `factor`). */
  factor: number;
  /** Number of steps over which the schedule changes the learning rate (PyTorch's `total_iters`). */
  totalIters: number;
  constructor(optimizer: Optimizer, opts: { factor?: number; totalIters?: number; lastEpoch?: number } = {}) {
    const factor = opts.factor ?? 1 / 3;
    if (factor > 1 || factor < 0)
      throw new ValueError('Constant multiplicative factor expected to be between 0 and 1.');
    super(optimizer, opts.lastEpoch);
    this.factor = factor;
    this.totalIters = opts.totalIters ?? 5;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      factor: { kind: 'number', min: 0, max: 1 },
      totalIters: { kind: 'number' },
    };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => lrOf(g) * this.factor);
    if (this._isInitial || this.lastEpoch !== this.totalIters) return groups.map(lrOf);
    return groups.map((g) => lrOf(g) * (1 / this.factor));
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) => b * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)),
    );
  }
}
