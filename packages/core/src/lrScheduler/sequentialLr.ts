import { ValueError } from '../errors.js';
import type { Optimizer } from '../optim/optimizer.js';
import { LRScheduler, type SchedulerStateDict, typeName } from './lrScheduler.js';
import { ReduceLROnPlateau } from './reduceLrOnPlateau.js';

export function checkChildren(who: string, optimizer: Optimizer, schedulers: readonly unknown[]): void {
  schedulers.forEach((s, i) => {
    if (s instanceof ReduceLROnPlateau) {
      throw new ValueError(
        `${who} does not support \`ReduceLROnPlateau\` scheduler as it requires additional kwargs to be specified when calling \`step\`, but got one at index ${i} in the given schedulers sequence.`,
      );
    }
    if (!(s instanceof LRScheduler))
      throw new TypeError(`${who} at index ${i} should have \`optimizer\` as its attribute.`);
    if (s.optimizer !== optimizer) {
      throw new ValueError(
        `${who} expects all schedulers to belong to the same optimizer, but got scheduler ${typeName(s)} at index ${i} has a different optimizer, which is different from ${typeName(optimizer)}.`,
      );
    }
  });
}

function undo(s: LRScheduler): void {
  const children = (s as any)._schedulers as LRScheduler[] | undefined;
  if (children) for (const c of children) undo(c);
  else s.lastEpoch -= 1;
}

/**
 * `torch.optim.lr_scheduler.SequentialLR`: runs the schedulers in turn, switching at each
 * milestone (the next one starts from epoch 0).
 */
export class SequentialLR extends LRScheduler {
  readonly _schedulers: LRScheduler[];
  milestones: number[];

  constructor(
    optimizer: Optimizer,
    opts: { schedulers: readonly LRScheduler[]; milestones: readonly number[]; lastEpoch?: number },
  ) {
    const { schedulers, milestones } = opts;
    if (schedulers.length < 1)
      throw new ValueError('SequentialLR expects at least one scheduler, but got no scheduler.');
    checkChildren('SequentialLR', optimizer, schedulers);
    if (milestones.length !== schedulers.length - 1) {
      throw new ValueError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    super(optimizer, -1);
    this._schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = (opts.lastEpoch ?? -1) + 1;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr;
    for (const s of this._schedulers) undo(s);
    (this._schedulers[0] as any)._initialStep();
    this._lastLr = this._schedulers[0]!.getLastLr();
  }

  protected override _excludedState(): readonly string[] {
    return ['optimizer', '_schedulers'];
  }

  getLr(): number[] {
    return this._schedulers[0]!.getLastLr();
  }

  override step(): void {
    this.lastEpoch++;
    let idx = 0;
    while (idx < this.milestones.length && this.milestones[idx]! <= this.lastEpoch) idx++;
    const s = this._schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s._updateLr(0);
    else s.step();
    this._lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    const sd = super.stateDict();
    sd._schedulers = this._schedulers.map((s) => s.stateDict());
    return sd;
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    const children = sd?._schedulers;
    if (!Array.isArray(children) || children.length !== this._schedulers.length) {
      throw new ValueError(
        `scheduler state dict: '_schedulers' must hold ${this._schedulers.length} state dicts`,
      );
    }
    const { _schedulers: _, ...own } = sd;
    super.loadStateDict(own);
    children.forEach((c, i) => {
      this._schedulers[i]!.loadStateDict(c as SchedulerStateDict);
    });
  }
}
