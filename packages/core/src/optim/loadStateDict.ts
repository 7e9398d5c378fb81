/**
 * `load_state_dict`'s validation: a loaded state dict is checked completely — group count
 * and sizes (PyTorch's messages), parameter names when both sides have them,
 * hyperparameter kinds and ranges, state indices, and every state entry against the
 * optimizer's state spec (kind, shape, dtype, required entries) — and turned into the new
 * groups and state, before `Optimizer.loadStateDict` changes anything.
 */
import { keep } from '../engine.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { checkKind, isForbiddenKey, type ParamGroup, safeAssign } from './paramGroups.js';
import type { OptimizerState, OptimizerStateDict, StateEntrySpec, StateSpec } from './state.js';
import { typeName } from './validate.js';

/** What the validation needs of the optimizer loading the dict. */
export interface LoadTarget {
  /** The class name, for messages. */
  readonly name: string;
  readonly paramGroups: readonly ParamGroup[];
  readonly defaults: Readonly<Record<string, any>>;
  /** The kinds every group keeps (see `checkKind`). */
  readonly declared: Readonly<Record<string, unknown>>;
  /** The optimizer's range checks of a group. */
  checkGroup(group: ParamGroup): void;
  /** The state entries it may write for `p` of `group`; null accepts any entry. */
  stateSpec(p: Tensor, group: ParamGroup): StateSpec | null;
  /** Invariants between the entries of one loaded state. */
  checkLoadedState(p: Tensor, st: OptimizerState, where: string, group: ParamGroup): void;
}

/**
 * The groups and state `stateDict` loads into `target`, or an error naming what is wrong.
 * Saved hyperparameters win, the parameters stay; keys the dict lacks (older dicts) are
 * filled from the defaults. State tensors are copied, cast to the parameter's dtype and
 * moved to its backend (the copies are disposed again if the dict is refused).
 */
export function validateStateDict(
  stateDict: OptimizerStateDict,
  target: LoadTarget,
): { paramGroups: ParamGroup[]; state: Map<Tensor, OptimizerState> } {
  if (stateDict === null || typeof stateDict !== 'object') {
    throw new TypeError(`optimizer state dict must be an object, got ${typeName(stateDict)}`);
  }
  const savedGroups = (stateDict as any).paramGroups;
  const savedState = (stateDict as any).state;
  if (!Array.isArray(savedGroups)) throw new ValueError("optimizer state dict lacks a 'paramGroups' array");
  if (savedState === null || typeof savedState !== 'object' || Array.isArray(savedState)) {
    throw new ValueError("optimizer state dict lacks a 'state' object");
  }
  if (savedGroups.length !== target.paramGroups.length) {
    throw new ValueError(
      `loaded state dict has a different number of parameter groups (${savedGroups.length}, optimizer has ${target.paramGroups.length})`,
    );
  }
  const idMap = new Map<string, Tensor>();
  const groupOf = new Map<Tensor, ParamGroup>();
  const paramGroups = savedGroups.map((sg: unknown, gi: number) => {
    const group = loadGroup(sg, gi, target, idMap);
    for (const p of group.params) groupOf.set(p, group);
    return group;
  });
  const loader = new StateLoader(target.name);
  const state = new Map<Tensor, OptimizerState>();
  try {
    for (const key of Object.keys(savedState)) {
      if (isForbiddenKey(key)) throw new ValueError(`loaded state dict: state key '${key}' is not allowed`);
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
      const group = groupOf.get(p)!;
      const out = loader.state(p, st, target.stateSpec(p, group), key);
      target.checkLoadedState(p, out, `state[${key}]`, group);
      state.set(p, out);
    }
  } catch (e) {
    for (const t of loader.created) t.dispose();
    throw e;
  }
  return { paramGroups, state };
}

/** One saved group, validated against the optimizer's group `gi`, as the optimizer will hold it. */
function loadGroup(sg: unknown, gi: number, target: LoadTarget, idMap: Map<string, Tensor>): ParamGroup {
  const group = target.paramGroups[gi]!;
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
    if (idMap.has(String(id))) throw new ValueError(`loaded state dict: parameter index ${id} appears twice`);
    idMap.set(String(id), group.params[i]!);
  });
  const ng = safeAssign(Object.create(null), sg, `loaded state dict paramGroups[${gi}]`) as ParamGroup;
  ng.params = group.params;
  if (group.paramNames !== undefined) ng.paramNames = group.paramNames;
  else delete ng.paramNames;
  for (const [k, def] of Object.entries(target.defaults)) {
    if (!(k in ng)) ng[k] = group[k] !== undefined ? group[k] : def;
  }
  for (const k of Object.keys(ng)) {
    if (k !== 'params' && k !== 'paramNames') {
      checkKind(k, ng[k], group[k], target.declared[k], `loaded state dict: paramGroups[${gi}]`);
    }
  }
  // The ranges of the constructor, except the lr's sign: a scheduler may legitimately have
  // stepped it just below 0 (cosine annealing, applied step by step, as PyTorch), and
  // PyTorch loads any lr. Its kind was checked above.
  const lr = ng.lr;
  target.checkGroup(typeof lr === 'number' && lr < 0 ? { ...ng, lr: -lr } : ng);
  return Object.assign({}, ng);
}

/** State entries that stepwise keeps as host numbers (PyTorch keeps 0-dim tensors). */
const scalarStateKeys = new Set(['step', 'eta', 'mu', 'muProduct']);

/**
 * The default `_checkLoadedState`: the scalars of undeclared state (an optimizer without
 * a state spec) must be numbers.
 */
export function checkScalarState(st: OptimizerState, where: string): void {
  for (const k of scalarStateKeys) {
    const v = st[k];
    if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v))) {
      throw new ValueError(`loaded state dict: ${where}.${k} must be a number, got ${typeName(v)}`);
    }
  }
}

/** Converts loaded state entries, keeping every tensor it creates in `created`. */
class StateLoader {
  readonly created: Tensor[] = [];
  constructor(private readonly name: string) {}

  /** One parameter's loaded state, entry by entry against `spec` (null: any entry, copied). */
  state(p: Tensor, st: Record<string, unknown>, spec: StateSpec | null, key: string): OptimizerState {
    const out: OptimizerState = {};
    for (const k of Object.keys(st)) {
      if (isForbiddenKey(k)) throw new ValueError(`loaded state dict: state key '${k}' is not allowed`);
      const where = `state[${key}].${k}`;
      if (spec === null) {
        out[k] = this.cast(p, k, st[k], where);
      } else if (!Object.hasOwn(spec, k)) {
        const keys = Object.keys(spec);
        throw new ValueError(
          `loaded state dict: ${where} is not state that ${this.name} keeps (${keys.length ? `it writes ${keys.join(', ')}` : 'it keeps none for this parameter'})`,
        );
      } else {
        out[k] = this.entry(p, spec[k]!, st[k], where);
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
    return out;
  }

  /** Converts one loaded state value: tensors are copied onto the param's dtype/backend. */
  private cast(p: Tensor, key: string, v: unknown, where: string): unknown {
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
      this.created.push(copy);
      return keep(copy);
    }
    if (Array.isArray(v)) return v.map((x, i) => this.cast(p, key, x, `${where}[${i}]`));
    if (v === null || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
    throw new ValueError(`loaded state dict: ${where} has an unsupported value of type ${typeName(v)}`);
  }

  /** Converts one loaded value as `e` says, or throws naming `where` and what was expected. */
  private entry(p: Tensor, e: StateEntrySpec, v: unknown, where: string): unknown {
    const fail = () =>
      new ValueError(
        `loaded state dict: ${where} must be ${entryWhat(e, p)} (as ${this.name} writes it), got ${describe(v)}`,
      );
    if (v === null || v === undefined) {
      if (v === null && e.nullable) return null;
      throw fail();
    }
    switch (e.kind) {
      case 'count':
      case 'number':
      case 'anyNumber': {
        let n = v;
        if (v instanceof Tensor) {
          if (v.isDisposed) throw new ValueError(`loaded state dict: ${where} is a disposed tensor`);
          if (v.numel() !== 1) throw fail();
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
        if (!ok) throw fail();
        return n;
      }
      case 'tensor':
        return this.tensor(p, e, v, where, fail);
      case 'tensors':
        if (!Array.isArray(v)) throw fail();
        return v.map((x, i) => this.tensor(p, e, x, `${where}[${i}]`, fail));
      case 'numbers':
        if (!Array.isArray(v)) throw fail();
        v.forEach((x) => {
          if (!(x === null ? e.nullItems : typeof x === 'number' && Number.isFinite(x))) throw fail();
        });
        return [...v];
    }
  }

  /** A loaded state tensor: floating point, of the declared shape; copied onto the param's dtype and backend. */
  private tensor(p: Tensor, e: StateEntrySpec, v: unknown, where: string, fail: () => Error): Tensor {
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
    return this.cast(p, '', v, where) as Tensor;
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
