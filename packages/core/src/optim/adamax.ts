import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, ema, preamble, preambleConfig } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, zeros } from './state.js';
import { checkBetas, checkBool, checkEps, checkLr, checkNonNegative } from './validate.js';

/** Options of `Adamax`. */
export interface AdamaxOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficients of the running averages of the gradient and its square (PyTorch's `betas`). */
  betas?: [number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.Adamax`: Adam with the infinity norm.
 *
 *   g ← ∇ (+λθ);  m ← lerp(m, g, 1−β1);  u ← max(β2·u, |g| + ε)
 *   θ ← θ − γ/(1−β1^t) · m/u
 *
 * State: `step`, `expAvg`, `expInf`.
 */
export class Adamax extends SpecOptimizer<AdamaxOptions> {
  constructor(params: Params, options: AdamaxOptions = {}) {
    super(params, options, adamax);
  }
}

/** Adamax's spec. */
export const adamax: OptimizerSpec<AdamaxOptions> = {
  name: 'Adamax',
  pytorch: {
    since: '1.13',
    groupKeys: ['lr', 'betas', 'eps', 'weight_decay', ['foreach', null], 'maximize'],
  },
  defaults: { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false },
  check(h) {
    checkLr(h.lr);
    checkEps(h.eps);
    checkBetas(h.betas);
    checkNonNegative('weight_decay', h.weightDecay);
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, expAvg: zeros(), expInf: zeros() }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      const [beta1, beta2] = g.betas;
      const t = ++st.step;
      return { clr: lr / (1 - beta1 ** t), wd: g.weightDecay, oneMinusBeta1: 1 - beta1, beta2, eps: g.eps };
    },
    program: (cfg) =>
      defineFused(
        'adamax',
        ['param', 'grad', 'expAvg', 'expInf'],
        ['clr', 'wd', 'oneMinusBeta1', 'beta2', 'eps'],
        (f) => {
          const { buf: b, s } = f;
          const { g } = preamble(f, cfg);
          const m = assign(f, 'expAvg', ema(b.expAvg, g, s.oneMinusBeta1));
          const u = assign(f, 'expInf', b.expInf.mul(s.beta2).max(g.abs().add(s.eps)));
          f.store('param', b.param.sub(s.clr.mul(m).div(u)));
        },
      ),
  }),
};
