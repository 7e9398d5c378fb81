import type { Optimizer } from '../optimizer.js';
import { type LrLambda, lambdasFor } from './lambdaLr.js';
import { LRScheduler, lrOf } from './lrScheduler.js';
import { lambdaLayout, type SchedulerLayout } from './pytorchLayout.js';

/** `torch.optim.lr_scheduler.MultiplicativeLR`: lr ← lr · λ(epoch) each step after the first. */
export class MultiplicativeLR extends LRScheduler {
  /** The function (one per param group) computing the factor from the epoch. */
  readonly lrLambdas: LrLambda[];
  constructor(optimizer: Optimizer, opts: { lrLambda: LrLambda | readonly LrLambda[]; lastEpoch?: number }) {
    super(optimizer, opts.lastEpoch);
    this.lrLambdas = lambdasFor(optimizer, opts.lrLambda);
    this._initialStep();
  }
  protected override _excludedState(): readonly string[] {
    return ['optimizer', 'lrLambdas'];
  }
  /** @internal PyTorch's `lr_lambdas`: None per group (functions are not saved). */
  override _pytorchLayout(): SchedulerLayout {
    return lambdaLayout(super._pytorchLayout(), this.lrLambdas.length);
  }
  getLr(): number[] {
    this._warnOutsideStep();
    const groups = this.optimizer.paramGroups;
    if (this._isInitial) return groups.map(lrOf);
    return groups.map((g, i) => lrOf(g) * this.lrLambdas[i]!(this.lastEpoch));
  }
}
