import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, emaSq, preamble, preambleConfig } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, zeros } from './state.js';
import { checkBool, checkEps, checkLr, checkNonNegative } from './validate.js';

/** Options of `Adadelta`. */
export interface AdadeltaOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficient of the running average of squared gradients (PyTorch's `rho`). */
  rho?: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.Adadelta`.
 *
 *   g ← ∇ (+λθ);  v ← ρv + (1−ρ)g²;  δ ← sqrt(u + ε)/sqrt(v + ε) · g;  u ← ρu + (1−ρ)δ²;  θ ← θ − γδ
 *
 * State: `step`, `squareAvg`, `accDelta`.
 */
export class Adadelta extends SpecOptimizer<AdadeltaOptions> {
  constructor(params: Params, options: AdadeltaOptions = {}) {
    super(params, options, adadelta);
  }
}

/** Adadelta's spec. */
export const adadelta: OptimizerSpec<AdadeltaOptions> = {
  name: 'Adadelta',
  pytorch: {
    since: '1.13',
    groupKeys: ['lr', 'rho', 'eps', 'weight_decay', 'maximize', ['foreach', null]],
    tensorState: {},
  },
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false },
  check(h) {
    checkLr(h.lr);
    if (!(typeof h.rho === 'number' && h.rho >= 0 && h.rho <= 1))
      throw new ValueError(`Invalid rho value: ${h.rho}`);
    checkEps(h.eps);
    checkNonNegative('weight_decay', h.weightDecay);
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, squareAvg: zeros(), accDelta: zeros() }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      st.step++;
      return { lr, wd: g.weightDecay, rho: g.rho, oneMinusRho: 1 - g.rho, eps: g.eps };
    },
    program: (cfg) =>
      defineFused(
        'adadelta',
        ['param', 'grad', 'squareAvg', 'accDelta'],
        ['lr', 'wd', 'rho', 'oneMinusRho', 'eps'],
        (f) => {
          const { buf: b, s } = f;
          const { g } = preamble(f, cfg);
          const sq = assign(f, 'squareAvg', emaSq(b.squareAvg, g, s.rho, s.oneMinusRho));
          const std = sq.add(s.eps).sqrt();
          const delta = f.let(b.accDelta.add(s.eps).sqrt().div(std).mul(g));
          f.store('accDelta', emaSq(b.accDelta, delta, s.rho, s.oneMinusRho));
          f.store('param', b.param.sub(delta.mul(s.lr)));
        },
      ),
  }),
};
