import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/**
 * `torch.optim.lr_scheduler.LinearLR`: the factor moves linearly from `startFactor` to
 * `endFactor` over `totalIters` steps. `startFactor` must be > 0 (latest PyTorch).
 */
export class LinearLR extends LRScheduler {
  /** Factor of the first step (PyTorch's `start_factor`). */
  startFactor: number;
  /** Factor after `totalIters` steps (PyTorch's `end_factor`). */
  endFactor: number;
  /** Number of steps over which the schedule changes the learning rate (PyTorch's `total_iters`). */
  totalIters: number;
  constructor(
    optimizer: Optimizer,
    opts: { startFactor?: number; endFactor?: number; totalIters?: number; lastEpoch?: number } = {},
  ) {
    const startFactor = opts.startFactor ?? 1 / 3;
    const endFactor = opts.endFactor ?? 1;
    if (startFactor > 1 || !(startFactor > 0)) {
      throw new ValueError(
        'Starting multiplicative factor expected to be greater than 0 and less or equal to 1.',
      );
    }
    if (endFactor > 1 || endFactor < 0)
      throw new ValueError('Ending multiplicative factor expected to be between 0 and 1.');
    super(optimizer, opts.lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = opts.totalIters ?? 5;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      startFactor: { kind: 'number', above: 0, max: 1 },
      endFactor: { kind: 'number', min: 0, max: 1 },
      totalIters: { kind: 'number' },
    };
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this.lastEpoch === 0) return groups.map((g) => lrOf(g) * this.startFactor);
    if (this._isInitial || this.lastEpoch > this.totalIters) return groups.map(lrOf);
    const d = this.endFactor - this.startFactor;
    return groups.map(
      (g) => lrOf(g) * (1 + d / (this.totalIters * this.startFactor + (this.lastEpoch - 1) * d)),
    );
  }
  protected override _getClosedFormLr(): number[] {
    return this.baseLrs.map(
      (b) =>
        b *
        (this.startFactor +
          ((this.endFactor - this.startFactor) * Math.min(this.totalIters, this.lastEpoch)) /
            this.totalIters),
    );
  }
}
