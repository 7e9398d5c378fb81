import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import { LRScheduler } from './lrScheduler.js';
import { lambdaLayout, type SchedulerLayout } from './pytorchLayout.js';

/** A function of the epoch giving a multiplicative factor. */
export type LrLambda = (epoch: number) => number;

export function lambdasFor(optimizer: Optimizer, lrLambda: LrLambda | readonly LrLambda[]): LrLambda[] {
  const n = optimizer.paramGroups.length;
  const list = Array.isArray(lrLambda) ? [...lrLambda] : new Array<LrLambda>(n).fill(lrLambda as LrLambda);
  if (list.length !== n) throw new ValueError(`Expected ${n} lr_lambdas, but got ${list.length}`);
  for (const f of list) {
    if (typeof f !== 'function') throw new TypeError(`lr_lambda should be a function, but got ${typeof f}`);
  }
  return list;
}

/**
 * `torch.optim.lr_scheduler.LambdaLR`: lr = initialLr · λ(epoch). `lrLambda` is one
 * function or one per group. The functions are not part of the state dict.
 */
export class LambdaLR extends LRScheduler {
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
    return this.baseLrs.map((b, i) => b * this.lrLambdas[i]!(this.lastEpoch));
  }
}
