import { ValueError } from '../errors.js';
import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { ema, preamble, preambleConfig } from './builders.js';
import { type Params, scalarValue } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, scalar, zeros } from './state.js';
import { checkBool, checkLr, checkNonNegative } from './validate.js';

/** Options of `ASGD`. */
export interface ASGDOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Decay term (PyTorch's `lambd`). */
  lambd?: number;
  /** Power for the eta update (PyTorch's `alpha`). */
  alpha?: number;
  /** Step at which averaging starts (PyTorch's `t0`). */
  t0?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.ASGD`: averaged SGD.
 *
 *   t ← t+1;  g ← ∇ (+λθ);  θ ← θ(1 − lambd·η);  θ ← θ − η·g;  ax ← μ ≠ 1 ? ax + μ(θ − ax) : θ
 *   η ← γ/(1 + lambd·γ·t)^α;  μ ← 1/max(1, t − t0)
 *
 * State: `step`, `eta`, `mu` (numbers, rounded to float32 as PyTorch's float32 0-dim
 * tensors are, so trajectories match PyTorch's), `ax`.
 */
export class ASGD extends SpecOptimizer<ASGDOptions> {
  constructor(params: Params, options: ASGDOptions = {}) {
    super(params, options, asgd);
  }
}

const eta = scalar((g) => Math.fround(scalarValue(g.lr)));
const mu = scalar(() => 1);

/** ASGD's spec. */
export const asgd: OptimizerSpec<ASGDOptions> = {
  name: 'ASGD',
  pytorch: {
    since: '1.13',
    groupKeys: ['lr', 'lambd', 'alpha', 't0', 'weight_decay', ['foreach', null], 'maximize'],
    tensorState: { step: 'float32', eta: 'float32', mu: 'float32' },
  },
  defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  check(h) {
    checkLr(h.lr);
    checkNonNegative('weight_decay', h.weightDecay);
    for (const k of ['lambd', 'alpha', 't0'] as const) {
      if (typeof h[k] !== 'number' || Number.isNaN(h[k])) throw new ValueError(`Invalid ${k} value: ${h[k]}`);
    }
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, eta, mu, ax: zeros() }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      const t = ++st.step;
      const { eta, mu } = st;
      // The next step's η and μ, rounded as PyTorch's float32 tensors.
      st.eta = Math.fround(lr / (1 + g.lambd * lr * t) ** g.alpha);
      st.mu = Math.fround(1 / Math.max(1, t - g.t0));
      return { decay: 1 - g.lambd * eta, eta, wd: g.weightDecay, mu, average: mu !== 1 ? 1 : 0 };
    },
    program: (cfg) =>
      defineFused('asgd', ['param', 'grad', 'ax'], ['decay', 'eta', 'wd', 'mu', 'average'], (f) => {
        const { buf: b, s } = f;
        const { g } = preamble(f, cfg);
        const p = f.let(b.param.mul(s.decay).sub(g.mul(s.eta)));
        f.store('param', p);
        f.store('ax', Ex.select(s.average, ema(b.ax, p, s.mu), p));
      }),
  }),
};
