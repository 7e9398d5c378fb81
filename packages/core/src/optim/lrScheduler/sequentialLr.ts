import { ValueError } from '../../errors.js';
import type { Optimizer } from '../optimizer.js';
import type { StateDictOptions } from '../pytorchLayout.js';
import { LRScheduler, type SchedulerStateDict, type StateSchema, typeName } from './lrScheduler.js';
import type { SchedulerLayout } from './pytorchLayout.js';
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

/**
 * The load of a scheduler with children (SequentialLR, ChainedScheduler): `_schedulers`
 * must hold one state dict per child; the parent's own fields and every child's are
 * validated first, then all are committed together, so a failed load changes none of them.
 */
export function prepareWithChildren(
  parent: LRScheduler,
  children: readonly LRScheduler[],
  sd: SchedulerStateDict,
  path: string,
  prepareOwn: (own: SchedulerStateDict, path: string) => () => void,
): () => void {
  if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
    return prepareOwn(sd, path);
  }
  const saved = sd._schedulers;
  if (!Array.isArray(saved) || saved.length !== children.length) {
    throw new ValueError(
      `scheduler state dict: '${path}_schedulers' must hold ${children.length} state dicts (one per scheduler of the ${parent.constructor.name}), got ${Array.isArray(saved) ? `${saved.length}` : typeName(saved)}`,
    );
  }
  const { _schedulers: _, ...own } = sd;
  const commits = [prepareOwn(own, path)];
  saved.forEach((c, i) => {
    commits.push(children[i]!._prepareLoad(c as SchedulerStateDict, `${path}_schedulers[${i}].`));
  });
  return () => {
    for (const commit of commits) commit();
  };
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
  /** @internal */
  readonly _schedulers: LRScheduler[];
  /** Epoch indices at which the schedule changes (PyTorch's `milestones`). */
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

  protected override _stateSchema(): StateSchema {
    return { ...super._stateSchema(), milestones: { kind: 'numbers' } };
  }

  /** One milestone between each pair of schedulers. */
  protected override _checkState(next: Readonly<Record<string, unknown>>): string | null {
    const n = this._schedulers.length - 1;
    return (next.milestones as number[]).length === n
      ? null
      : `'milestones' must hold ${n} milestones (one fewer than the schedulers)`;
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

  override stateDict(options: StateDictOptions = {}): SchedulerStateDict {
    if (options.layout === 'pytorch') return super.stateDict(options);
    const sd = super.stateDict(options);
    sd._schedulers = this._schedulers.map((s) => s.stateDict());
    return sd;
  }

  /** @internal PyTorch's SequentialLR keeps `_milestones`, `last_epoch`, `_last_lr` and the children's dicts only. */
  override _pytorchLayout(): SchedulerLayout {
    return { omit: ['_isInitial', 'baseLrs', '_stepCount'], rename: { milestones: '_milestones' } };
  }

  /** @internal Validates the parent's fields and every child's before any of them changes. */
  override _prepareLoad(sd: SchedulerStateDict, path: string): () => void {
    return prepareWithChildren(this, this._schedulers, sd, path, (own, p) => super._prepareLoad(own, p));
  }
}
