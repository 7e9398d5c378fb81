import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import type { StateDictOptions } from '../pytorchLayout.js';
import { LRScheduler, lrOf, type SchedulerStateDict } from './lrScheduler.js';
import type { SchedulerLayout } from './pytorchLayout.js';
import { checkChildren, prepareWithChildren } from './sequentialLr.js';

/**
 * `torch.optim.lr_scheduler.ChainedScheduler`: every `step()` steps each child, in order.
 * Takes PyTorch's `(schedulers, optimizer?)`, or `(optimizer, { schedulers })` like the
 * other schedulers.
 */
export class ChainedScheduler extends LRScheduler {
  /** @internal */
  readonly _schedulers: LRScheduler[];

  constructor(schedulers: readonly LRScheduler[], optimizer?: Optimizer);
  constructor(optimizer: Optimizer, opts: { schedulers: readonly LRScheduler[] });
  constructor(a: readonly LRScheduler[] | Optimizer, b?: Optimizer | { schedulers: readonly LRScheduler[] }) {
    const [schedulers, optimizer] = Array.isArray(a)
      ? [a as readonly LRScheduler[], b as Optimizer | undefined]
      : [(b as { schedulers?: readonly LRScheduler[] } | undefined)?.schedulers ?? [], a as Optimizer];
    if (!Array.isArray(schedulers)) throw new TypeError('ChainedScheduler expects an array of schedulers');
    if (schedulers.length < 1) {
      throw new ValueError(
        'ChainedScheduler expects at least one scheduler to be chained, but got no scheduler.',
      );
    }
    const opt = optimizer ?? schedulers[0]!.optimizer;
    checkChildren('ChainedScheduler', opt, schedulers);
    super(opt, -1);
    this._schedulers = [...schedulers];
    this._lastLr = opt.paramGroups.map(lrOf);
  }

  protected override _excludedState(): readonly string[] {
    return ['optimizer', '_schedulers'];
  }

  getLr(): number[] {
    return this.optimizer.paramGroups.map(lrOf);
  }

  override step(): void {
    for (const s of this._schedulers) s.step();
    this._lastLr = this.optimizer.paramGroups.map(lrOf);
  }

  override stateDict(options: StateDictOptions = {}): SchedulerStateDict {
    if (options.layout === 'pytorch') return super.stateDict(options);
    const sd = super.stateDict(options);
    sd._schedulers = this._schedulers.map((s) => s.stateDict());
    return sd;
  }

  /** @internal PyTorch's ChainedScheduler keeps `_last_lr` and the children's dicts only. */
  override _pytorchLayout(): SchedulerLayout {
    return { omit: ['_isInitial', 'baseLrs', 'lastEpoch', '_stepCount'] };
  }

  /** @internal Validates the parent's fields and every child's before any of them changes. */
  override _prepareLoad(sd: SchedulerStateDict, path: string): () => void {
    return prepareWithChildren(this, this._schedulers, sd, path, (own, p) => super._prepareLoad(own, p));
  }
}
