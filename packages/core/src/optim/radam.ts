import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { checkAdamLike } from './adam.js';
import { assign, ema, emaSq, preamble, preambleConfig } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, zeros } from './state.js';

/** Options of `RAdam`. */
export interface RAdamOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficients of the running averages of the gradient and its square (PyTorch's `betas`). */
  betas?: [number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Decoupled (AdamW-style) weight decay instead of L2 (PyTorch's `decoupled_weight_decay`). */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.RAdam`: rectified Adam.
 *
 *   t ← t+1;  g ← ∇;  decoupled: θ ← θ(1−γλ) else g ← g + λθ;  m, v as Adam;  m̂ ← m/(1−β1^t)
 *   ρ∞ ← 2/(1−β2) − 1;  ρ_t ← ρ∞ − 2tβ2^t/(1−β2^t)
 *   ρ_t > 5: r ← sqrt((ρ_t−4)(ρ_t−2)ρ∞/((ρ∞−4)(ρ∞−2)ρ_t)), θ ← θ − γ·m̂·sqrt(1−β2^t)/(sqrt(v)+ε)·r
 *   else θ ← θ − γ·m̂
 *
 * State: `step`, `expAvg`, `expAvgSq`.
 */
export class RAdam extends SpecOptimizer<RAdamOptions> {
  constructor(params: Params, options: RAdamOptions = {}) {
    super(params, options, radam);
  }
}

/** RAdam's spec. */
export const radam: OptimizerSpec<RAdamOptions> = {
  name: 'RAdam',
  // 1.13 has no maximize or decoupled_weight_decay (written only where they are not the default).
  pytorch: { since: '1.13', groupKeys: ['lr', 'betas', 'eps', 'weight_decay', ['foreach', null]] },
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    decoupledWeightDecay: false,
    maximize: false,
  },
  check: checkAdamLike,
  state: () => ({ step: count, expAvg: zeros(), expAvgSq: zeros() }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      const [beta1, beta2] = g.betas;
      const t = ++st.step;
      const bc2 = 1 - beta2 ** t;
      const rhoInf = 2 / (1 - beta2) - 1;
      const rhoT = rhoInf - (2 * t * beta2 ** t) / bc2;
      const rect =
        rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
      return {
        decay: 1 - lr * g.weightDecay,
        wd: g.weightDecay,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        eps: g.eps,
        bc1: 1 - beta1 ** t,
        lr,
        bc2Sqrt: Math.sqrt(bc2),
        rect,
        rectify: rhoT > 5 ? 1 : 0,
      };
    },
    program: (cfg) =>
      defineFused(
        'radam',
        ['param', 'grad', 'expAvg', 'expAvgSq'],
        [
          'decay',
          'wd',
          'oneMinusBeta1',
          'beta2',
          'oneMinusBeta2',
          'eps',
          'bc1',
          'lr',
          'bc2Sqrt',
          'rect',
          'rectify',
        ],
        (f) => {
          const { buf: b, s } = f;
          const { g, p } = preamble(f, cfg);
          const m = assign(f, 'expAvg', ema(b.expAvg, g, s.oneMinusBeta1));
          const v = assign(f, 'expAvgSq', emaSq(b.expAvgSq, g, s.beta2, s.oneMinusBeta2));
          const mhatLr = f.let(m.div(s.bc1).mul(s.lr));
          const adaptive = s.bc2Sqrt.div(v.sqrt().add(s.eps));
          f.store('param', p.sub(Ex.select(s.rectify, mhatLr.mul(adaptive).mul(s.rect), mhatLr)));
        },
      ),
  }),
};
