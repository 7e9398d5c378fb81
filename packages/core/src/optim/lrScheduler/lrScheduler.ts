/**
 * `torch.optim.lr_scheduler.LRScheduler`: the base of every learning-rate scheduler.
 *
 * Semantics follow latest PyTorch: with `lastEpoch = -1` each group's `initialLr` is set
 * from its `lr`; resuming (`lastEpoch >= 0`) needs `initialLr` in every group. The
 * constructor performs the first step (epoch 0) — and, as in latest PyTorch, that initial
 * step never decays an lr that is already there (a scheduler rebuilt on a resumed
 * optimizer does not step it twice).
 */
import { ValueError } from '../../errors.js';
import { inspectCustom } from '../../formatTensor.js';
import { schedulerRepr } from '../../optimRepr.js';
import { Tensor } from '../../tensor.js';
import { checkLayout, Optimizer } from '../optimizer.js';
import type { StateDictOptions } from '../pytorchLayout.js';
import {
  baseExtra,
  inLoadedKeys,
  isPytorchSchedulerDict,
  type SchedulerLayout,
  schedulerFromPytorch,
  schedulerToPytorch,
} from './pytorchLayout.js';

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

/**
 * Base class of the learning-rate schedulers: PyTorch's `LRScheduler`. The constructor takes the first step
 * (epoch 0), as PyTorch's does.
 */
export abstract class LRScheduler {
  /** The optimizer whose learning rates it sets. */
  readonly optimizer: Optimizer;
  /** The initial learning rate of each param group (PyTorch's `base_lrs`). */
  baseLrs: number[];
  /** Index of the last step taken (PyTorch's `last_epoch`). */
  lastEpoch: number;
  /** @internal */
  protected _stepCount = 0;
  /** @internal */
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
    optimizer.paramGroups.forEach((g, i) => {
      if (typeof g.initialLr !== 'number' || !Number.isFinite(g.initialLr)) {
        throw new ValueError(
          `param 'initial_lr' of param_groups[${i}] must be a finite number, got ${show(g.initialLr)}`,
        );
      }
    });
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

  /**
   * `print(scheduler)`: PyTorch's schedulers have no repr of their own, so this prints the
   * state in the optimizer's format (optimRepr.ts): `StepLR (\n    base_lrs: [0.1]\n    ...)`.
   */
  toString(): string {
    return schedulerRepr(this);
  }

  /** `console.log(scheduler)` in Node prints `toString()`. */
  [inspectCustom](): string {
    return this.toString();
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

  /**
   * What each field of the state dict holds, as this scheduler writes it: the kind (an
   * integer, a finite number, a boolean, one of some strings, one number per param group,
   * ...) that `loadStateDict` checks a loaded value against. Subclasses add their fields to
   * the base's. A field a subclass does not declare (a user subclass, SWALR) is checked
   * against the kind of its current value instead.
   */
  protected _stateSchema(): StateSchema {
    return {
      baseLrs: { kind: 'numbers', length: 'groups' },
      lastEpoch: { kind: 'int', min: -1 },
      _stepCount: { kind: 'int', min: 0 },
      _lastLr: { kind: 'numbers', length: 'groups' },
      // True only during the constructor's first step, so a saved scheduler always says false.
      _isInitial: { kind: 'bool', only: false },
    };
  }

  /**
   * Invariants between fields, checked on the state as it would be after the load (`next`
   * holds every field: the loaded value where there is one, the current one otherwise).
   * Returns what is wrong, or null.
   */
  protected _checkState(_next: Readonly<Record<string, unknown>>): string | null {
    return null;
  }

  /**
   * `state_dict()`: every field except the optimizer and functions (lambdas are not saved).
   * `{ layout: 'pytorch' }`: PyTorch's layout, as PyTorch 1.13's `state_dict()` of the
   * same scheduler holds it (`pytorchLayout.ts`: `last_epoch`, `base_lrs`, `_last_lr`,
   * ..., `verbose: False`), for `torch.save(sd, { format: 'pt' })` and PyTorch's
   * `scheduler.load_state_dict`.
   */
  stateDict(options: StateDictOptions = {}): SchedulerStateDict {
    if (checkLayout(options) === 'pytorch') return schedulerToPytorch(this, this.stateDict());
    const out: SchedulerStateDict = {};
    const excluded = new Set(this._excludedState());
    for (const [k, v] of Object.entries(this)) {
      if (excluded.has(k) || typeof v === 'function' || k === '_inStep') continue;
      out[k] = copyPlain(v);
    }
    return out;
  }

  /**
   * `load_state_dict(sd)`: restores the fields. Each key must be a field this scheduler
   * has, holding what the scheduler itself writes there (see `_stateSchema`); keys the dict
   * lacks keep their current value, as PyTorch's `__dict__.update`. Everything is checked
   * before anything changes, so a failed load leaves the scheduler (and, for SequentialLR
   * and ChainedScheduler, every child) exactly as it was.
   *
   * PyTorch's layout (`last_epoch`, `base_lrs`, `_last_lr`, ...: a dict PyTorch saved, read
   * with `torch.load`) is recognised and converted first (`pytorchLayout.ts`); errors then
   * name the keys as that dict spells them.
   */
  loadStateDict(sd: SchedulerStateDict): void {
    if (!isPytorchSchedulerDict(sd)) {
      this._prepareLoad(sd, '')();
      return;
    }
    const renames = new Map<string, string>();
    let commit: () => void;
    try {
      commit = this._prepareLoad(schedulerFromPytorch(this, sd, '', renames), '');
    } catch (e) {
      throw inLoadedKeys(e, renames);
    }
    commit();
  }

  /**
   * @internal Where this scheduler's state dict in PyTorch's layout departs from the
   * renaming rule (`pytorchLayout.ts`). The base: 1.13's `verbose` and
   * `_get_lr_called_within_step`, and no `_is_initial` (latest PyTorch's).
   */
  _pytorchLayout(): SchedulerLayout {
    return { omit: ['_isInitial'], extra: baseExtra };
  }

  /**
   * @internal Validates `sd` completely and returns the commit, which cannot fail.
   * `path` prefixes the keys in messages (`_schedulers[1].` for a child).
   */
  _prepareLoad(sd: SchedulerStateDict, path: string): () => void {
    const what = path ? `scheduler state dict '${path.slice(0, -1)}'` : 'scheduler state dict';
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
      throw new TypeError(`${what} must be an object, got ${typeName(sd)}`);
    }
    const excluded = new Set(this._excludedState());
    const schema = this._stateSchema();
    const groups = this.optimizer.paramGroups.length;
    const next: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (!excluded.has(k) && k !== '_inStep') next[k] = v;
    const updates: [string, unknown][] = [];
    for (const k of Object.keys(sd)) {
      if (forbidden.has(k)) throw new ValueError(`scheduler state dict: key '${path}${k}' is not allowed`);
      if (excluded.has(k) || k === '_inStep') continue;
      if (!Object.hasOwn(this, k)) {
        throw new ValueError(
          `scheduler state dict: unexpected key '${path}${k}' for ${this.constructor.name}`,
        );
      }
      const cur = (this as any)[k];
      if (typeof cur === 'function') continue;
      const v = sd[k];
      const spec = Object.hasOwn(schema, k) ? schema[k]! : inferSpec(cur);
      const problem = checkField(spec, v, groups);
      if (problem !== null) {
        throw new ValueError(`scheduler state dict: '${path}${k}' ${problem}, got ${show(v)}`);
      }
      const value = copyPlain(v);
      updates.push([k, value]);
      next[k] = value;
    }
    const problem = this._checkState(next);
    if (problem !== null)
      throw new ValueError(`scheduler state dict${path ? ` '${path.slice(0, -1)}'` : ''}: ${problem}`);
    return () => {
      for (const [k, v] of updates) (this as any)[k] = v;
    };
  }
}

/** What one field of a scheduler's state dict holds. */
export type FieldSpec =
  | { kind: 'int'; min?: number }
  | { kind: 'number'; min?: number; max?: number; above?: number; below?: number; infinite?: boolean }
  | { kind: 'bool'; only?: boolean }
  | { kind: 'string'; oneOf?: readonly string[] }
  /** An array of finite numbers: one per param group, one per group or none, or any length. */
  | { kind: 'numbers'; length?: 'groups' | 'groupsOrNone'; int?: boolean; sorted?: boolean }
  /** Anything else (plain data, copied deeply on load): `check` returns what is wrong, or null. */
  | { kind: 'custom'; check: (v: unknown) => string | null };

/** A scheduler's fields and what each holds (see `LRScheduler._stateSchema`). */
export type StateSchema = Readonly<Record<string, FieldSpec>>;

/** The spec of an undeclared field, from the kind of its current value. */
function inferSpec(cur: unknown): FieldSpec {
  if (typeof cur === 'number') return { kind: 'number', infinite: !Number.isFinite(cur) };
  if (typeof cur === 'boolean') return { kind: 'bool' };
  if (typeof cur === 'string') return { kind: 'string' };
  if (Array.isArray(cur)) return { kind: 'numbers' };
  return { kind: 'custom', check: () => null };
}

const isNumber = (x: unknown): x is number => typeof x === 'number' && !Number.isNaN(x);

/** What is wrong with `v` for `spec` ("must be ..."), or null. */
function checkField(spec: FieldSpec, v: unknown, groups: number): string | null {
  switch (spec.kind) {
    case 'int': {
      const min = spec.min ?? Number.NEGATIVE_INFINITY;
      return Number.isInteger(v) && (v as number) >= min
        ? null
        : `must be an integer${Number.isFinite(min) ? ` >= ${min}` : ''}`;
    }
    case 'number': {
      const finite = isNumber(v) && (spec.infinite || Number.isFinite(v));
      const ok =
        finite &&
        (spec.min === undefined || v >= spec.min) &&
        (spec.max === undefined || v <= spec.max) &&
        (spec.above === undefined || v > spec.above) &&
        (spec.below === undefined || v < spec.below);
      if (ok) return null;
      const bounds = [
        spec.min !== undefined ? `>= ${spec.min}` : '',
        spec.above !== undefined ? `> ${spec.above}` : '',
        spec.max !== undefined ? `<= ${spec.max}` : '',
        spec.below !== undefined ? `< ${spec.below}` : '',
      ].filter(Boolean);
      return `must be a ${spec.infinite ? '' : 'finite '}number${bounds.length ? ` ${bounds.join(' and ')}` : ''}`;
    }
    case 'bool':
      if (typeof v !== 'boolean') return 'must be a boolean';
      return spec.only === undefined || v === spec.only ? null : `must be ${spec.only}`;
    case 'string':
      if (typeof v !== 'string') return 'must be a string';
      return !spec.oneOf || spec.oneOf.includes(v)
        ? null
        : `must be one of ${spec.oneOf.map((s) => `'${s}'`).join(', ')}`;
    case 'numbers': {
      const each = spec.int ? 'integers' : 'finite numbers';
      const len =
        spec.length === 'groups'
          ? ` (one per param group: ${groups})`
          : spec.length === 'groupsOrNone'
            ? ` (one per param group: ${groups}, or none)`
            : '';
      const msg = `must be an array of ${each}${len}`;
      if (!Array.isArray(v)) return msg;
      if (spec.length === 'groups' && v.length !== groups) return msg;
      if (spec.length === 'groupsOrNone' && v.length !== groups && v.length !== 0) return msg;
      if (v.some((x) => !(spec.int ? Number.isInteger(x) : isNumber(x) && Number.isFinite(x)))) return msg;
      if (spec.sorted && v.some((x, i) => i > 0 && x < v[i - 1])) return `${msg}, in ascending order`;
      return null;
    }
    case 'custom':
      return spec.check(v);
  }
}

/** A copy of plain data (arrays and plain objects deep, everything else as is). */
function copyPlain(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(copyPlain);
  if (v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
    const out: Record<string, unknown> = {};
    // defineProperty: a key named '__proto__' stays a key and never sets the prototype.
    for (const [k, x] of Object.entries(v)) {
      Object.defineProperty(out, k, {
        value: copyPlain(x),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  return v;
}

/** A short rendering of a loaded value for messages. */
function show(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) {
    const items = v.slice(0, 6).map((x) => (typeof x === 'object' && x !== null ? typeName(x) : show(x)));
    return `[${items.join(', ')}${v.length > 6 ? ', ...' : ''}] (length ${v.length})`;
  }
  return typeName(v);
}
