/**
 * `torch.optim.lr_scheduler.LRScheduler`: the base of every learning-rate scheduler.
 *
 * Semantics follow latest PyTorch: with `lastEpoch = -1` each group's `initialLr` is set
 * from its `lr`; resuming (`lastEpoch >= 0`) needs `initialLr` in every group. The
 * constructor performs the first step (epoch 0) — and, as in latest PyTorch, that initial
 * step never decays an lr that is already there (a scheduler rebuilt on a resumed
 * optimizer does not step it twice).
 */
import { ValueError } from '../errors.js';
import { Optimizer } from '../optim/optimizer.js';
import { Tensor } from '../tensor.js';

const forbidden = new Set(['__proto__', 'constructor', 'prototype']);

/** The state dict of a scheduler: its fields, minus the optimizer and functions. */
export type SchedulerStateDict = Record<string, unknown>;

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'Object';
  return typeof v;
}

/** One value per param group (PyTorch's `_format_param`). */
export function formatParam<T>(name: string, optimizer: Optimizer, v: T | readonly T[]): T[] {
  if (Array.isArray(v)) {
    if (v.length !== optimizer.paramGroups.length) {
      throw new ValueError(`expected ${optimizer.paramGroups.length} values for ${name}, got ${v.length}`);
    }
    return [...v];
  }
  return optimizer.paramGroups.map(() => v as T);
}

/** A group's lr as a number (a 1-element Tensor lr is read). */
export function lrOf(group: Record<string, any>): number {
  const lr = group.lr;
  return lr instanceof Tensor ? lr.item() : lr;
}

export function checkOptimizer(optimizer: unknown): asserts optimizer is Optimizer {
  if (!(optimizer instanceof Optimizer)) throw new TypeError(`${typeName(optimizer)} is not an Optimizer`);
}

export abstract class LRScheduler {
  readonly optimizer: Optimizer;
  baseLrs: number[];
  lastEpoch: number;
  protected _stepCount = 0;
  protected _lastLr: number[] = [];
  /** True during the constructor's first step (latest PyTorch's `_is_initial`). */
  protected _isInitial = false;
  private _inStep = false;

  /**
   * Subclasses set their own fields, then call `this._initialStep()` at the end of their
   * constructor (JS runs a base constructor before the subclass's fields exist, so the
   * base cannot take the first step itself as PyTorch's does).
   */
  constructor(optimizer: Optimizer, lastEpoch = -1) {
    checkOptimizer(optimizer);
    this.optimizer = optimizer;
    if (!Number.isInteger(lastEpoch) || lastEpoch < -1) {
      throw new ValueError(`lastEpoch must be an integer >= -1, got ${lastEpoch}`);
    }
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) {
        if (g.initialLr === undefined) g.initialLr = g.lr instanceof Tensor ? g.lr.item() : g.lr;
      }
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new ValueError(
            `param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`,
          );
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr);
    this.lastEpoch = lastEpoch;
  }

  /** Resets the step count and performs the first step (PyTorch's `_initial_step`). */
  protected _initialStep(): void {
    this._stepCount = 0;
    this._isInitial = true;
    try {
      this.step();
    } finally {
      this._isInitial = false;
    }
  }

  /** The learning rates of the groups for the current `lastEpoch` (chainable form). */
  abstract getLr(): number[];

  /** The closed form for `lastEpoch`, where PyTorch has one (used by `step(epoch)`). */
  protected _getClosedFormLr?(): number[];

  /** The learning rates the last `step()` set (`get_last_lr`). */
  getLastLr(): number[] {
    return [...this._lastLr];
  }

  /** Warns when `getLr()` is called outside `step()`, as PyTorch does. */
  protected _warnOutsideStep(): void {
    if (!this._inStep)
      console.warn('To get the last learning rate computed by the scheduler, please use `get_last_lr()`.');
  }

  /**
   * Advances one epoch and writes the new lrs into the optimizer's groups. Passing `epoch`
   * is deprecated in PyTorch (it uses the closed form where there is one), and warns here too.
   */
  step(epoch?: number): void {
    if (this._stepCount === 1 && !this.optimizer._optCalled) {
      console.warn(
        'Detected call of `lr_scheduler.step()` before `optimizer.step()`. In PyTorch 1.1.0 and later, you should call them in the opposite order: `optimizer.step()` before `lr_scheduler.step()`.  Failure to do this will result in PyTorch skipping the first value of the learning rate schedule.',
      );
    }
    this._stepCount++;
    if (epoch !== undefined) {
      console.warn(
        'The epoch parameter in `scheduler.step()` was not necessary and is being deprecated where possible. Please use `scheduler.step()` to step the scheduler.',
      );
    }
    this._updateLr(epoch);
  }

  /** @internal */
  _updateLr(epoch?: number): void {
    let values: number[];
    this._inStep = true;
    try {
      if (epoch === undefined) {
        this.lastEpoch++;
        values = this.getLr();
      } else {
        this.lastEpoch = epoch;
        values = this._getClosedFormLr ? this._getClosedFormLr() : this.getLr();
      }
    } finally {
      this._inStep = false;
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      const lr = values[i]!;
      if (g.lr instanceof Tensor) g.lr.fill_(lr);
      else g.lr = lr;
    });
    this._lastLr = this.optimizer.paramGroups.map((g) => lrOf(g));
  }

  /** Field names that `stateDict` leaves out (the optimizer, functions, child schedulers). */
  protected _excludedState(): readonly string[] {
    return ['optimizer'];
  }

  /** `state_dict()`: every field except the optimizer and functions (lambdas are not saved). */
  stateDict(): SchedulerStateDict {
    const out: SchedulerStateDict = {};
    const excluded = new Set(this._excludedState());
    for (const [k, v] of Object.entries(this)) {
      if (excluded.has(k) || typeof v === 'function' || k === '_inStep') continue;
      out[k] = Array.isArray(v) ? [...v] : v;
    }
    return out;
  }

  /**
   * `load_state_dict(sd)`: restores the fields. Each key must be a field this scheduler
   * has, of the same kind; everything is checked before anything changes.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new TypeError(`scheduler state dict must be an object, got ${typeName(sd)}`);
    }
    const excluded = new Set(this._excludedState());
    const updates: [string, unknown][] = [];
    for (const k of Object.keys(sd)) {
      if (forbidden.has(k)) throw new ValueError(`scheduler state dict: key '${k}' is not allowed`);
      if (excluded.has(k) || k === '_inStep') continue;
      if (!Object.hasOwn(this, k)) {
        throw new ValueError(`scheduler state dict: unexpected key '${k}' for ${this.constructor.name}`);
      }
      const cur = (this as any)[k];
      const v = sd[k];
      if (typeof cur === 'function') continue;
      const kind = (x: unknown) => (x === null ? 'null' : Array.isArray(x) ? 'array' : typeof x);
      if (cur !== null && v !== null && kind(cur) !== kind(v)) {
        throw new ValueError(`scheduler state dict: '${k}' is ${kind(v)}, expected ${kind(cur)}`);
      }
      if (Array.isArray(v) && v.some((x) => x !== null && typeof x !== 'number' && typeof x !== 'string')) {
        throw new ValueError(`scheduler state dict: '${k}' must hold numbers`);
      }
      updates.push([k, Array.isArray(v) ? [...v] : v]);
    }
    for (const [k, v] of updates) (this as any)[k] = v;
  }
}
