/**
 * What the suites know about each optimizer, in one table (as PyTorch's `OptimizerInfo` in
 * `torch/testing/_internal/common_optimizers.py`): how to build it, a working configuration,
 * the parameter shapes it takes, and the ways it differs from the generic expectations,
 * each with its reason. Every optimizer suite (`optim`, `lbfgs`, `sparseAdam`,
 * `optimValidation`, `serialize`, `fuzz`) reads its rows from here, so a new optimizer is
 * one row, and no suite tests a name.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { setGrads } from './params.js';

export type Optimizer = InstanceType<typeof torch.optim.Optimizer>;

export interface OptimizerInfo {
  /** The key: the fixture is `fixtures/optim-<fixture>.json`; `name` labels the tests. */
  readonly name: string;
  readonly fixture: string;
  /** Builds it over params (tensors or groups) with options. */
  readonly make: (params: any, options?: any) => Optimizer;
  /**
   * How the suites drive it: `dense`, a gradient per parameter then `step()` (the generic
   * checks and the shared trajectory loop run on it); `sparse`, row-sparse gradients
   * (SparseAdam: its own trajectory suite); `closure`, `step(closure)` (LBFGS: its own suite).
   */
  readonly kind: 'dense' | 'sparse' | 'closure';
  /** A working configuration for the generic checks: visible movement in a few steps. */
  readonly options: Record<string, unknown>;
  /** A configuration that writes every state entry it can (amsgrad, centered, momentum). */
  readonly fullStateOptions: Record<string, unknown>;
  /**
   * Parameter shapes of the generic checks: the third is frozen at two steps, the second
   * misses its gradient at one (1-D optimizers also get a 0-dim parameter).
   */
  readonly shapes: readonly (readonly number[])[];
  /** Shapes that give every kind of state entry (Adafactor: factored and not). */
  readonly stateShapes: readonly (readonly number[])[];
  /** A shape the optimizer accepts as its only parameter. */
  readonly minimalShape: readonly number[];
  /** Takes one step with the gradients of step `t` (LBFGS: a closure over a fixed loss). */
  readonly step: (opt: Optimizer, params: Tensor[], t: number) => Promise<void>;
  /** Why parameters move under all-zero gradients (default: they do not). */
  readonly movesWithZeroGrads?: string;
  /** Why a group with lr 0 still moves (default: it does not). */
  readonly movesWithZeroLr?: string;
  /** Why it takes a single param group (default: any number). */
  readonly singleGroup?: string;
  /** State keys that may be absent from a non-empty state, and that may be null. */
  readonly optionalState?: readonly string[];
  readonly nullableState?: readonly string[];
  /** Its `loadStateDict` is fuzzed (`fuzz` suite; with its full-state configuration). */
  readonly fuzzLoad?: boolean;
}

const vectors = [[5], [1], [7], []]; // [] is a 0-dim parameter
const matrices = [
  [3, 5],
  [1, 7],
  [4, 2],
];

const gradStep = async (opt: Optimizer, ps: Tensor[], t: number) => {
  setGrads(ps, t);
  opt.step();
};

type Row = Omit<
  OptimizerInfo,
  'fixture' | 'kind' | 'fullStateOptions' | 'shapes' | 'stateShapes' | 'minimalShape' | 'step'
> &
  Partial<OptimizerInfo>;

/** A dense optimizer over vectors unless the row says otherwise. */
function row(r: Row): OptimizerInfo {
  return {
    fixture: r.name,
    kind: 'dense',
    fullStateOptions: r.options,
    shapes: vectors,
    stateShapes: [[5], [1], []],
    minimalShape: [2],
    step: gradStep,
    ...r,
  };
}

export const optimizers: readonly OptimizerInfo[] = [
  row({
    name: 'sgd',
    make: (p, o) => new torch.optim.SGD(p, o),
    options: { lr: 0.05, momentum: 0.9 },
    // momentumBuffer exists only when momentum ≠ 0, and PyTorch's dicts may hold it as None.
    optionalState: ['momentumBuffer'],
    nullableState: ['momentumBuffer'],
    fuzzLoad: true,
  }),
  row({
    name: 'adam',
    make: (p, o) => new torch.optim.Adam(p, o),
    options: { lr: 0.05 },
    fullStateOptions: { lr: 0.05, amsgrad: true },
    fuzzLoad: true,
  }),
  row({
    name: 'adamw',
    make: (p, o) => new torch.optim.AdamW(p, o),
    options: { lr: 0.05 },
    fullStateOptions: { lr: 0.05, amsgrad: true },
    movesWithZeroGrads: 'decoupled weight decay (default 1e-2) shrinks the parameters',
  }),
  row({ name: 'adamax', make: (p, o) => new torch.optim.Adamax(p, o), options: { lr: 0.05 } }),
  row({ name: 'adagrad', make: (p, o) => new torch.optim.Adagrad(p, o), options: { lr: 0.1 } }),
  row({ name: 'adadelta', make: (p, o) => new torch.optim.Adadelta(p, o), options: { lr: 1 } }),
  row({
    name: 'rmsprop',
    make: (p, o) => new torch.optim.RMSprop(p, o),
    options: { lr: 0.01 },
    fullStateOptions: { lr: 0.01, centered: true, momentum: 0.9 },
  }),
  row({
    name: 'rprop',
    make: (p, o) => new torch.optim.Rprop(p, o),
    options: { lr: 0.01 },
    movesWithZeroLr: "Rprop's lr only seeds its step sizes (as PyTorch's)",
    fuzzLoad: true,
  }),
  row({
    name: 'asgd',
    make: (p, o) => new torch.optim.ASGD(p, o),
    options: { lr: 0.05 },
    movesWithZeroGrads: 'θ ← θ(1 − lambd·η) decays the parameters every step (lambd 1e-4)',
    fuzzLoad: true,
  }),
  row({ name: 'nadam', make: (p, o) => new torch.optim.NAdam(p, o), options: { lr: 0.05 } }),
  row({ name: 'radam', make: (p, o) => new torch.optim.RAdam(p, o), options: { lr: 0.05 } }),
  row({
    name: 'adafactor',
    make: (p, o) => new torch.optim.Adafactor(p, o),
    options: { lr: 0.05 },
    shapes: matrices,
    // A matrix has rowVar and colVar, a vector a variance.
    stateShapes: [[3, 5], [4]],
  }),
  row({
    name: 'muon',
    make: (p, o) => new torch.optim.Muon(p, o),
    options: { lr: 0.05 },
    shapes: matrices,
    stateShapes: [
      [3, 5],
      [4, 2],
    ],
    // Muon only supports 2-D parameters.
    minimalShape: [2, 2],
    movesWithZeroGrads: 'decoupled weight decay (default 0.1) shrinks the parameters',
  }),
  row({
    name: 'sparseAdam',
    fixture: 'sparse_adam',
    kind: 'sparse',
    make: (p, o) => new torch.optim.SparseAdam(p, o),
    options: { lr: 0.05 },
    stateShapes: [[3, 2], [4]],
  }),
  row({
    name: 'lbfgs',
    kind: 'closure',
    make: (p, o) => new torch.optim.LBFGS(p, o),
    options: { historySize: 3, maxIter: 3 },
    stateShapes: [[3], [2]],
    step: async (opt, ps) => {
      await opt.step(() => {
        opt.zeroGrad();
        const loss = ps[0]!.sub(1).square().sum().add(ps[1]!.add(0.5).square().mul(3).sum());
        loss.backward();
        return loss;
      });
    },
    singleGroup: "LBFGS doesn't support per-parameter options (parameter groups)",
    // `al` (the two-loop recursion's coefficients) may be absent from a dict.
    optionalState: ['al'],
  }),
];

/** The optimizers driven by a gradient per parameter and `step()` (the generic checks). */
export const denseOptimizers = optimizers.filter((o) => o.kind === 'dense');

/** The row of the optimizer named `name`. */
export function optimizerInfo(name: string): OptimizerInfo {
  const info = optimizers.find((o) => o.name === name);
  if (!info) throw new Error(`no OptimizerInfo named '${name}'`);
  return info;
}
