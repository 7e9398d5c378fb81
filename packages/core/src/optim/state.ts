/**
 * Per-parameter optimizer state: its types, the state spec an optimizer declares (one
 * entry per key it may write: what `loadStateDict` accepts, and how the entry is created
 * on the parameter's first step), the builders optimizers declare entries with, and the
 * allocation of state tensors.
 */
import { keep } from '../engine.js';
import { Tensor } from '../tensor.js';
import type { ParamGroup } from './paramGroups.js';

/**
 * Per-parameter state. Keys are PyTorch's in camelCase (`step`, `expAvg`, ...). Unlike
 * PyTorch, scalar entries (`step`, `eta`, `mu`, `muProduct`) are plain JS numbers: they
 * live on the host, where the step's scalars are computed, so no read-back is needed.
 */
export type OptimizerState = Record<string, any>;

/** The PyTorch-shaped state dict: parameters are referred to by their index across groups. */
export interface OptimizerStateDict {
  /** Per-parameter state, keyed by the parameter's index. */
  state: Record<string, OptimizerState>;
  /** The param groups, with `params` as indices. */
  paramGroups: Record<string, any>[];
}

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
  /**
   * The entry's value on the parameter's first step (`initState` sets it where the state
   * has none, or null). Without it the update itself writes the entry.
   */
  readonly init?: (p: Tensor, group: ParamGroup) => unknown;
}

/** Every state entry an optimizer may write for one parameter, by key, in the order it creates them. */
export type StateSpec = Readonly<Record<string, StateEntrySpec>>;

/** A zero-filled state tensor shaped like `p` (PyTorch's `torch.zeros_like(p)`), or of `shape`; kept out of any `tidy` scope. */
export function zerosState(p: Tensor, shape: readonly number[] = p.shape): Tensor {
  return keep(Tensor.empty(shape, p.dtype, p.backend));
}

/** A state tensor shaped like `p`, filled with `value` (PyTorch's `torch.full_like`). */
export function fullState(p: Tensor, value: number): Tensor {
  const t = zerosState(p);
  if (value !== 0) t.fill_(value);
  return t;
}

/** A step counter (`step`): 0 before the first step, written on every step. */
export const count: StateEntrySpec = { kind: 'count', required: true, init: () => 0 };

const zerosEntry: StateEntrySpec = { kind: 'tensor', required: true, init: (p) => zerosState(p) };
const notWritten: StateEntrySpec = { kind: 'tensor', required: false };

/**
 * A tensor like the parameter (or of `shape`), zeros before the first step, written on
 * every step. `when` false: this configuration does not write it (amsgrad off), and a
 * loaded one is kept as it is.
 */
export function zeros(options: { when?: boolean; shape?: readonly number[] } = {}): StateEntrySpec {
  const { when = true, shape } = options;
  if (!when) return notWritten;
  if (shape === undefined) return zerosEntry;
  return { kind: 'tensor', shape, required: true, init: (p) => zerosState(p, shape) };
}

/** A tensor like the parameter, filled with `value(group)` before the first step, written on every step. */
export function full(value: (group: ParamGroup) => number): StateEntrySpec {
  return { kind: 'tensor', required: true, init: (p, g) => fullState(p, value(g)) };
}

/** A finite host number, `init(group)` before the first step, written on every step. */
export function scalar(init: (group: ParamGroup) => number): StateEntrySpec {
  return { kind: 'number', required: true, init: (_p, g) => init(g) };
}

/** An entry to create on a parameter's first step: its key and its `init`. */
export type StateInit = readonly [key: string, init: NonNullable<StateEntrySpec['init']>];

/** The entries of `spec` (null: none) that have an `init`, in the spec's order. */
export function stateInits(spec: StateSpec | null): StateInit[] {
  const out: StateInit[] = [];
  if (spec !== null)
    for (const [k, e] of Object.entries(spec)) if (e.init !== undefined) out.push([k, e.init]);
  return out;
}

/** Creates, in the spec's order, every entry of `spec` that has an `init` and that `st` lacks (or holds null). */
export function initState(st: OptimizerState, spec: StateSpec | null, p: Tensor, group: ParamGroup): void {
  for (const [k, init] of stateInits(spec)) if (st[k] == null) st[k] = init(p, group);
}

/** The parameters of a group that have a gradient, with their state (created empty on first sight). */
export function withGrads(
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
