import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';

/**
 * `torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` (SGDR): cosine annealing that
 * restarts every T_i epochs, T_i growing by `T_mult`. `step(epoch)` accepts fractional
 * epochs (e.g. `epoch + batch / iters`), as PyTorch's.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  /** Steps until the first restart (PyTorch's `T_0`). */
  T_0: number;
  /** Length of the current period (PyTorch's `T_i`). */
  T_i: number;
  /** Factor the period grows by after each restart (PyTorch's `T_mult`). */
  T_mult: number;
  /** Minimum learning rate (PyTorch's `eta_min`). */
  etaMin: number;
  /** Steps since the last restart (PyTorch's `T_cur`). */
  T_cur: number;
  constructor(
    optimizer: Optimizer,
    opts: { T_0: number; T_mult?: number; etaMin?: number; lastEpoch?: number },
  ) {
    const T_mult = opts.T_mult ?? 1;
    if (!Number.isInteger(opts.T_0) || opts.T_0 <= 0)
      throw new ValueError(`Expected positive integer T_0, but got ${opts.T_0}`);
    if (!Number.isInteger(T_mult) || T_mult < 1)
      throw new ValueError(`Expected integer T_mult >= 1, but got ${T_mult}`);
    const etaMin = opts.etaMin ?? 0;
    if (typeof etaMin !== 'number')
      throw new ValueError(`Expected float or int eta_min, but got ${etaMin} of type ${typeof etaMin}`);
    super(optimizer, opts.lastEpoch);
    this.T_0 = opts.T_0;
    this.T_i = opts.T_0;
    this.T_mult = T_mult;
    this.etaMin = etaMin;
    this.T_cur = this.lastEpoch;
    this._initialStep();
  }
  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      T_0: { kind: 'int', min: 1 },
      T_i: { kind: 'int', min: 1 },
      T_mult: { kind: 'int', min: 1 },
      etaMin: { kind: 'number' },
      // Fractional when stepped with a fractional epoch (`step(epoch + batch / iters)`).
      T_cur: { kind: 'number', min: 0 },
    };
  }
  getLr(): number[] {
    return this.baseLrs.map(
      (b) => this.etaMin + ((b - this.etaMin) * (1 + Math.cos((Math.PI * this.T_cur) / this.T_i))) / 2,
    );
  }
  override step(epoch?: number): void {
    if (epoch === undefined && this.lastEpoch < 0) epoch = 0;
    if (epoch === undefined) {
      epoch = this.lastEpoch + 1;
      this.T_cur = this.T_cur + 1;
      if (this.T_cur >= this.T_i) {
        this.T_cur = this.T_cur - this.T_i;
        this.T_i = this.T_i * this.T_mult;
      }
    } else {
      if (epoch < 0) throw new ValueError(`Expected non-negative epoch, but got ${epoch}`);
      if (epoch >= this.T_0) {
        if (this.T_mult === 1) {
          this.T_cur = epoch % this.T_0;
        } else {
          const n = Math.trunc(Math.log((epoch / this.T_0) * (this.T_mult - 1) + 1) / Math.log(this.T_mult));
          this.T_cur = epoch - (this.T_0 * (this.T_mult ** n - 1)) / (this.T_mult - 1);
          this.T_i = this.T_0 * this.T_mult ** n;
        }
      } else {
        this.T_i = this.T_0;
        this.T_cur = epoch;
      }
    }
    this.lastEpoch = Math.floor(epoch);
    const values = this.getLr();
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this._lastLr = this.optimizer.paramGroups.map(lrOf);
  }
}
