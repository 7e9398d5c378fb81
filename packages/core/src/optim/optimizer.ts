/**
 * `torch.optim.Optimizer`: the base class holding every bit of param-group and state
 * bookkeeping, so that each algorithm file holds only its spec and update (`spec.ts`).
 * Its parts by concept: hooks (`hooks.ts`), param groups and their intake
 * (`paramGroups.ts`), per-parameter state and its spec (`state.ts`), and the validation
 * of a loaded state dict (`loadStateDict.ts`); everything they export is re-exported here.
 *
 * How an update reaches a backend (decided once, for every optimizer): each algorithm
 * describes its per-element update as one fused program (`defineFused`, see `fused/`),
 * built once per configuration of flags and cached; `step()` computes the per-parameter
 * scalars (lr, bias corrections, ...) on the host and hands all parameters of a group to
 * the backend in one `runFused` call. No tensor is allocated per step and nothing is read
 * back, so `step()` is synchronous on every backend (LBFGS, which must read the loss, is
 * the exception and is async).
 */
import { enableGrad, keep, noGrad } from '../engine.js';
import { DTypeError, ValueError } from '../errors.js';
import { inspectCustom } from '../formatTensor.js';
import { loopBoundary, withoutBoundaries } from '../loopMemory.js';
import { optimizerRepr } from '../optimRepr.js';
import { Tensor } from '../tensor.js';
import {
  globalPostHooks,
  globalPreHooks,
  HookList,
  type LoadStateDictPostHook,
  type LoadStateDictPreHook,
  type RemovableHandle,
  type StateDictPostHook,
  type StateDictPreHook,
  type StepPostHook,
  type StepPreHook,
} from './hooks.js';
import { checkScalarState, validateStateDict } from './loadStateDict.js';
import {
  checkFloating,
  checkNewGroup,
  fillHyperparameters,
  type Hyperparameters,
  isIterable,
  isPlainGroup,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  takeParams,
} from './paramGroups.js';
import {
  inLoadedNames,
  isPytorchOptimizerDict,
  optimizerFromPytorch,
  optimizerToPytorch,
  type PytorchOptimizerStateDict,
  type Renames,
  type StateDictOptions,
} from './pytorchLayout.js';
import type { OptimizerSpec } from './spec.js';
import type { OptimizerState, OptimizerStateDict, StateSpec } from './state.js';
import { typeName } from './validate.js';

export {
  type LoadStateDictPostHook,
  type LoadStateDictPreHook,
  type RemovableHandle,
  registerOptimizerStepPostHook,
  registerOptimizerStepPreHook,
  type StateDictPostHook,
  type StateDictPreHook,
  type StepPostHook,
  type StepPreHook,
} from './hooks.js';
export {
  type Hyperparameters,
  type ParamGroup,
  type ParamGroupInput,
  type Params,
  required,
  safeAssign,
  scalarValue,
} from './paramGroups.js';
export type { PytorchOptimizerStateDict, StateDictLayout, StateDictOptions } from './pytorchLayout.js';
export {
  type OptimizerState,
  type OptimizerStateDict,
  type StateEntrySpec,
  type StateSpec,
  withGrads,
} from './state.js';

/**
 * `torch.optim.Optimizer`, for options `O` (its groups are `ParamGroup<O>`). Subclasses
 * pass their defaults and implement `_update()` (the update of every group, run with grad
 * recording off); an optimizer declared by a spec passes it too (`SpecOptimizer`), and
 * the spec checks its groups and declares its state.
 *
 * `params` may be any iterable — an array, a generator, or a `Set`: PyTorch refuses sets
 * because Python's are unordered, but a JS `Set` iterates in insertion order, so the order
 * of the state dict is as stable as an array's and stepwise accepts it. Named parameters
 * (`[name, tensor]` pairs, e.g. from `module.namedParameters()`) keep their names in the
 * state dict, and `loadStateDict` checks them when both sides have names — so loading a
 * checkpoint into a model whose parameter order changed is an error, not silently
 * misplaced state.
 */
export abstract class Optimizer<O extends Record<string, any> = Record<string, any>> {
  /** The hyperparameters every param group starts from (PyTorch's `defaults`). */
  readonly defaults: Hyperparameters<O>;
  /** The param groups: their params and hyperparameters (PyTorch's `param_groups`). */
  paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, keyed by the parameter (PyTorch's `state`). */
  state: Map<Tensor, OptimizerState> = new Map();

  /** @internal Set by `step()`; LR schedulers read it to warn when they are stepped first (as PyTorch's `_opt_called`). */
  _optCalled = false;

  private readonly _preHooks = new HookList<StepPreHook>();
  private readonly _postHooks = new HookList<StepPostHook>();
  private readonly _sdPreHooks = new HookList<StateDictPreHook>();
  private readonly _sdPostHooks = new HookList<StateDictPostHook>();
  private readonly _loadPreHooks = new HookList<LoadStateDictPreHook>();
  private readonly _loadPostHooks = new HookList<LoadStateDictPostHook>();

  /**
   * The hyperparameters the optimizer declares, with the kind of each (its class's own
   * defaults, before any option): `null` marks one that may be null (Adafactor's eps[0],
   * LBFGS's lineSearchFn). Groups — added or loaded — keep these kinds.
   */
  private readonly _declared: Readonly<Record<string, unknown>>;

  /** The optimizer's spec, if it is declared by one: it checks groups and declares the state. */
  protected readonly _spec: OptimizerSpec<O> | undefined;

  /**
   * `defaults`: every hyperparameter with its value for groups that do not set it (the
   * options merged into the class's defaults); `declared`: the class's own defaults, whose
   * kinds every group must keep (default: `defaults`); `spec`: the optimizer's spec, if any.
   */
  constructor(
    params: Params,
    defaults: Hyperparameters<O>,
    declared: Readonly<Record<string, unknown>> = defaults,
    spec?: OptimizerSpec<O>,
  ) {
    this.defaults = defaults;
    this._declared = declared;
    this._spec = spec;
    if (params instanceof Tensor || !isIterable(params)) {
      throw new TypeError(
        `params argument given to the optimizer should be an iterable of Tensors or dicts, but got ${typeName(params)}`,
      );
    }
    let groups: unknown[] = [...(params as Iterable<unknown>)];
    if (groups.length === 0) throw new ValueError('optimizer got an empty parameter list');
    if (!isPlainGroup(groups[0])) groups = [{ params: groups }];
    for (const g of groups) this.addParamGroup(g as ParamGroupInput);
  }

  /** The PyTorch class name (`'Adam'`, ...), for messages. */
  get name(): string {
    return this.constructor.name;
  }

  /** PyTorch's `repr(optimizer)` (`print(optimizer)`), with PyTorch's snake_case names (optimRepr.ts). */
  toString(): string {
    return optimizerRepr(this);
  }

  /** `console.log(optimizer)` in Node prints `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }

  /**
   * `add_param_group`: validates a group as PyTorch does (in its order) and appends it.
   * Hyperparameters it lacks are filled from `defaults`. Nothing changes if it throws.
   */
  addParamGroup(paramGroup: ParamGroupInput): void {
    const group = takeParams(paramGroup, this.name);
    fillHyperparameters(group, this.defaults, this._declared);
    this._checkGroup(group as ParamGroup<O>);
    checkNewGroup(group, this.paramGroups);
    // The optimizer owns its parameters: no loop boundary releases them.
    for (const p of group.params) keep(p);
    // A plain object (not null-prototype) for users; every key came through safeAssign.
    this.paramGroups.push(Object.assign({}, group) as ParamGroup<O>);
  }

  /**
   * Validates a group's hyperparameters (PyTorch validates only constructor arguments;
   * stepwise also validates groups, so a bad `lr` in a group fails where it is given).
   * The default runs the spec's checks, or accepts anything without a spec.
   */
  protected _checkGroup(group: ParamGroup<O>): void {
    const spec = this._spec;
    if (spec === undefined) return;
    const name = spec.name ?? this.name;
    if (spec.checkGroup) spec.checkGroup(group, name);
    else spec.check(group, name);
  }

  /** `zero_grad(set_to_none=True)`: drops every gradient, or zeroes it in place when `setToNone` is false. */
  zeroGrad(setToNone = true): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        const grad = p.grad;
        if (grad === null) continue;
        if (setToNone) {
          p.grad = null;
        } else {
          if (grad.gradFn !== null) grad.detach_();
          else grad.requiresGrad_(false);
          grad.zero_();
        }
      }
    }
  }

  /**
   * `step(closure?)`: re-evaluates the closure (with grad recording on) if given, updates
   * every parameter that has a gradient, and returns what the closure returned. An async
   * closure makes `step` return a Promise. Hooks run in PyTorch's order: global pre,
   * local pre, the step, local post, global post.
   */
  step<T = undefined>(closure?: () => T): T {
    return this._loopStep(() => {
      this._optCalled = true;
      let args: unknown[] = [closure];
      args = this._runPreHooks(args);
      const fn = args[0] as (() => T) | undefined;
      const loss = fn ? enableGrad(fn) : (undefined as T);
      if (loss instanceof Promise) {
        return loss.then((l) => {
          this._checkGrads();
          noGrad(() => this._update());
          this._runPostHooks(args);
          return l;
        }) as T;
      }
      this._checkGrads();
      noGrad(() => this._update());
      this._runPostHooks(args);
      return loss;
    });
  }

  /**
   * Refuses an integer or bool gradient before any backend work: an update is a float
   * computation written in place, which cannot go into an integer parameter (PyTorch
   * refuses too: integer tensors cannot require grad, and `add_` of a float result into an
   * int tensor is an error). Parameters are checked when added; this catches one that got
   * into a group another way.
   */
  protected _checkGrads(): void {
    this.paramGroups.forEach((g, gi) => {
      g.params.forEach((p, i) => {
        const grad = p.grad;
        if (grad !== null && grad.dtype !== 'float32' && grad.dtype !== 'float64') {
          checkFloating(this.name, p, `parameter ${i} of group ${gi}`);
          throw new DTypeError(
            `${this.name}.step(): parameter ${i} of group ${gi} has a gradient of dtype ${grad.dtype}; optimizers update floating point parameters only (float32, float64)`,
          );
        }
      });
    });
  }

  /**
   * Runs one step as one loop boundary (core README, "Memory"): backward calls inside it
   * (a closure) are not boundaries of their own, and when it returns, the tensors of
   * earlier iterations that nothing used since the previous step are released.
   */
  protected _loopStep<T>(fn: () => T): T {
    const r = withoutBoundaries(fn);
    const boundary = () => loopBoundary(this, `${this.constructor.name}.step()`);
    if (r instanceof Promise) {
      return r.then((v) => {
        boundary();
        return v;
      }) as T;
    }
    boundary();
    return r;
  }

  /** The update of every group; grads are in place, grad recording is off. */
  protected abstract _update(): void;

  /** @internal */
  protected _runPreHooks(args: unknown[]): unknown[] {
    for (const h of [...globalPreHooks.values(), ...this._preHooks.values()]) {
      const r = h(this, args);
      if (r !== undefined) {
        if (!Array.isArray(r))
          throw new TypeError(
            `a step pre-hook must return undefined or the new arguments, got ${typeName(r)}`,
          );
        args = r;
      }
    }
    return args;
  }

  /** @internal */
  protected _runPostHooks(args: unknown[]): void {
    for (const h of [...this._postHooks.values(), ...globalPostHooks.values()]) h(this, args);
  }

  /** `register_step_pre_hook`: `hook(optimizer, args)` before each step; it may return new args. */
  registerStepPreHook(hook: StepPreHook): RemovableHandle {
    return this._preHooks.add(hook);
  }

  /** `register_step_post_hook`: `hook(optimizer, args)` after each step. */
  registerStepPostHook(hook: StepPostHook): RemovableHandle {
    return this._postHooks.add(hook);
  }

  /** `register_state_dict_pre_hook`. */
  registerStateDictPreHook(hook: StateDictPreHook, prepend = false): RemovableHandle {
    return this._sdPreHooks.add(hook, prepend);
  }

  /** `register_state_dict_post_hook`: may return a replacement dict. */
  registerStateDictPostHook(hook: StateDictPostHook, prepend = false): RemovableHandle {
    return this._sdPostHooks.add(hook, prepend);
  }

  /** `register_load_state_dict_pre_hook`: may return a replacement dict to load. */
  registerLoadStateDictPreHook(hook: LoadStateDictPreHook, prepend = false): RemovableHandle {
    return this._loadPreHooks.add(hook, prepend);
  }

  /** `register_load_state_dict_post_hook`. */
  registerLoadStateDictPostHook(hook: LoadStateDictPostHook, prepend = false): RemovableHandle {
    return this._loadPostHooks.add(hook, prepend);
  }

  /**
   * `state_dict()`, PyTorch-shaped: `{ state: { [index]: {...} }, paramGroups: [{ params:
   * [indices], ...hyperparameters }] }`, indices running across groups in order. Like
   * PyTorch it holds references to the live state tensors (save it, or clone, to freeze it).
   *
   * `{ layout: 'pytorch' }`: PyTorch's own layout, as PyTorch 1.13's `state_dict()` of this
   * optimizer writes it (`pytorchLayout.ts`): `{ state: Map<index, { exp_avg, step: 0-dim
   * tensor, ... }>, param_groups: [{ weight_decay, foreach: null, ..., params }] }`, for
   * `torch.save(sd, { format: 'pt' })` and PyTorch's `optimizer.load_state_dict`. Its
   * scalar tensors are new (kept) 0-dim tensors; the others are the live state tensors.
   * State-dict hooks run as for stepwise's layout, before the conversion.
   */
  stateDict(): OptimizerStateDict;
  stateDict(options: { layout: 'pytorch' }): PytorchOptimizerStateDict;
  stateDict(options?: StateDictOptions): OptimizerStateDict | PytorchOptimizerStateDict;
  stateDict(options: StateDictOptions = {}): OptimizerStateDict | PytorchOptimizerStateDict {
    const layout = checkLayout(options);
    const sd = this._stateDict();
    if (layout === 'stepwise') return sd;
    const params: Tensor[] = [];
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (!seen.has(p)) params.push(p);
        seen.add(p);
      }
    }
    return optimizerToPytorch(sd, {
      name: this.name,
      defaults: this._spec?.defaults ?? this._declared,
      layout: this._spec?.pytorch,
      params,
    });
  }

  /** stepwise's layout, with the state-dict hooks. */
  private _stateDict(): OptimizerStateDict {
    for (const h of this._sdPreHooks.values()) h(this);
    const index = new Map<Tensor, number>();
    let next = 0;
    const paramGroups = this.paramGroups.map((g) => {
      const packed: Record<string, any> = {};
      for (const [k, v] of Object.entries(g)) {
        if (k === 'params') continue;
        packed[k] = Array.isArray(v) ? [...v] : v;
      }
      packed.params = g.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) index.set(p, (i = next++));
        return i;
      });
      return packed;
    });
    const state: Record<string, OptimizerState> = {};
    for (const [p, st] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = { ...st };
    }
    let sd: OptimizerStateDict = { state, paramGroups };
    for (const h of this._sdPostHooks.values()) {
      const r = h(this, sd);
      if (r !== undefined) sd = r;
    }
    return sd;
  }

  /**
   * `load_state_dict(sd)`. Validates everything before it changes anything, so a failed
   * load leaves the optimizer exactly as it was: group count and sizes (PyTorch's
   * messages), parameter names when both sides have them, hyperparameter kinds, state
   * indices and tensor shapes (`loadStateDict.ts`). Saved hyperparameters win, the
   * parameters stay; keys the dict lacks (older dicts) are filled from the defaults. State
   * tensors are copied, cast to the parameter's dtype and moved to its backend (`step` and
   * other scalars stay numbers; a 0-dim tensor `step` is accepted).
   *
   * PyTorch's layout (a dict with `param_groups`, as `torch.load` gives it from a file
   * PyTorch saved, or `stateDict({ layout: 'pytorch' })`) is recognised and converted
   * first (`pytorchLayout.ts`): snake_case names, int state keys, 0-dim tensor scalars,
   * PyTorch-only group keys (`foreach`, `capturable`, `differentiable`, `fused`) dropped.
   * Errors then name the keys as that dict spells them.
   */
  loadStateDict(stateDict: OptimizerStateDict | PytorchOptimizerStateDict): void {
    let sd = stateDict as OptimizerStateDict;
    for (const h of this._loadPreHooks.values()) {
      const r = h(this, sd);
      if (r !== undefined) sd = r;
    }
    let renames: Renames | undefined;
    if (isPytorchOptimizerDict(sd)) ({ stateDict: sd, renames } = optimizerFromPytorch(sd as any));
    let validated: ReturnType<typeof validateStateDict>;
    try {
      validated = this._validate(sd);
    } catch (e) {
      throw renames ? inLoadedNames(e, renames) : e;
    }
    const { paramGroups, state } = validated;
    // Commit: nothing below can fail. The old state tensors are not disposed: a state dict
    // taken earlier may still refer to them (as in PyTorch); the GC safety net frees them.
    this.state = state;
    this.paramGroups = paramGroups as ParamGroup<O>[];
    for (const h of this._loadPostHooks.values()) h(this);
  }

  /** `validateStateDict` against this optimizer. */
  private _validate(stateDict: OptimizerStateDict): ReturnType<typeof validateStateDict> {
    return validateStateDict(stateDict, {
      name: this.name,
      paramGroups: this.paramGroups,
      defaults: this.defaults,
      declared: this._declared,
      checkGroup: (g) => this._checkGroup(g as ParamGroup<O>),
      stateSpec: (p, g) => this._stateSpec(p, g as ParamGroup<O>),
      checkLoadedState: (p, st, where, g) => this._checkLoadedState(p, st, where, g as ParamGroup<O>),
    });
  }

  /**
   * Every state entry this optimizer may write for parameter `p` of `group` (with `group`'s
   * hyperparameters: RMSprop writes `gradAvg` when centered, ...): the spec's, by default.
   * `loadStateDict` refuses a key not listed, a value of the wrong kind, shape or dtype,
   * and a non-empty state that lacks a required entry, naming the key. `null` (without a
   * spec) loads any entry, copying tensors and reading `step`-like scalars.
   */
  protected _stateSpec(p: Tensor, group: ParamGroup<O>): StateSpec | null {
    return this._spec ? this._spec.state(group, p) : null;
  }

  /**
   * Invariants between the entries of one loaded state (LBFGS: its history lists have one
   * length), with the group as it will be after the load. Throws to refuse the load. The
   * default checks the scalars of undeclared state, then the spec's invariants.
   */
  protected _checkLoadedState(_p: Tensor, st: OptimizerState, where: string, group: ParamGroup<O>): void {
    checkScalarState(st, where);
    this._spec?.checkLoadedState?.(st, where, group);
  }
}

/** The layout `stateDict` options ask for, refusing an unknown one. */
export function checkLayout(options: unknown): 'stepwise' | 'pytorch' {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`stateDict options must be an object, got ${typeName(options)}`);
  }
  const layout = (options as StateDictOptions).layout ?? 'stepwise';
  if (layout !== 'stepwise' && layout !== 'pytorch') {
    throw new ValueError(`stateDict: layout must be 'stepwise' or 'pytorch', got ${String(layout)}`);
  }
  return layout;
}
