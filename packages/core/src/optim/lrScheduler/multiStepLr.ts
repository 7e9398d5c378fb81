import type { Optimizer } from '../optimizer.js';
import { LRScheduler, lrOf, type StateSchema } from './lrScheduler.js';
import type { SchedulerLayout } from './pytorchLayout.js';

/**
 * Milestones as PyTorch holds them (a `Counter`: milestone → how many times it is listed),
 * written as a dict of ints (a .pt holds no Counter; a dict answers the lookups `get_lr`
 * makes); read back from such a dict or a list.
 */
const milestoneCounts = {
  toPytorch: (v: unknown): unknown => {
    const counts = new Map<number, number>();
    for (const m of v as number[]) counts.set(m, (counts.get(m) ?? 0) + 1);
    return counts;
  },
  fromPytorch: (v: unknown): unknown => {
    if (Array.isArray(v)) return v;
    const entries =
      v instanceof Map ? [...v] : v !== null && typeof v === 'object' ? Object.entries(v) : null;
    if (entries === null)
      throw new Error('must be a dict of milestone counts (a Counter) or a list of milestones');
    const out: number[] = [];
    for (const [k, n] of entries) {
      const m = Number(k);
      if (!Number.isInteger(m) || !Number.isInteger(n) || (n as number) < 0 || (n as number) > 1e6) {
        throw new Error(`must map integer milestones to counts, got ${String(k)}: ${String(n)}`);
      }
      for (let i = 0; i < (n as number); i++) out.push(m);
    }
    return out.sort((a, b) => a - b);
  },
};

/** `torch.optim.lr_scheduler.MultiStepLR`: lr ×= γ at each milestone (a repeated milestone counts again). */
export class MultiStepLR extends LRScheduler {
  /** Epoch indices at which the schedule changes (PyTorch's `milestones`). */
  milestones: number[];
  /** Multiplicative factor of learning-rate decay (PyTorch's `gamma`). */
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
  /** @internal PyTorch's `milestones` is a Counter: written as a dict of counts. */
  override _pytorchLayout(): SchedulerLayout {
    return { ...super._pytorchLayout(), values: { milestones: milestoneCounts } };
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
