/**
 * The optimizer spec: one declaration per optimizer of everything but its algorithm's
 * arithmetic plumbing — its options' defaults, its checks, the state it keeps per
 * parameter (`state.ts`: what is created on the first step and what a load accepts), and,
 * for the elementwise optimizers, its update as a fused program with the host scalars that
 * drive it. `SpecOptimizer` turns a spec into a `torch.optim` optimizer: the constructor
 * resolves the options against the spec, and `step()` runs the loop every fused optimizer
 * shares — per group: the lr, the program of the group's configuration, then per parameter
 * with a gradient its lazily created state, its scalars, and one `runFused` call for the
 * group. An optimizer file is then its algorithm box, a one-line class and its spec:
 *
 * ```ts
 * export const rmsprop: OptimizerSpec<RMSpropOptions> = {
 *   name: 'RMSprop',
 *   defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
 *   check: (h) => { checkLr(h.lr); ... },
 *   state: (g) => ({ step: count, squareAvg: zeros(), momentumBuffer: zeros({ when: g.momentum > 0 }), ... }),
 *   update: fusedUpdate({
 *     config: (g) => ({ maximize: g.maximize, wd: weightDecayOf(g), centered: g.centered, momentum: g.momentum > 0 }),
 *     scalars: (g, lr, st) => { st.step++; return { lr, wd: g.weightDecay, alpha: g.alpha, ... }; },
 *     program: (cfg) => defineFused('rmsprop', buffers, scalars, (f) => { ... }),
 *   }),
 * };
 * export class RMSprop extends SpecOptimizer<RMSpropOptions> {
 *   constructor(params: Params, options: RMSpropOptions = {}) { super(params, options, rmsprop); }
 * }
 * ```
 *
 * Optimizers that are not one elementwise pass (SparseAdam, Adafactor, Muon) declare no
 * `update` and write `_update` themselves; LBFGS (async, a closure) extends `Optimizer`
 * with its spec. All of them take their options, defaults, checks and state from the spec.
 */
import type { FusedProgram } from '../fused/program.js';
import type { FusedEntry } from '../fused/run.js';
import type { Tensor } from '../tensor.js';
import { perConfiguration, runGroup } from './fusedStep.js';
import { Optimizer } from './optimizer.js';
import { type Hyperparameters, type ParamGroup, type Params, scalarValue } from './paramGroups.js';
import type { PytorchOptimizerLayout } from './pytorchLayout.js';
import { initState, type OptimizerState, type StateInit, type StateSpec, stateInits } from './state.js';
import { checkKnownOptions } from './validate.js';

/** One optimizer's declaration, for options `O` (`AdamOptions`, ...). */
export interface OptimizerSpec<O extends Record<string, any>> {
  /** The name option messages give (default: the class's own, so AdamW's say AdamW). */
  readonly name?: string;
  /** Every hyperparameter with its default: what groups are filled from, and the kinds they keep. */
  readonly defaults: Hyperparameters<O>;
  /** PyTorch's constructor checks, with its messages: the options, then every group added or loaded. */
  check(h: Hyperparameters<O>, name: string): void;
  /** The checks of a group added or loaded, where they are narrower than `check` (SGD's). */
  checkGroup?(group: ParamGroup<O>, name: string): void;
  /**
   * Every state entry the optimizer may write for `p` of `group`, in the order it creates
   * them. With a fused `update`, which entries are created (have an `init`) may depend
   * only on the update's configuration: the driver reads them once per configuration.
   */
  state(group: ParamGroup<O>, p: Tensor): StateSpec;
  /** Invariants between the entries of a loaded state, beyond each entry's own (LBFGS's history lengths). */
  checkLoadedState?(st: OptimizerState, where: string, group: ParamGroup<O>): void;
  /** The update as one fused pass per group (the elementwise optimizers). */
  readonly update?: FusedUpdate<O>;
  /**
   * How PyTorch's `state_dict()` of this optimizer is laid out (`pytorchLayout.ts`): its
   * group keys in order, the state it keeps as 0-dim tensors. Without it,
   * `stateDict({ layout: 'pytorch' })` renames every key and writes `step` as a tensor.
   */
  readonly pytorch?: PytorchOptimizerLayout;
}

/**
 * An elementwise update: the program of a group's configuration (built once per distinct
 * configuration and kept), and each parameter's scalars, computed on the host every step.
 */
export interface FusedUpdate<
  O extends Record<string, any>,
  C = any,
  B extends string = string,
  S extends string = string,
> {
  /**
   * The flags that change the program's shape (maximize, the kind of weight decay,
   * amsgrad, ...) and with it the state entries: one plan per distinct value, kept.
   */
  config(group: ParamGroup<O>): C;
  /** The program for a configuration; its buffers are `param`, `grad` and state entries, by name. */
  program(config: C): FusedProgram<B, S>;
  /**
   * The host's part of one parameter's step (its state already created): advances its
   * scalar state (`step`, ...) and returns the program's scalars. `lr` is the group's, read
   * once per step.
   */
  scalars(group: ParamGroup<O>, lr: number, st: OptimizerState, p: Tensor): Readonly<Record<S, number>>;
}

/** Declares a fused update, checking that `scalars` gives every scalar the program declares. */
export function fusedUpdate<O extends Record<string, any>, C, B extends string, S extends string>(
  update: FusedUpdate<O, C, B, NoInfer<S>> & { program(config: C): FusedProgram<B, S> },
): FusedUpdate<O, C, B, S> {
  return update;
}

/** The options merged into the spec's defaults, after refusing unknown names and running its checks. */
export function resolveOptions<O extends Record<string, any>>(
  name: string,
  options: object,
  spec: OptimizerSpec<O>,
): Hyperparameters<O> {
  checkKnownOptions(name, options, spec.defaults);
  const resolved = { ...spec.defaults, ...options } as Hyperparameters<O>;
  spec.check(resolved, name);
  return resolved;
}

/**
 * An optimizer made from its spec. The constructor resolves the options (unknown names
 * refused, defaults merged, the spec's checks) and takes the groups in; `step()` runs the
 * spec's fused update over every group. An optimizer without one overrides `_update`.
 */
export abstract class SpecOptimizer<O extends Record<string, any>> extends Optimizer<O> {
  declare protected readonly _spec: OptimizerSpec<O>;

  constructor(params: Params, options: object, spec: OptimizerSpec<O>) {
    super(params, resolveOptions(spec.name ?? new.target.name, options, spec), spec.defaults, spec);
  }

  /** Creates the entries of `st` that the spec initialises and `st` lacks (the parameter's first step); returns `st`. */
  protected _initState(p: Tensor, group: ParamGroup<O>, st: OptimizerState = {}): OptimizerState {
    initState(st, this._spec.state(group, p), p, group);
    return st;
  }

  /**
   * Per group: its lr, the plan of its configuration (program, state buffers, entries to
   * create), and per parameter with a gradient its state (created on the first step) and
   * scalars; one backend call for the group.
   */
  protected _update(): void {
    const update = this._spec.update;
    if (update === undefined)
      throw new Error(`${this.name} declares no fused update; it must override _update`);
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const plan = perConfiguration(update, update.config(group), planOf);
      const entries: FusedEntry[] = [];
      for (const p of group.params) {
        const g = p.grad;
        if (g === null) continue;
        let st = this.state.get(p);
        if (!st) this.state.set(p, (st = {}));
        plan.inits ??= stateInits(this._spec.state(group, p));
        for (const [k, init] of plan.inits) if (st[k] == null) st[k] = init(p, group);
        const scalars = update.scalars(group, lr, st, p);
        entries.push({ buffers: plan.buffers(p, g, st), scalars });
      }
      runGroup(plan.program, entries);
    }
  }
}

/** What one configuration of a fused update runs: its program, and the state it reads and creates. */
interface Plan {
  readonly program: FusedProgram;
  /** One entry's buffers: `param`, `grad` and the program's state buffers. */
  readonly buffers: BuffersOf;
  /** The entries a parameter's first step creates, from the state spec (set on first use). */
  inits: StateInit[] | undefined;
}

type BuffersOf = (p: Tensor, g: Tensor, st: OptimizerState) => Record<string, Tensor>;

/** The plan of a configuration of `update`. */
function planOf(update: FusedUpdate<any>, config: unknown): Plan {
  const program = update.program(config);
  const state = program.buffers.filter((b) => b !== 'param' && b !== 'grad');
  return { program, buffers: buffersOf(state), inits: undefined };
}

/**
 * Builds an entry's buffers from the state entries `names` as one object literal (no
 * keyed stores per parameter and step: they cost as much as the rest of the host's work).
 */
function buffersOf(names: readonly string[]): BuffersOf {
  const [a = '', b = '', c = ''] = names;
  switch (names.length) {
    case 0:
      return (p, g) => ({ param: p, grad: g });
    case 1:
      return (p, g, st) => ({ param: p, grad: g, [a]: st[a] });
    case 2:
      return (p, g, st) => ({ param: p, grad: g, [a]: st[a], [b]: st[b] });
    case 3:
      return (p, g, st) => ({ param: p, grad: g, [a]: st[a], [b]: st[b], [c]: st[c] });
    default:
      return (p, g, st) => {
        const out: Record<string, Tensor> = { param: p, grad: g };
        for (const k of names) out[k] = st[k];
        return out;
      };
  }
}
