/**
 * `torch.optim.Optimizer`: the base class holding every bit of param-group and state
 * bookkeeping, so that each algorithm file holds only its update.
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
import { loopBoundary, withoutBoundaries } from '../loopMemory.js';
import { Tensor } from '../tensor.js';

/** Marks a hyperparameter that has no default (PyTorch's `torch.optim.optimizer.required`). */
export const required: unique symbol = Symbol('required');

/** One parameter group: its parameters plus every hyperparameter, filled from the defaults. */
export interface ParamGroup {
  params: Tensor[];
  /** Names given with the params (`[name, tensor]` pairs), as PyTorch's `param_names`. */
  paramNames?: string[];
  [hyperparameter: string]: any;
}

/** What the user passes for one group: `params` may be any iterable, a lone tensor, or `[name, tensor]` pairs. */
export interface ParamGroupInput {
  params: Iterable<Tensor | readonly [string, Tensor]> | Tensor;
  [hyperparameter: string]: any;
}

/** Anything an optimizer accepts as its first argument. */
export type Params = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | Iterable<ParamGroupInput>;

/**
 * Per-parameter state. Keys are PyTorch's in camelCase (`step`, `expAvg`, ...). Unlike
 * PyTorch, scalar entries (`step`, `eta`, `mu`, `muProduct`) are plain JS numbers: they
 * live on the host, where the step's scalars are computed, so no read-back is needed.
 */
export type OptimizerState = Record<string, any>;

/**
 * One entry of a parameter's state, as the optimizer itself writes it; `loadStateDict`
 * checks a loaded value against it.
 * - `count`: a non-negative integer host number (`step`, LBFGS's counters); a 1-element
 *   tensor is read into a number.
 * - `number`: a finite host number (`eta`, `mu`, `muProduct`, ...); `anyNumber` also allows
 *   ±Infinity and NaN (a loss the optimizer only records).
 * - `tensor`: a floating-point tensor of the parameter's shape, or of `shape`; it is copied,
 *   cast to the parameter's dtype and moved to its backend.
 * - `tensors`: an array of such tensors; `numbers`: an array of finite numbers (`null`
 *   entries allowed with `nullItems`).
 */
export interface StateEntrySpec {
  readonly kind: 'count' | 'number' | 'anyNumber' | 'tensor' | 'tensors' | 'numbers';
  readonly shape?: readonly number[];
  /**
   * The optimizer writes this entry on every step of this parameter (for its group's
   * configuration), so a non-empty loaded state must have it. A function decides from the
   * loaded state (LBFGS: once it has iterated).
   */
  readonly required?: boolean | ((st: OptimizerState) => boolean);
  /** `null` is a value the optimizer itself writes here (PyTorch's None). */
  readonly nullable?: boolean;
  /** `numbers`: entries may be `null`. */
  readonly nullItems?: boolean;
}

/** Every state entry an optimizer may write for one parameter, by key. */
export type StateSpec = Readonly<Record<string, StateEntrySpec>>;

/** The PyTorch-shaped state dict: parameters are referred to by their index across groups. */
export interface OptimizerStateDict {
  state: Record<string, OptimizerState>;
  paramGroups: Record<string, any>[];
}

/** A handle returned by every `register...Hook`; `remove()` unregisters the hook. */
export interface RemovableHandle {
  remove(): void;
}

/** Called before `step`; may return replacement arguments (`[closure]`). */
// biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
export type StepPreHook = (optimizer: Optimizer, args: unknown[]) => unknown[] | undefined | void;
/** Called after `step`. */
export type StepPostHook = (optimizer: Optimizer, args: unknown[]) => void;
export type StateDictPreHook = (optimizer: Optimizer) => void;
/** May return a replacement state dict. */
export type StateDictPostHook = (
  optimizer: Optimizer,
  stateDict: OptimizerStateDict,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
) => OptimizerStateDict | undefined | void;
/** May return a replacement state dict to load. */
export type LoadStateDictPreHook = (
  optimizer: Optimizer,
  stateDict: OptimizerStateDict,
  // biome-ignore lint/suspicious/noConfusingVoidType: a hook may return nothing
) => OptimizerStateDict | undefined | void;
export type LoadStateDictPostHook = (optimizer: Optimizer) => void;

class HookList<H> {
  private readonly hooks = new Map<number, H>();
  private next = 0;
  add(h: H, prepend = false): RemovableHandle {
    const id = this.next++;
    if (prepend) {
      const rest = [...this.hooks];
      this.hooks.clear();
      this.hooks.set(id, h);
      for (const [k, v] of rest) this.hooks.set(k, v);
    } else {
      this.hooks.set(id, h);
    }
    return { remove: () => void this.hooks.delete(id) };
  }
  values(): H[] {
    return [...this.hooks.values()];
  }
}

const globalPreHooks = new HookList<StepPreHook>();
const globalPostHooks = new HookList<StepPostHook>();

/** `torch.optim.optimizer.register_optimizer_step_pre_hook`: runs before every optimizer's step. */
export function registerOptimizerStepPreHook(hook: StepPreHook): RemovableHandle {
  return globalPreHooks.add(hook);
}

/** `torch.optim.optimizer.register_optimizer_step_post_hook`: runs after every optimizer's step. */
export function registerOptimizerStepPostHook(hook: StepPostHook): RemovableHandle {
  return globalPostHooks.add(hook);
}

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** Copies own enumerable keys, refusing the keys that could reach a prototype. */
export function safeAssign(target: Record<string, any>, src: object, what: string): Record<string, any> {
  for (const k of Object.keys(src)) {
    if (forbiddenKeys.has(k)) throw new ValueError(`${what}: key '${k}' is not allowed`);
    target[k] = (src as Record<string, any>)[k];
  }
  return target;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'nothing';
  if (v instanceof Tensor) return 'Tensor';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'Object';
  return typeof v;
}

function isIterable(v: unknown): v is Iterable<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as any)[Symbol.iterator] === 'function';
}

function isNamedParam(v: unknown): v is readonly [string, Tensor] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string';
}

function isPlainGroup(v: unknown): v is ParamGroupInput {
  return v !== null && typeof v === 'object' && !(v instanceof Tensor) && !Array.isArray(v) && !isIterable(v);
}

/** The value of a (number or one-element Tensor) learning rate, on the host. */
export function scalarValue(v: number | Tensor, name = 'lr'): number {
  if (typeof v === 'number') return v;
  if (v instanceof Tensor) {
    if (v.numel() !== 1)
      throw new ValueError(`Tensor ${name} must be 1-element, got shape [${v.shape.join(', ')}]`);
    if (!v.backend.syncReads) {
      throw new ValueError(
        `a Tensor ${name} is read on the host each step, which the '${v.backend.name}' backend cannot do synchronously; pass a number (or a Tensor on cpu-js/wasm-simd)`,
      );
    }
    return v.item();
  }
  throw new TypeError(`${name} must be a number or a 1-element Tensor, got ${typeName(v)}`);
}

/**
 * `torch.optim.Optimizer`. Subclasses pass their defaults and implement `_update()` (the
 * update of every group, run with grad recording off).
 *
 * `params` may be any iterable — an array, a generator, or a `Set`: PyTorch refuses sets
 * because Python's are unordered, but a JS `Set` iterates in insertion order, so the order
 * of the state dict is as stable as an array's and stepwise accepts it. Named parameters
 * (`[name, tensor]` pairs, e.g. from `module.namedParameters()`) keep their names in the
 * state dict, and `loadStateDict` checks them when both sides have names — so loading a
 * checkpoint into a model whose parameter order changed is an error, not silently
 * misplaced state.
 */
export abstract class Optimizer {
  readonly defaults: Record<string, any>;
  paramGroups: ParamGroup[] = [];
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

  /**
   * `defaults`: every hyperparameter with its value for groups that do not set it (the
   * options merged into the class's defaults); `declared`: the class's own defaults, whose
   * kinds every group must keep (default: `defaults`).
   */
  constructor(params: Params, defaults: Record<string, any>, declared: Record<string, unknown> = defaults) {
    this.defaults = defaults;
    this._declared = declared;
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

  /**
   * `add_param_group`: validates a group as PyTorch does (in its order) and appends it.
   * Hyperparameters it lacks are filled from `defaults`. Nothing changes if it throws.
   */
  addParamGroup(paramGroup: ParamGroupInput): void {
    if (!isPlainGroup(paramGroup)) {
      throw new TypeError(`param_group must be a dict, but got ${typeName(paramGroup)}`);
    }
    const group = safeAssign(Object.create(null), paramGroup, 'param group') as ParamGroup;
    const raw = paramGroup.params;
    let list: unknown[];
    if (raw instanceof Tensor) list = [raw];
    else if (isIterable(raw)) list = [...raw];
    else
      throw new TypeError(
        `param group 'params' must be a Tensor or an iterable of Tensors, got ${typeName(raw)}`,
      );

    const tensors: unknown[] = [];
    const names: string[] = [];
    for (const p of list) {
      if (isNamedParam(p)) {
        names.push(p[0]);
        tensors.push(p[1]);
      } else tensors.push(p);
    }
    if (names.length !== 0 && names.length !== tensors.length) {
      throw new ValueError('all optimizer params should be with/without names. Some param names are missing');
    }
    tensors.forEach((p, i) => {
      if (!(p instanceof Tensor)) {
        throw new TypeError(`optimizer can only optimize Tensors, but one of the params is ${typeName(p)}`);
      }
      if (!p.isLeaf) throw new ValueError("can't optimize a non-leaf Tensor");
      checkFloating(this.name, p, `parameter ${i} of the group`);
    });
    group.params = tensors as Tensor[];
    if (names.length) group.paramNames = names;
    else if (paramGroup.paramNames !== undefined) {
      const pn = paramGroup.paramNames;
      if (!Array.isArray(pn) || pn.length !== tensors.length || pn.some((n) => typeof n !== 'string')) {
        throw new ValueError('paramNames must be an array of one string per parameter');
      }
      group.paramNames = [...pn];
    }
    for (const [name, def] of Object.entries(this.defaults)) {
      if (def === required && !(name in group)) {
        throw new ValueError(
          `parameter group didn't specify a value of required optimization parameter ${name}`,
        );
      }
      if (!(name in group)) group[name] = Array.isArray(def) ? [...def] : def;
    }
    for (const k of Object.keys(group)) {
      if (k !== 'params' && k !== 'paramNames')
        checkKind(k, group[k], undefined, this._declared[k], 'param group');
    }
    this._checkGroup(group);
    if (new Set(group.params).size !== group.params.length) {
      console.warn(
        'optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information',
      );
    }
    const seen = new Set<Tensor>();
    for (const g of this.paramGroups) {
      for (const p of g.params) seen.add(p);
      if ((group.paramNames !== undefined) !== (g.paramNames !== undefined)) {
        throw new ValueError(
          `all optimizer param groups should be with/without names. cannot add param group ${group.paramNames ? 'with names' : 'without names'} to the optimizer`,
        );
      }
    }
    if (group.params.some((p) => seen.has(p))) {
      throw new ValueError('some parameters appear in more than one parameter group');
    }
    // The optimizer owns its parameters: no loop boundary releases them.
    for (const p of group.params) keep(p);
    // A plain object (not null-prototype) for users; every key came through safeAssign.
    this.paramGroups.push(Object.assign({}, group));
  }

  /**
   * Validates a group's hyperparameters (PyTorch validates only constructor arguments;
   * stepwise also validates groups, so a bad `lr` in a group fails where it is given).
   * Subclasses override it; the default accepts anything.
   */
  protected _checkGroup(_group: ParamGroup): void {}

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
   */
  stateDict(): OptimizerStateDict {
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
   * indices and tensor shapes. Saved hyperparameters win, the parameters stay; keys the
   * dict lacks (older dicts) are filled from the defaults. State tensors are copied, cast
   * to the parameter's dtype and moved to its backend (`step` and other scalars stay numbers;
   * a 0-dim tensor `step` is accepted).
   */
  loadStateDict(stateDict: OptimizerStateDict): void {
    for (const h of this._loadPreHooks.values()) {
      const r = h(this, stateDict);
      if (r !== undefined) stateDict = r;
    }
    if (stateDict === null || typeof stateDict !== 'object') {
      throw new TypeError(`optimizer state dict must be an object, got ${typeName(stateDict)}`);
    }
    const savedGroups = (stateDict as any).paramGroups;
    const savedState = (stateDict as any).state;
    if (!Array.isArray(savedGroups)) throw new ValueError("optimizer state dict lacks a 'paramGroups' array");
    if (savedState === null || typeof savedState !== 'object' || Array.isArray(savedState)) {
      throw new ValueError("optimizer state dict lacks a 'state' object");
    }
    if (savedGroups.length !== this.paramGroups.length) {
      throw new ValueError(
        `loaded state dict has a different number of parameter groups (${savedGroups.length}, optimizer has ${this.paramGroups.length})`,
      );
    }
    const idMap = new Map<string, Tensor>();
    const newGroups: ParamGroup[] = [];
    const groupOf = new Map<Tensor, ParamGroup>();
    savedGroups.forEach((sg: unknown, gi: number) => {
      const group = this.paramGroups[gi]!;
      if (sg === null || typeof sg !== 'object' || Array.isArray(sg)) {
        throw new ValueError(`loaded state dict: paramGroups[${gi}] must be an object, got ${typeName(sg)}`);
      }
      const ids = (sg as any).params;
      if (!Array.isArray(ids) || ids.length !== group.params.length) {
        throw new ValueError(
          "loaded state dict contains a parameter group that doesn't match the size of optimizer's group" +
            ` (group ${gi}: ${Array.isArray(ids) ? ids.length : typeName(ids)} saved, ${group.params.length} in the optimizer)`,
        );
      }
      const savedNames = (sg as any).paramNames;
      if (savedNames !== undefined && group.paramNames !== undefined) {
        if (!Array.isArray(savedNames) || savedNames.length !== group.paramNames.length) {
          throw new ValueError(
            `loaded state dict: paramGroups[${gi}].paramNames does not match the group's size`,
          );
        }
        for (let i = 0; i < savedNames.length; i++) {
          if (savedNames[i] !== group.paramNames[i]) {
            throw new ValueError(
              `loaded state dict: parameter ${i} of group ${gi} is named '${String(savedNames[i])}', but the optimizer's is '${group.paramNames[i]}' (parameter order or names changed)`,
            );
          }
        }
      }
      ids.forEach((id: unknown, i: number) => {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) {
          throw new ValueError(
            `loaded state dict: paramGroups[${gi}].params[${i}] must be an index, got ${String(id)}`,
          );
        }
        if (idMap.has(String(id)))
          throw new ValueError(`loaded state dict: parameter index ${id} appears twice`);
        idMap.set(String(id), group.params[i]!);
      });
      const ng = safeAssign(Object.create(null), sg, `loaded state dict paramGroups[${gi}]`) as ParamGroup;
      ng.params = group.params;
      if (group.paramNames !== undefined) ng.paramNames = group.paramNames;
      else delete ng.paramNames;
      for (const [k, def] of Object.entries(this.defaults)) {
        if (!(k in ng)) ng[k] = group[k] !== undefined ? group[k] : def;
      }
      for (const k of Object.keys(ng)) {
        if (k !== 'params' && k !== 'paramNames') {
          checkKind(k, ng[k], group[k], this._declared[k], `loaded state dict: paramGroups[${gi}]`);
        }
      }
      // The ranges of the constructor, except the lr's sign: a scheduler may legitimately have
      // stepped it just below 0 (cosine annealing, applied step by step, as PyTorch), and
      // PyTorch loads any lr. Its kind was checked above.
      const lr = ng.lr;
      this._checkGroup(typeof lr === 'number' && lr < 0 ? { ...ng, lr: -lr } : ng);
      const committed = Object.assign({}, ng);
      for (const p of group.params) groupOf.set(p, committed);
      newGroups.push(committed);
    });
    // Build the new state completely before touching the optimizer.
    const created: Tensor[] = [];
    const newState = new Map<Tensor, OptimizerState>();
    try {
      for (const key of Object.keys(savedState)) {
        if (forbiddenKeys.has(key))
          throw new ValueError(`loaded state dict: state key '${key}' is not allowed`);
        const p = idMap.get(key);
        if (!p) {
          throw new ValueError(
            `loaded state dict has state for parameter index ${key}, which no parameter group lists`,
          );
        }
        const st = savedState[key];
        if (st === null || typeof st !== 'object' || Array.isArray(st)) {
          throw new ValueError(`loaded state dict: state[${key}] must be an object, got ${typeName(st)}`);
        }
        const out: OptimizerState = {};
        const spec = this._stateSpec(p, groupOf.get(p)!);
        for (const k of Object.keys(st)) {
          if (forbiddenKeys.has(k))
            throw new ValueError(`loaded state dict: state key '${k}' is not allowed`);
          const where = `state[${key}].${k}`;
          if (spec === null) {
            out[k] = this._castState(p, k, st[k], created, where);
          } else if (!Object.hasOwn(spec, k)) {
            const keys = Object.keys(spec);
            throw new ValueError(
              `loaded state dict: ${where} is not state that ${this.name} keeps (${keys.length ? `it writes ${keys.join(', ')}` : 'it keeps none for this parameter'})`,
            );
          } else {
            out[k] = this._loadEntry(p, spec[k]!, st[k], created, where);
          }
        }
        if (spec !== null && Object.keys(out).length > 0) {
          for (const [k, e] of Object.entries(spec)) {
            const req = typeof e.required === 'function' ? e.required(out) : !!e.required;
            if (req && out[k] === undefined) {
              throw new ValueError(
                `loaded state dict: state[${key}].${k} is missing; ${this.name} writes it on every step of this parameter (the state has ${Object.keys(out).join(', ')})`,
              );
            }
          }
        }
        this._checkLoadedState(p, out, `state[${key}]`, groupOf.get(p)!);
        newState.set(p, out);
      }
    } catch (e) {
      for (const t of created) t.dispose();
      throw e;
    }
    // Commit: nothing below can fail. The old state tensors are not disposed: a state dict
    // taken earlier may still refer to them (as in PyTorch); the GC safety net frees them.
    this.state = newState;
    this.paramGroups = newGroups;
    for (const h of this._loadPostHooks.values()) h(this);
  }

  /** Converts one loaded state value: tensors are copied onto the param's dtype/backend. */
  private _castState(p: Tensor, key: string, v: unknown, created: Tensor[], where: string): unknown {
    if (v instanceof Tensor) {
      if (v.isDisposed) throw new ValueError(`loaded state dict: ${where} is a disposed tensor`);
      if (scalarStateKeys.has(key)) {
        if (v.numel() !== 1)
          throw new ValueError(`loaded state dict: ${where} must be a number or a 1-element tensor`);
        if (!v.backend.syncReads) {
          throw new ValueError(
            `loaded state dict: ${where} is a tensor on '${v.backend.name}'; save it as a number`,
          );
        }
        return v.item();
      }
      let t = v;
      const isFloat = p.dtype === 'float32' || p.dtype === 'float64';
      const own: Tensor[] = [];
      if (isFloat && t.dtype !== p.dtype) own.push((t = t.to(p.dtype)));
      if (t.backend !== p.backend) own.push((t = t.to(p.backend)));
      const copy = own.length ? t : t.clone();
      for (const o of own) if (o !== copy) o.dispose();
      created.push(copy);
      return keep(copy);
    }
    if (Array.isArray(v)) return v.map((x, i) => this._castState(p, key, x, created, `${where}[${i}]`));
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
    throw new ValueError(`loaded state dict: ${where} has an unsupported value of type ${typeName(v)}`);
  }

  /** Converts one loaded value as `e` says, or throws naming `where` and what was expected. */
  private _loadEntry(p: Tensor, e: StateEntrySpec, v: unknown, created: Tensor[], where: string): unknown {
    const fail = (what: string) =>
      new ValueError(
        `loaded state dict: ${where} must be ${what} (as ${this.name} writes it), got ${describe(v)}`,
      );
    if (v === null || v === undefined) {
      if (v === null && e.nullable) return null;
      throw fail(entryWhat(e, p));
    }
    switch (e.kind) {
      case 'count':
      case 'number':
      case 'anyNumber': {
        let n = v;
        if (v instanceof Tensor) {
          if (v.isDisposed) throw new ValueError(`loaded state dict: ${where} is a disposed tensor`);
          if (v.numel() !== 1) throw fail(entryWhat(e, p));
          if (!v.backend.syncReads) {
            throw new ValueError(
              `loaded state dict: ${where} is a tensor on '${v.backend.name}'; save it as a number`,
            );
          }
          n = v.item();
        }
        const ok =
          typeof n === 'number' &&
          (e.kind === 'anyNumber' ||
            (e.kind === 'count' ? Number.isInteger(n) && n >= 0 : Number.isFinite(n)));
        if (!ok) throw fail(entryWhat(e, p));
        return n;
      }
      case 'tensor':
        return this._loadTensor(p, e, v, created, where, () => fail(entryWhat(e, p)));
      case 'tensors':
        if (!Array.isArray(v)) throw fail(entryWhat(e, p));
        return v.map((x, i) =>
          this._loadTensor(p, e, x, created, `${where}[${i}]`, () => fail(entryWhat(e, p))),
        );
      case 'numbers':
        if (!Array.isArray(v)) throw fail(entryWhat(e, p));
        v.forEach((x) => {
          if (!(x === null ? e.nullItems : typeof x === 'number' && Number.isFinite(x)))
            throw fail(entryWhat(e, p));
        });
        return [...v];
    }
  }

  /** A loaded state tensor: floating point, of the declared shape; copied onto the param's dtype and backend. */
  private _loadTensor(
    p: Tensor,
    e: StateEntrySpec,
    v: unknown,
    created: Tensor[],
    where: string,
    fail: () => Error,
  ): Tensor {
    if (!(v instanceof Tensor)) throw fail();
    if (v.isDisposed) throw new ValueError(`loaded state dict: ${where} is a disposed tensor`);
    if (v.dtype !== 'float32' && v.dtype !== 'float64') {
      throw new ValueError(
        `loaded state dict: ${where} has dtype ${v.dtype}; ${this.name} keeps floating point state (its parameter is ${p.dtype})`,
      );
    }
    const shape = e.shape ?? p.shape;
    if (v.shape.length !== shape.length || v.shape.some((d, i) => d !== shape[i])) {
      throw new ValueError(
        `loaded state dict: ${where} has shape [${v.shape.join(', ')}], but ${this.name} writes shape [${shape.join(', ')}] for this parameter (of shape [${p.shape.join(', ')}])`,
      );
    }
    return this._castState(p, '', v, created, where) as Tensor;
  }

  /**
   * Every state entry this optimizer may write for parameter `p` of `group` (with `group`'s
   * hyperparameters: RMSprop writes `gradAvg` when centered, ...). `loadStateDict` refuses a
   * key not listed, a value of the wrong kind, shape or dtype, and a non-empty state that
   * lacks a required entry, naming the key. `null` (the default, for subclasses that do not
   * declare) loads any entry, copying tensors and reading `step`-like scalars.
   */
  protected _stateSpec(_p: Tensor, _group: ParamGroup): StateSpec | null {
    return null;
  }

  /**
   * Invariants between the entries of one loaded state (LBFGS: its history lists have one
   * length), with the group as it will be after the load. Throws to refuse the load. The
   * default checks the scalars of undeclared state.
   */
  protected _checkLoadedState(_p: Tensor, st: OptimizerState, where: string, _group: ParamGroup): void {
    for (const k of scalarStateKeys) {
      const v = st[k];
      if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
        throw new ValueError(`loaded state dict: ${where}.${k} must be a number, got ${typeName(v)}`);
      }
    }
  }
}

/** The parameters of a group that have a gradient, with their state (created empty on first sight). */
export function withGradsOf(
  group: ParamGroup,
  state: Map<Tensor, OptimizerState>,
): { p: Tensor; g: Tensor; st: OptimizerState }[] {
  const out: { p: Tensor; g: Tensor; st: OptimizerState }[] = [];
  for (const p of group.params) {
    const g = p.grad;
    if (g === null) continue;
    let st = state.get(p);
    if (!st) state.set(p, (st = {}));
    out.push({ p, g, st });
  }
  return out;
}

/** State entries that stepwise keeps as host numbers (PyTorch keeps 0-dim tensors). */
const scalarStateKeys = new Set(['step', 'eta', 'mu', 'muProduct']);

/**
 * A hyperparameter keeps the kind the optimizer holds for it (its `current` value, else the
 * declared default `def`): a number (or 1-element Tensor) stays a number and is not NaN, a
 * boolean a boolean, an array an array of as many numbers; `null` only where the declared
 * default is null (Adafactor's eps[0], LBFGS's lineSearchFn, Muon's adjustLrFn). Keys the
 * optimizer does not declare (a scheduler's `initialLr` on a fresh optimizer, user tags)
 * take any value. Ranges are each optimizer's `_checkGroup`.
 */
function checkKind(key: string, v: unknown, current: unknown, def: unknown, where: string): void {
  if (def === required) def = undefined;
  if (current === required) current = undefined;
  const ref = current !== undefined ? current : def;
  if (ref === undefined) return;
  const kind = (x: unknown) =>
    x === null ? 'null' : x instanceof Tensor ? 'number' : Array.isArray(x) ? 'array' : typeof x;
  const allowsNull = ref === null || def === null;
  if (v === null) {
    if (allowsNull) return;
    throw new ValueError(`${where}.${key} is null, but ${typeName(ref)} is expected`);
  }
  if (ref === null) return;
  if (kind(v) !== kind(ref)) {
    throw new ValueError(`${where}.${key} is ${typeName(v)}, but the optimizer holds a ${typeName(ref)}`);
  }
  if (typeof v === 'number' && Number.isNaN(v)) throw new ValueError(`${where}.${key} is NaN`);
  if (Array.isArray(v) && Array.isArray(ref)) {
    if (v.length !== ref.length) {
      throw new ValueError(`${where}.${key} must have ${ref.length} elements, got ${v.length}`);
    }
    const defItems = Array.isArray(def) ? def : [];
    v.forEach((x, i) => {
      if (x === null && (ref[i] === null || defItems[i] === null)) return;
      if (typeof x !== 'number' || Number.isNaN(x)) {
        throw new ValueError(
          `${where}.${key}[${i}] must be a number, got ${x === null ? 'null' : typeName(x)}`,
        );
      }
    });
  }
}

/** Refuses a parameter that is not floating point (see `Optimizer._checkGrads`). */
function checkFloating(optimizer: string, p: Tensor, which: string): void {
  if (p.dtype !== 'float32' && p.dtype !== 'float64') {
    throw new DTypeError(
      `${optimizer} can only optimize floating point parameters, but ${which} has dtype ${p.dtype}: an integer tensor cannot require grad, and a float update cannot be written into it (as in PyTorch)`,
    );
  }
}

/** What a state entry must be, for messages. */
function entryWhat(e: StateEntrySpec, p: Tensor): string {
  const shape = `[${(e.shape ?? p.shape).join(', ')}]`;
  const orNull = e.nullable ? ' or null' : '';
  switch (e.kind) {
    case 'count':
      return `a non-negative integer${orNull}`;
    case 'number':
      return `a finite number${orNull}`;
    case 'anyNumber':
      return `a number${orNull}`;
    case 'tensor':
      return `a floating point tensor of shape ${shape}${orNull}`;
    case 'tensors':
      return `an array of floating point tensors of shape ${shape}${orNull}`;
    case 'numbers':
      return `an array of finite numbers${e.nullItems ? ' (or null)' : ''}${orNull}`;
  }
}

/** A loaded value, briefly, for messages. */
function describe(v: unknown): string {
  if (v instanceof Tensor) return `a ${v.dtype} tensor of shape [${v.shape.join(', ')}]`;
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}...` : v}'`;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeName(v);
}
