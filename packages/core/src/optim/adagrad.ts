import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, preamble, preambleConfig } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, full } from './state.js';
import { checkBool, checkEps, checkLr, checkNonNegative } from './validate.js';

/** Options of `Adagrad`. */
export interface AdagradOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Learning-rate decay (PyTorch's `lr_decay`). */
  lrDecay?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Starting value of the sum of squared gradients (PyTorch's `initial_accumulator_value`). */
  initialAccumulatorValue?: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.Adagrad`.
 *
 *   t ← t+1;  g ← ∇ (+λθ);  γ̃ ← γ/(1 + (t−1)·lrDecay);  s ← s + g²;  θ ← θ − γ̃·g/(sqrt(s) + ε)
 *
 * State (created in the constructor, as PyTorch): `step` = 0 and `sum` = initialAccumulatorValue.
 */
export class Adagrad extends SpecOptimizer<AdagradOptions> {
  constructor(params: Params, options: AdagradOptions = {}) {
    super(params, options, adagrad);
    // A parameter added by addParamGroup later gets its state on its first step.
    for (const group of this.paramGroups) {
      for (const p of group.params) if (!this.state.has(p)) this.state.set(p, this._initState(p, group));
    }
  }
}

const initialSum = full((g) => g.initialAccumulatorValue);

/** Adagrad's spec. */
export const adagrad: OptimizerSpec<AdagradOptions> = {
  name: 'Adagrad',
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'lr_decay',
      'eps',
      'weight_decay',
      'initial_accumulator_value',
      ['foreach', null],
      'maximize',
    ],
  },
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  check(h) {
    checkLr(h.lr);
    checkNonNegative('lr_decay', h.lrDecay);
    checkNonNegative('weight_decay', h.weightDecay);
    checkNonNegative('initial_accumulator_value', h.initialAccumulatorValue);
    checkEps(h.eps);
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, sum: initialSum }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      const t = ++st.step;
      return { clr: lr / (1 + (t - 1) * g.lrDecay), wd: g.weightDecay, eps: g.eps };
    },
    program: (cfg) =>
      defineFused('adagrad', ['param', 'grad', 'sum'], ['clr', 'wd', 'eps'], (f) => {
        const { buf: b, s } = f;
        const { g } = preamble(f, cfg);
        const sum = assign(f, 'sum', b.sum.add(g.mul(g)));
        f.store('param', b.param.sub(s.clr.mul(g).div(sum.sqrt().add(s.eps))));
      }),
  }),
};
