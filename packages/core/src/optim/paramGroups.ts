/**
 * Parameter groups: their types (typed by an optimizer's options), and how a group the user
 * gives becomes one the optimizer holds — the parameters taken in and checked, the
 * hyperparameters filled from the defaults and kept to their declared kinds, and the checks
 * against the groups already there. `Optimizer.addParamGroup` runs these steps in
 * PyTorch's order, with the optimizer's own range checks between them.
 */
import { DTypeError, ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { typeName } from './validate.js';

/** Marks a hyperparameter that has no default (PyTorch's `torch.optim.optimizer.required`). */
export const required: unique symbol = Symbol('required');

/**
 * The hyperparameters a group holds for options `O`: every option, always set (filled from
 * the defaults). `Hyperparameters<AdamOptions>['betas']` is `[number, number]`.
 */
export type Hyperparameters<O extends Record<string, any>> = { [K in keyof O]-?: Exclude<O[K], undefined> };

/**
 * One parameter group: its parameters plus every hyperparameter, filled from the defaults.
 * `ParamGroup<AdamOptions>` types Adam's hyperparameters; other keys (a scheduler's
 * `initialLr`, user tags) stay untyped, as in `ParamGroup`.
 */
export type ParamGroup<O extends Record<string, any> = Record<string, any>> = {
  /** The group's parameters. */
  params: Tensor[];
  /** Names given with the params (`[name, tensor]` pairs), as PyTorch's `param_names`. */
  paramNames?: string[];
  [hyperparameter: string]: any;
} & Hyperparameters<O>;

/** What the user passes for one group: `params` may be any iterable, a lone tensor, or `[name, tensor]` pairs. */
export interface ParamGroupInput {
  /** The group's parameters: tensors, or `[name, tensor]` pairs. */
  params: Iterable<Tensor | readonly [string, Tensor]> | Tensor;
  [hyperparameter: string]: any;
}

/** Anything an optimizer accepts as its first argument. */
export type Params = Iterable<Tensor> | Iterable<readonly [string, Tensor]> | Iterable<ParamGroupInput>;

const forbiddenKeys = new Set(['__proto__', 'constructor', 'prototype']);

/** A key that could reach a prototype: refused in groups and loaded state. */
export function isForbiddenKey(k: string): boolean {
  return forbiddenKeys.has(k);
}

/** Copies own enumerable keys, refusing the keys that could reach a prototype. */
export function safeAssign(target: Record<string, any>, src: object, what: string): Record<string, any> {
  for (const k of Object.keys(src)) {
    if (forbiddenKeys.has(k)) throw new ValueError(`${what}: key '${k}' is not allowed`);
    target[k] = (src as Record<string, any>)[k];
  }
  return target;
}

export function isIterable(v: unknown): v is Iterable<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as any)[Symbol.iterator] === 'function';
}

function isNamedParam(v: unknown): v is readonly [string, Tensor] {
  return Array.isArray(v) && v.length === 2 && typeof v[0] === 'string';
}

/** A `{ params, ...hyperparameters }` object (not a tensor, an array or another iterable). */
export function isPlainGroup(v: unknown): v is ParamGroupInput {
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
 * Step 1 of `add_param_group`: a copy of the user's group (null prototype, no forbidden
 * key) whose `params` are the group's tensors — each a floating point leaf — and whose
 * `paramNames` are the names given with them, if any.
 */
export function takeParams(paramGroup: ParamGroupInput, optimizer: string): ParamGroup {
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
    checkFloating(optimizer, p, `parameter ${i} of the group`);
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
  return group;
}

/**
 * Step 2: every hyperparameter the group lacks, from `defaults` (a `required` one must be
 * given); then every hyperparameter must keep its declared kind (`checkKind`).
 */
export function fillHyperparameters(
  group: ParamGroup,
  defaults: Readonly<Record<string, any>>,
  declared: Readonly<Record<string, unknown>>,
): void {
  for (const [name, def] of Object.entries(defaults)) {
    if (def === required && !(name in group)) {
      throw new ValueError(
        `parameter group didn't specify a value of required optimization parameter ${name}`,
      );
    }
    if (!(name in group)) group[name] = Array.isArray(def) ? [...def] : def;
  }
  for (const k of Object.keys(group)) {
    if (k !== 'params' && k !== 'paramNames') checkKind(k, group[k], undefined, declared[k], 'param group');
  }
}

/**
 * Step 3, after the optimizer's range checks: a new group against the groups already there
 * — duplicate parameters warn (as PyTorch), a parameter in two groups and a mix of named
 * and unnamed groups are refused.
 */
export function checkNewGroup(group: ParamGroup, groups: readonly ParamGroup[]): void {
  if (new Set(group.params).size !== group.params.length) {
    console.warn(
      'optimizer contains a parameter group with duplicate parameters; in future, this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more information',
    );
  }
  const seen = new Set<Tensor>();
  for (const g of groups) {
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
}

/**
 * A hyperparameter keeps the kind the optimizer holds for it (its `current` value, else the
 * declared default `def`): a number (or 1-element Tensor) stays a number and is not NaN, a
 * boolean a boolean, an array an array of as many numbers; `null` only where the declared
 * default is null (Adafactor's eps[0], LBFGS's lineSearchFn, Muon's adjustLrFn). Keys the
 * optimizer does not declare (a scheduler's `initialLr` on a fresh optimizer, user tags)
 * take any value. Ranges are each optimizer's `check`.
 */
export function checkKind(key: string, v: unknown, current: unknown, def: unknown, where: string): void {
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
export function checkFloating(optimizer: string, p: Tensor, which: string): void {
  if (p.dtype !== 'float32' && p.dtype !== 'float64') {
    throw new DTypeError(
      `${optimizer} can only optimize floating point parameters, but ${which} has dtype ${p.dtype}: an integer tensor cannot require grad, and a float update cannot be written into it (as in PyTorch)`,
    );
  }
}
