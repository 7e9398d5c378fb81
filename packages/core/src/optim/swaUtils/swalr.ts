import { ValueError } from '../../errors.js';
import { formatParam, LRScheduler, lrOf, type StateSchema } from '../lrScheduler/lrScheduler.js';
import { functionRefused, type SchedulerLayout } from '../lrScheduler/pytorchLayout.js';
import type { Optimizer } from '../optimizer.js';

/**
 * `torch.optim.swa_utils.SWALR`: anneals each group's lr from its current value to its
 * `swaLr` over `annealEpochs` steps (cosine or linear), then holds it:
 * α = (1 − cos πt)/2 (or t), t = min(1, step/annealEpochs), lr = swaLr·α + lr₀·(1 − α).
 */
export class SWALR extends LRScheduler {
  /** Epochs to anneal from the group's lr to `swaLr` (PyTorch's `anneal_epochs`). */
  annealEpochs: number;
  /** `'cos'` or `'linear'` annealing (PyTorch's `anneal_strategy`). */
  annealStrategy: 'cos' | 'linear';

  constructor(
    optimizer: Optimizer,
    opts: {
      swaLr: number | readonly number[];
      annealEpochs?: number;
      annealStrategy?: 'cos' | 'linear';
      lastEpoch?: number;
    },
  ) {
    const swaLrs = formatParam('swa_lr', optimizer, opts.swaLr);
    const strategy = opts.annealStrategy ?? 'cos';
    if (strategy !== 'cos' && strategy !== 'linear') {
      throw new ValueError(`anneal_strategy must by one of 'cos' or 'linear', instead got ${strategy}`);
    }
    const annealEpochs = opts.annealEpochs ?? 10;
    if (!Number.isInteger(annealEpochs) || annealEpochs < 0) {
      throw new ValueError(`anneal_epochs must be equal or greater than 0, got ${annealEpochs}`);
    }
    optimizer.paramGroups.forEach((g, i) => {
      g.swaLr = swaLrs[i];
    });
    super(optimizer, opts.lastEpoch);
    this.annealEpochs = annealEpochs;
    this.annealStrategy = strategy;
    this._initialStep();
  }

  protected override _stateSchema(): StateSchema {
    return {
      ...super._stateSchema(),
      annealEpochs: { kind: 'int', min: 0 },
      annealStrategy: { kind: 'string', oneOf: ['cos', 'linear'] },
    };
  }

  /**
   * @internal PyTorch's SWALR holds its annealing function (`anneal_func`), not the
   * strategy's name: `annealStrategy` is not written, and an `anneal_func` is refused.
   */
  override _pytorchLayout(): SchedulerLayout {
    const base = super._pytorchLayout();
    return {
      ...base,
      omit: [...(base.omit ?? []), 'annealStrategy'],
      extra: {
        ...base.extra,
        anneal_func: {
          write: false,
          check: functionRefused(
            'SWALR._cosine_anneal/_linear_anneal',
            "Delete it from the dict in PyTorch before saving (del sd['anneal_func']) and build the SWALR with the same annealStrategy.",
          ),
        },
      },
    };
  }

  private anneal(t: number): number {
    return this.annealStrategy === 'linear' ? t : (1 - Math.cos(Math.PI * t)) / 2;
  }

  getLr(): number[] {
    this._warnOutsideStep();
    let step = this._stepCount - 1;
    if (this.annealEpochs === 0) step = Math.max(1, step);
    const prevT = Math.max(0, Math.min(1, (step - 1) / Math.max(1, this.annealEpochs)));
    const prevAlpha = this.anneal(prevT);
    const groups = this.optimizer.paramGroups;
    const prevLrs = groups.map((g) =>
      prevAlpha === 1 ? g.swaLr : (lrOf(g) - prevAlpha * g.swaLr) / (1 - prevAlpha),
    );
    const t = Math.max(0, Math.min(1, step / Math.max(1, this.annealEpochs)));
    const alpha = this.anneal(t);
    return groups.map((g, i) => g.swaLr * alpha + prevLrs[i]! * (1 - alpha));
  }
}
