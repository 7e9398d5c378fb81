/**
 * `print(optimizer)` and `print(scheduler)`: PyTorch's `Optimizer.__repr__`, and a form of
 * the same shape for schedulers (PyTorch's schedulers have no `__repr__` of their own; their
 * default `<torch.optim.lr_scheduler.StepLR object at 0x7f...>` says nothing, so stepwise
 * prints the scheduler's state instead).
 *
 *   Adam (
 *   Parameter Group 0
 *       amsgrad: False
 *       betas: (0.9, 0.999)
 *       ...
 *   )
 *
 * Keys are PyTorch's snake_case names (`weight_decay`, `initial_lr`), sorted as PyTorch
 * sorts them, so the text matches PyTorch's although stepwise's options are camelCase
 * (`weightDecay`). Values are Python's: `True`/`False`, `None`, tuples, floats as Python's
 * `repr` writes them (`1e-08`, `0.001`); an integral number prints as a Python int (`0`),
 * as PyTorch's integer defaults do, except where PyTorch's default is an integral float
 * (Adadelta's `lr`, ASGD's `t0`, Adafactor's `d` and `weight_decay`: `1.0`). The flags of
 * PyTorch's implementation choices that stepwise does not have (`foreach`, `capturable`,
 * `differentiable`, `fused`) print PyTorch 1.13's values for them (`None`, `False`).
 */
import { pyFloat } from './nn/pyRepr.js';
import { Tensor } from './tensor.js';

/** The flags PyTorch 1.13 keeps in each optimizer's param groups that have no stepwise meaning. */
const IMPLEMENTATION_FLAGS: Record<string, Record<string, null | boolean>> = {
  Adadelta: { foreach: null },
  Adafactor: { foreach: null },
  Adagrad: { foreach: null },
  Adam: { foreach: null, capturable: false, differentiable: false, fused: false },
  AdamW: { foreach: null, capturable: false },
  Adamax: { foreach: null },
  ASGD: { foreach: null },
  NAdam: { foreach: null },
  RAdam: { foreach: null },
  RMSprop: { foreach: null, differentiable: false },
  Rprop: { foreach: null },
  SGD: { foreach: null, differentiable: false },
};

/** Hyperparameters whose PyTorch default is a float even where its value is integral (`1.0`). */
const FLOAT_KEYS: Record<string, readonly string[]> = {
  Adadelta: ['lr'],
  ASGD: ['t0'],
  Adafactor: ['d', 'weightDecay'],
};

/** `weightDecay` → `weight_decay`; names already in PyTorch's spelling (`T_max`) stay. */
export function snakeCase(key: string): string {
  return key.includes('_') ? key : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A number as Python holds it: an int where integral, else a float. */
function pyNumber(v: number, float: boolean): string {
  if (!float && Number.isInteger(v) && Math.abs(v) < 1e16) return String(v);
  return pyFloat(v);
}

/**
 * Python's `repr` of a hyperparameter or scheduler field (`str` at the top level: strings
 * unquoted). Arrays print as tuples where `tuple` is set (PyTorch's betas, etas), else lists.
 */
export function pyValue(
  v: unknown,
  opts: { top?: boolean; float?: boolean; tuple?: boolean; snakeStrings?: boolean } = {},
): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return pyNumber(v, opts.float ?? false);
  if (typeof v === 'string') {
    const text = opts.snakeStrings ? snakeCase(v) : v;
    return opts.top ? text : `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  }
  if (v instanceof Tensor) return v.toString();
  if (typeof v === 'function') return `<function ${v.name || '<lambda>'}>`;
  if (Array.isArray(v)) {
    const items = v.map((x) => pyValue(x, { tuple: opts.tuple, snakeStrings: opts.snakeStrings }));
    if (!opts.tuple) return `[${items.join(', ')}]`;
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (typeof v === 'object') {
    const items = Object.entries(v as object).map(
      ([k, x]) => `'${snakeCase(k)}': ${pyValue(x, { snakeStrings: opts.snakeStrings })}`,
    );
    return `{${items.join(', ')}}`;
  }
  return String(v);
}

interface OptimizerLike {
  readonly constructor: { readonly name: string };
  readonly paramGroups: readonly Readonly<Record<string, unknown>>[];
}

/** PyTorch's `Optimizer.__repr__` of a stepwise optimizer. */
export function optimizerRepr(opt: OptimizerLike): string {
  const name = opt.constructor.name;
  const flags = IMPLEMENTATION_FLAGS[name] ?? {};
  const floats = new Set(FLOAT_KEYS[name] ?? []);
  let s = `${name} (`;
  opt.paramGroups.forEach((group, i) => {
    s += `\nParameter Group ${i}\n`;
    const entries = new Map<string, string>();
    for (const [k, v] of Object.entries(flags)) entries.set(k, pyValue(v));
    for (const [k, v] of Object.entries(group)) {
      if (k === 'params') continue;
      let value = v;
      // LBFGS: PyTorch stores max_eval = max_iter * 5 // 4 in the group when it is not given.
      if (name === 'LBFGS' && k === 'maxEval' && value === null)
        value = Math.floor(((group.maxIter as number) * 5) / 4);
      entries.set(snakeCase(k), pyValue(value, { top: true, float: floats.has(k), tuple: true }));
    }
    for (const k of [...entries.keys()].sort()) s += `    ${k}: ${entries.get(k)}\n`;
  });
  return `${s})`;
}

interface SchedulerLike {
  readonly constructor: { readonly name: string };
  stateDict(): Readonly<Record<string, unknown>>;
  getLastLr(): number[];
}

/**
 * A scheduler's state in the optimizer's format: its class name, then every field of its
 * state dict under PyTorch's name, sorted (`base_lrs`, `gamma`, `last_epoch`, `step_size`),
 * with `last_lr` (`getLastLr()`) and without the private counters:
 *
 *   StepLR (
 *       base_lrs: [0.1]
 *       gamma: 0.1
 *       last_epoch: 0
 *       last_lr: [0.1]
 *       step_size: 30
 *   )
 */
export function schedulerRepr(s: SchedulerLike): string {
  const entries = new Map<string, string>();
  for (const [k, v] of Object.entries(s.stateDict())) {
    if (k.startsWith('_')) continue;
    // String values name fields (OneCycleLR's phases: 'initialLr' → 'initial_lr') or modes.
    entries.set(snakeCase(k), pyValue(v, { top: true, snakeStrings: true }));
  }
  entries.set('last_lr', pyValue(s.getLastLr()));
  let out = `${s.constructor.name} (\n`;
  for (const k of [...entries.keys()].sort()) out += `    ${k}: ${entries.get(k)}\n`;
  return `${out})`;
}
