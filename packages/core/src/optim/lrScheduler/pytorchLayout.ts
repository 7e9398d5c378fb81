/**
 * PyTorch's layout of a scheduler's state dict, both ways (core README, "PyTorch files").
 *
 * A PyTorch scheduler's `state_dict()` is its `__dict__` minus the optimizer: stepwise's
 * fields with PyTorch's names (`last_epoch`, `base_lrs`, `_step_count`, `_last_lr`,
 * `T_max`, `eta_min`, ...; `camelCase`/`snakeCase` of `../pytorchLayout.ts`), plus
 * attributes stepwise has no use for (`verbose`, `_get_lr_called_within_step`). Each
 * scheduler declares where its layout departs from that rule (`_pytorchLayout`): fields
 * PyTorch 1.13 does not have (not written, kept when missing), keys only PyTorch has
 * (written with 1.13's values, dropped on load after a check), renames (SequentialLR's
 * `_milestones`, OneCycleLR's `_schedule_phases`) and value conversions (MultiStepLR's
 * milestone counts). SequentialLR and ChainedScheduler convert each child with the
 * child's own layout.
 */
import { ValueError } from '../../errors.js';
import { camelCase, snakeCase } from '../pytorchLayout.js';

/** How a scheduler's state dict departs from the renaming rule in PyTorch's layout. */
export interface SchedulerLayout {
  /** stepwise fields PyTorch (1.13) does not have: not written; a load without them keeps them. */
  readonly omit?: readonly string[];
  /**
   * Keys only PyTorch has: written with these values (after the scheduler's own fields),
   * and on load checked by `check` (what is wrong, or null), then dropped.
   */
  readonly extra?: Readonly<
    Record<
      string,
      { readonly value?: unknown; readonly check?: (v: unknown) => string | null; readonly write?: boolean }
    >
  >;
  /** stepwise field → PyTorch key, where it is not `snakeCase(field)`. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Value conversions of fields, by stepwise name: to PyTorch's form, and back (throwing what is wrong). */
  readonly values?: Readonly<
    Record<
      string,
      { readonly toPytorch: (v: unknown) => unknown; readonly fromPytorch: (v: unknown) => unknown }
    >
  >;
}

/** The base fields, written last in PyTorch 1.13's order (its `LRScheduler.__init__` sets them after a subclass's). */
const baseOrder = ['baseLrs', 'lastEpoch', 'verbose', '_stepCount', '_get_lr_called_within_step', '_lastLr'];

/** PyTorch 1.13's base attributes stepwise has no use for: written as 1.13 has them, checked and dropped on load. */
export const baseExtra: NonNullable<SchedulerLayout['extra']> = {
  verbose: {
    value: false,
    check: (v) => (typeof v === 'boolean' || v === 'deprecated' ? null : 'must be a bool'),
  },
  _get_lr_called_within_step: {
    value: false,
    check: (v) => (typeof v === 'boolean' ? null : 'must be a bool'),
  },
};

/** What the conversions need of a scheduler (its layout, and its children's). */
export interface LayoutSource {
  _pytorchLayout(): SchedulerLayout;
  readonly _schedulers?: readonly LayoutSource[];
}

const isPlainDict = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Map);

/**
 * A scheduler's stepwise-layout state dict (from `stateDict()`) in PyTorch 1.13's layout;
 * children (`_schedulers`) each in their own.
 */
export function schedulerToPytorch(s: LayoutSource, sd: Record<string, unknown>): Record<string, unknown> {
  const layout = s._pytorchLayout();
  const omit = new Set(layout.omit ?? []);
  const extra = layout.extra ?? {};
  const own: [string, unknown][] = [];
  const base = new Map<string, unknown>();
  for (const [k, v] of Object.entries(sd)) {
    if (omit.has(k) || k === '_schedulers') continue;
    const conv = layout.values?.[k];
    const entry: [string, unknown] = [layout.rename?.[k] ?? snakeCase(k), conv ? conv.toPytorch(v) : v];
    if (baseOrder.includes(k)) base.set(k, entry);
    else own.push(entry);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of own) out[k] = v;
  for (const [k, e] of Object.entries(extra))
    if (!baseOrder.includes(k) && e.write !== false) out[k] = e.value;
  for (const k of baseOrder) {
    const e = base.get(k) as [string, unknown] | undefined;
    if (e) out[e[0]] = e[1];
    else if (k in extra && extra[k]!.write !== false) out[k] = extra[k]!.value;
  }
  if (Array.isArray(sd._schedulers) && s._schedulers) {
    out._schedulers = sd._schedulers.map((c, i) =>
      schedulerToPytorch(s._schedulers![i]!, c as Record<string, unknown>),
    );
  }
  return out;
}

/** PyTorch-layout keys of schedulers (a dict with any of them is read as PyTorch's). */
const pytorchMarks = [
  'last_epoch',
  '_last_lr',
  'base_lrs',
  '_step_count',
  '_milestones',
  '_schedule_phases',
  'verbose',
];
const stepwiseMarks = ['lastEpoch', '_lastLr', 'baseLrs', '_stepCount'];

/** Whether a scheduler state dict is in PyTorch's layout, refusing a mix of both. */
export function isPytorchSchedulerDict(sd: unknown): boolean {
  if (!isPlainDict(sd)) return false;
  const pt = pytorchMarks.find((k) => Object.hasOwn(sd, k));
  const sw = stepwiseMarks.find((k) => Object.hasOwn(sd, k));
  if (pt !== undefined && sw !== undefined) {
    throw new ValueError(
      `scheduler state dict has both '${pt}' (PyTorch's layout) and '${sw}' (stepwise's): give one layout`,
    );
  }
  return pt !== undefined;
}

/**
 * A PyTorch-layout scheduler state dict in stepwise's layout (the values are then
 * validated by the scheduler's `_prepareLoad`), recording in `renames` the stepwise path
 * of every renamed key with the dict's own (`lastEpoch` → `last_epoch`).
 */
export function schedulerFromPytorch(
  s: LayoutSource,
  sd: Record<string, unknown>,
  path: string,
  renames: Map<string, string>,
): Record<string, unknown> {
  const layout = s._pytorchLayout();
  const extra = { ...baseExtra, ...layout.extra };
  const back = new Map<string, string>();
  for (const [k, v] of Object.entries(layout.rename ?? {})) back.set(v, k);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sd)) {
    if (k === '_schedulers') {
      out[k] = v;
      continue;
    }
    const x = extra[k];
    if (x !== undefined) {
      const problem = x.check ? x.check(v) : null;
      if (problem !== null) throw new ValueError(`scheduler state dict: '${path}${k}' ${problem}`);
      continue;
    }
    const name = back.get(k) ?? camelCase(k);
    if (Object.hasOwn(out, name)) {
      throw new ValueError(
        `scheduler state dict: '${path}${k}' and '${path}${renames.get(`${path}${name}`) ?? name}' are the same field in PyTorch's and stepwise's spelling`,
      );
    }
    if (name !== k) renames.set(`${path}${name}`, `${path}${k}`);
    const conv = layout.values?.[name];
    if (conv) {
      try {
        out[name] = conv.fromPytorch(v);
      } catch (e) {
        throw new ValueError(`scheduler state dict: '${path}${k}' ${(e as Error).message}`);
      }
    } else out[name] = v;
  }
  if (Array.isArray(sd._schedulers) && s._schedulers && sd._schedulers.length === s._schedulers.length) {
    out._schedulers = sd._schedulers.map((c, i) =>
      isPlainDict(c) ? schedulerFromPytorch(s._schedulers![i]!, c, `${path}_schedulers[${i}].`, renames) : c,
    );
  }
  return out;
}

/** `e`'s message with every quoted stepwise path in `renames` as the loaded dict spells it. Returns `e`. */
export function inLoadedKeys(e: unknown, renames: ReadonlyMap<string, string>): unknown {
  if (!(e instanceof Error) || renames.size === 0) return e;
  e.message = e.message.replace(/'([^']+)'/g, (m, k: string) => {
    const r = renames.get(k);
    return r === undefined ? m : `'${r}'`;
  });
  return e;
}

/**
 * The check of a PyTorch key whose value is a function's state: null entries only. PyTorch
 * saves the attributes of callable objects (a dict), and nothing for plain functions and
 * lambdas; stepwise's functions are plain functions, so only None crosses.
 */
export function functionsOnlyNone(what: string, pytorchSays: string): (v: unknown) => string | null {
  const none = (x: unknown) => x === null || x === undefined;
  return (v) =>
    (Array.isArray(v) ? v.every(none) : none(v))
      ? null
      : `holds the attributes of a callable object, but stepwise's ${what} is a plain function. As PyTorch says, "${pytorchSays}": functions do not cross. Build the scheduler with the same function, and load the dict with None here`;
}

/** PyTorch's words on LambdaLR's and MultiplicativeLR's functions (their `state_dict` docstring). */
export const LAMBDAS_NOT_SAVED =
  'The learning rate lambda functions will only be saved if they are callable objects and not if they are functions or lambdas.';

/** The layout of LambdaLR and MultiplicativeLR: `lr_lambdas`, None per group (functions are not saved). */
export function lambdaLayout(base: SchedulerLayout, groups: number): SchedulerLayout {
  return {
    ...base,
    extra: {
      ...base.extra,
      lr_lambdas: {
        value: new Array(groups).fill(null),
        check: (v) =>
          Array.isArray(v) && v.length === groups
            ? functionsOnlyNone('lrLambda', LAMBDAS_NOT_SAVED)(v)
            : `must be a list of ${groups} entries (one per param group)`,
      },
    },
  };
}

/**
 * The check of a key holding a function PyTorch 1.13 saves by reference (OneCycleLR's
 * `anneal_func`, a bound method; SWALR's `anneal_func`): always refused, saying what to do.
 */
export function functionRefused(what: string, instead: string): (v: unknown) => string {
  return () =>
    `is PyTorch 1.13's ${what}, a function: functions do not cross (stepwise's torch.load refuses it in a .pt, as PyTorch's weights_only=True does). ${instead}`;
}
