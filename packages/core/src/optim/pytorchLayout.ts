/**
 * PyTorch's layout of an optimizer's state dict, both ways (core README, "PyTorch files").
 *
 * stepwise's layout is PyTorch's with camelCase names and host numbers for scalar state:
 * `{ state: { '0': { step: 5, expAvg } }, paramGroups: [{ params: [0], weightDecay, ... }] }`.
 * PyTorch's (what `optimizer.state_dict()` returns, and `torch.load` gives back) is
 * `{ state: { 0: { step: tensor(5.), exp_avg } }, param_groups: [{ weight_decay, ...,
 * foreach: None, params: [0] }] }`. Every name crosses by the same rule (snake_case ↔
 * camelCase: `exp_avg_sq` ↔ `expAvgSq`, `initial_lr` ↔ `initialLr`; LBFGS's `H_diag` ↔
 * `HDiag`), so an entry PyTorch adds in a later version still crosses.
 *
 * Writing (`optimizer.stateDict({ layout: 'pytorch' })`) follows PyTorch 1.13's
 * `state_dict()` for each optimizer (its spec's `pytorch` table): its group keys in its
 * order, with the values of the keys stepwise has no option for (`foreach: None`,
 * `capturable`, `differentiable`, `fused`), then keys the groups carry besides
 * (`initial_lr` of a scheduler, ...), and `params` last; an option PyTorch 1.13 lacks is
 * written only where it differs from its default (NAdam's `maximize`, Adam's
 * `decoupled_weight_decay`: later PyTorch reads them, 1.13 ignores them). State keys are
 * ints (a `Map`, so the .pt writer emits an int-keyed dict), and the scalars PyTorch keeps
 * as 0-dim tensors are 0-dim tensors again: `step` float32 (where 1.13 keeps an int —
 * Adadelta, RMSprop, Rprop, SparseAdam — an int), ASGD's `eta`/`mu` and NAdam's
 * `mu_product` float32, LBFGS's `H_diag`, `ro` and `al` in the parameter's dtype.
 *
 * Reading (`loadStateDict` of a dict with `param_groups`): the same renames the other
 * way; PyTorch-only group keys (`foreach`, `capturable`, `differentiable`, `fused`) are
 * dropped; 0-dim tensors become numbers. Validation is then stepwise's own (every entry
 * against the optimizer's spec), and its messages name the keys as the loaded dict has
 * them (`param_groups[0].weight_decay`, `state[3].exp_avg`).
 */

import { keep } from '../engine.js';
import { ValueError } from '../errors.js';
import { fromHost } from '../ops/creation.js';
import { Tensor } from '../tensor.js';
import { isForbiddenKey } from './paramGroups.js';
import type { OptimizerState, OptimizerStateDict } from './state.js';
import { typeName } from './validate.js';

/** Which layout `stateDict` gives: stepwise's (camelCase, the default) or PyTorch's. */
export type StateDictLayout = 'stepwise' | 'pytorch';

/** The options of `stateDict`. */
export interface StateDictOptions {
  /** `'pytorch'`: PyTorch's layout, for `torch.save(sd, { format: 'pt' })` and PyTorch's `load_state_dict`. */
  readonly layout?: StateDictLayout;
}

/** An optimizer's state dict in PyTorch's layout (what `torch.save(..., { format: 'pt' })` writes). */
export interface PytorchOptimizerStateDict {
  /** Per parameter index (int keys): its state, PyTorch's names; scalars as 0-dim tensors where PyTorch keeps them so. */
  state: Map<number, Record<string, unknown>>;
  /** The param groups, PyTorch's names (`weight_decay`, ...), `params` as parameter indices. */
  param_groups: Record<string, unknown>[];
}

/**
 * How PyTorch writes one optimizer's state dict: declared by its spec (`spec.pytorch`).
 */
export interface PytorchOptimizerLayout {
  /**
   * The first PyTorch version that has the optimizer ('1.13' for those 1.13 has;
   * Adafactor '2.5', Muon '2.9'): the keys below are that version's.
   */
  readonly since: string;
  /**
   * PyTorch's group keys (before `params`), in its order: an option's snake_case name, or
   * `[name, value]` for a key stepwise has no option for (`['foreach', null]`).
   */
  readonly groupKeys: readonly (string | readonly [string, unknown])[];
  /**
   * State entries PyTorch keeps as 0-dim tensors (arrays: one per item, null kept), with
   * their dtype — `'param'`: the parameter's. Default `{ step: 'float32' }`.
   */
  readonly tensorState?: Readonly<Record<string, 'float32' | 'param'>>;
  /**
   * Entries PyTorch writes in every state it keeps, with the value where stepwise has none
   * (SGD's `momentum_buffer`: None without momentum).
   */
  readonly stateDefaults?: Readonly<Record<string, unknown>>;
}

/** Group keys of PyTorch's that choose an implementation (not the update): dropped on load. */
const implementationKeys = new Set(['foreach', 'capturable', 'differentiable', 'fused']);

/** stepwise names whose PyTorch spelling does not follow the rule. */
const toPytorchName: Readonly<Record<string, string>> = { HDiag: 'H_diag', paramGroups: 'param_groups' };
const fromPytorchName: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(toPytorchName).map(([k, v]) => [v, k]),
);

/**
 * A stepwise name in PyTorch's spelling: `expAvgSq` → `exp_avg_sq`, `_lastLr` →
 * `_last_lr`, `useBeta1` → `use_beta1`; names PyTorch spells with capitals (`T_max`,
 * `H_diag`) keep them.
 */
export function snakeCase(name: string): string {
  const special = toPytorchName[name];
  if (special !== undefined) return special;
  if (/^[A-Z]_/.test(name)) return name;
  return name.replace(/(?<=[a-z0-9])([A-Z])/g, (c) => `_${c.toLowerCase()}`);
}

/** A PyTorch name in stepwise's spelling: `exp_avg_sq` → `expAvgSq`, `_last_lr` → `_lastLr`. */
export function camelCase(name: string): string {
  const special = fromPytorchName[name];
  if (special !== undefined) return special;
  if (/^[A-Z]_/.test(name)) return name;
  return name.replace(/(?<=[a-z0-9])_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** A plain object (a loaded dict): not an array, a tensor, a Map. */
function isDict(v: unknown): v is Record<string, unknown> {
  return (
    v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Tensor) && !(v instanceof Map)
  );
}

/** Whether an optimizer state dict is in PyTorch's layout (`param_groups`), refusing a mix of both. */
export function isPytorchOptimizerDict(sd: unknown): boolean {
  if (sd === null || typeof sd !== 'object') return false;
  const pt = Object.hasOwn(sd, 'param_groups');
  if (pt && Object.hasOwn(sd, 'paramGroups')) {
    throw new ValueError(
      "optimizer state dict has both 'param_groups' (PyTorch's layout) and 'paramGroups' (stepwise's): give one layout",
    );
  }
  return pt;
}

/**
 * The host values of the 0-dim tensors `optimizerToPytorch` made from host numbers, so that
 * loading such a dict back needs no read (a backend without synchronous reads, webgpu,
 * could not read them).
 */
const hostValues = new WeakMap<Tensor, number>();

/**
 * The value of a 0-dim (1-element) tensor PyTorch keeps as scalar state, read on the host.
 * `where` names it for the message of a backend that cannot read synchronously.
 */
export function scalarOf(t: Tensor, where: string): number {
  if (t.isDisposed) throw new ValueError(`loaded state dict: ${where} is a disposed tensor`);
  const known = hostValues.get(t);
  if (known !== undefined) return known;
  if (t.numel() !== 1) {
    throw new ValueError(
      `loaded state dict: ${where} must be a number or a 1-element tensor, got a tensor of shape [${t.shape.join(', ')}]`,
    );
  }
  if (!t.backend.syncReads) {
    throw new ValueError(
      `loaded state dict: ${where} is a 0-dim tensor on '${t.backend.name}', which cannot be read synchronously; load the checkpoint onto a CPU backend (torch.load(bytes, { backend: 'cpu-js' })) — loadStateDict moves the state to the parameters' backend`,
    );
  }
  return t.item();
}

/** State entries stepwise keeps as host numbers (or arrays of them): their PyTorch 0-dim tensors are read. */
const hostScalars = new Set([
  'step',
  'eta',
  'mu',
  'muProduct',
  'HDiag',
  't',
  'funcEvals',
  'nIter',
  'prevLoss',
]);
const hostScalarLists = new Set(['ro', 'al']);

/** Renames of keys made by a conversion, for messages: `paramGroups[0].weightDecay` is reported as the dict had it. */
export interface Renames {
  /** stepwise group key → the loaded dict's. */
  readonly group: Map<string, string>;
  /** stepwise state key → the loaded dict's. */
  readonly state: Map<string, string>;
}

/**
 * A PyTorch-layout optimizer state dict in stepwise's layout (nothing is validated but
 * the layout itself: `validateStateDict` checks the rest), and the renames it made.
 * Creates no tensor: scalar tensors are read into numbers, state tensors are passed on.
 */
export function optimizerFromPytorch(sd: Record<string, unknown>): {
  stateDict: OptimizerStateDict;
  renames: Renames;
} {
  const renames: Renames = { group: new Map(), state: new Map() };
  const groups = sd.param_groups;
  if (!Array.isArray(groups)) {
    throw new ValueError(
      `optimizer state dict: 'param_groups' must be a list of dicts, got ${typeName(groups)}`,
    );
  }
  let savedState = sd.state;
  if (savedState instanceof Map)
    savedState = Object.fromEntries([...savedState].map(([k, v]) => [String(k), v]));
  if (!isDict(savedState)) {
    throw new ValueError(`optimizer state dict: 'state' must be a dict, got ${typeName(savedState)}`);
  }
  for (const k of Object.keys(sd)) {
    if (k !== 'state' && k !== 'param_groups') {
      throw new ValueError(
        `optimizer state dict: unexpected key '${k}' (PyTorch's layout has 'state' and 'param_groups')`,
      );
    }
  }
  const paramGroups = groups.map((g, gi) => {
    if (!isDict(g))
      throw new ValueError(`optimizer state dict: param_groups[${gi}] must be a dict, got ${typeName(g)}`);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(g)) {
      if (isForbiddenKey(k))
        throw new ValueError(`optimizer state dict: param_groups[${gi}] key '${k}' is not allowed`);
      if (implementationKeys.has(k)) continue;
      const name = k === 'params' ? k : camelCase(k);
      if (Object.hasOwn(out, name)) {
        throw new ValueError(
          `optimizer state dict: param_groups[${gi}] has both '${k}' and '${renames.group.get(name) ?? name}', the same key in PyTorch's and stepwise's spelling`,
        );
      }
      if (name !== k) renames.group.set(name, k);
      out[name] = v;
    }
    return out;
  });
  const state: Record<string, OptimizerState> = {};
  for (const [key, st] of Object.entries(savedState)) {
    if (isForbiddenKey(key)) throw new ValueError(`optimizer state dict: state key '${key}' is not allowed`);
    if (!isDict(st))
      throw new ValueError(`optimizer state dict: state[${key}] must be a dict, got ${typeName(st)}`);
    const out: OptimizerState = {};
    for (const [k, v] of Object.entries(st)) {
      if (isForbiddenKey(k))
        throw new ValueError(`optimizer state dict: state[${key}] key '${k}' is not allowed`);
      const name = camelCase(k);
      if (Object.hasOwn(out, name)) {
        throw new ValueError(
          `optimizer state dict: state[${key}] has both '${k}' and '${renames.state.get(name) ?? name}', the same key in PyTorch's and stepwise's spelling`,
        );
      }
      if (name !== k) renames.state.set(name, k);
      const where = `state[${key}].${k}`;
      if (v instanceof Tensor && hostScalars.has(name)) out[name] = scalarOf(v, where);
      else if (Array.isArray(v) && hostScalarLists.has(name)) {
        out[name] = v.map((x, i) => (x instanceof Tensor ? scalarOf(x, `${where}[${i}]`) : x));
      } else out[name] = v;
    }
    state[key] = out;
  }
  return { stateDict: { state, paramGroups }, renames };
}

/**
 * `e`'s message with the paths of renamed keys as the loaded dict spells them
 * (`paramGroups[0].weightDecay` → `param_groups[0].weight_decay`, `state[3].expAvg` →
 * `state[3].exp_avg`). Returns `e`.
 */
export function inLoadedNames(e: unknown, renames: Renames): unknown {
  if (!(e instanceof Error)) return e;
  e.message = e.message
    .replace(
      /\bparamGroups\[(\d+)\](?:\.([A-Za-z_$][\w$]*))?/g,
      (_, i: string, k?: string) =>
        `param_groups[${i}]${k === undefined ? '' : `.${renames.group.get(k) ?? k}`}`,
    )
    .replace(
      /\bstate\[([^\]]+)\]\.([A-Za-z_$][\w$]*)/g,
      (_, i: string, k: string) => `state[${i}].${renames.state.get(k) ?? k}`,
    );
  return e;
}

/** What `optimizerToPytorch` needs of the optimizer. */
export interface PytorchSource {
  readonly name: string;
  /** The class's defaults (an option PyTorch's table lacks is written only where a group differs from them). */
  readonly defaults: Readonly<Record<string, unknown>>;
  readonly layout: PytorchOptimizerLayout | undefined;
  /** The parameters by state-dict index. */
  readonly params: readonly Tensor[];
}

const sameValue = (a: unknown, b: unknown): boolean =>
  Array.isArray(a) && Array.isArray(b)
    ? a.length === b.length && a.every((x, i) => sameValue(x, b[i]))
    : Object.is(a, b);

const copyValue = (v: unknown): unknown => (Array.isArray(v) ? [...v] : v);

/**
 * A stepwise-layout state dict (from `stateDict()`) in PyTorch's layout, as PyTorch 1.13's
 * `state_dict()` of the same optimizer writes it. New 0-dim tensors are made for the
 * scalars PyTorch keeps as tensors (kept, on the parameter's backend); every other tensor
 * is the live state tensor, as in stepwise's layout.
 */
export function optimizerToPytorch(sd: OptimizerStateDict, src: PytorchSource): PytorchOptimizerStateDict {
  const layout = src.layout;
  const param_groups = sd.paramGroups.map((g) => {
    const out: Record<string, unknown> = {};
    const written = new Set<string>(['params']);
    for (const entry of layout?.groupKeys ?? []) {
      if (typeof entry === 'string') {
        const name = camelCase(entry);
        written.add(name);
        if (Object.hasOwn(g, name)) out[entry] = copyValue(g[name]);
      } else {
        out[entry[0]] = entry[1];
      }
    }
    for (const [k, v] of Object.entries(g)) {
      if (written.has(k)) continue;
      // An option PyTorch's table lacks (a later version's, or stepwise's own) only where it matters.
      if (layout && Object.hasOwn(src.defaults, k) && sameValue(v, src.defaults[k])) continue;
      out[snakeCase(k)] = copyValue(v);
    }
    out.params = [...(g.params as number[])];
    return out;
  });
  const tensorState = layout?.tensorState ?? { step: 'float32' };
  const state = new Map<number, Record<string, unknown>>();
  for (const [key, st] of Object.entries(sd.state)) {
    const index = Number(key);
    const p = src.params[index];
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(st)) {
      const as = tensorState[k];
      const scalar = (x: unknown) => {
        if (typeof x !== 'number' || p === undefined) return x;
        const dtype = as === 'param' ? p.dtype : 'float32';
        const t = keep(fromHost([x], [], { dtype, backend: p.backend }));
        hostValues.set(t, dtype === 'float32' ? Math.fround(x) : x);
        return t;
      };
      out[snakeCase(k)] = as === undefined ? v : Array.isArray(v) ? v.map(scalar) : scalar(v);
    }
    for (const [k, v] of Object.entries(layout?.stateDefaults ?? {})) {
      if (!Object.hasOwn(st, k)) out[snakeCase(k)] = v;
    }
    state.set(index, out);
  }
  return { state, param_groups };
}
