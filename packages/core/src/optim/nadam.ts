import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { checkAdamLike } from './adam.js';
import { assign, ema, emaSq, preamble, preambleConfig } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, scalar, zeros } from './state.js';
import { checkNonNegative } from './validate.js';

/** Options of `NAdam`. */
export interface NAdamOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficients of the running averages of the gradient and its square (PyTorch's `betas`). */
  betas?: [number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** ψ in μ_t = β1(1 − 0.5·0.96^(tψ)). */
  momentumDecay?: number;
  /** Decoupled (AdamW-style) weight decay instead of L2 (PyTorch's `decoupled_weight_decay`). */
  decoupledWeightDecay?: boolean;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.NAdam` (latest PyTorch: the second term's denominator is 1 − Π·μ_{t+1};
 * PyTorch 1.13 had an extra factor μ_t there).
 *
 *   t ← t+1;  g ← ∇;  decoupled: θ ← θ(1−γλ) else g ← g + λθ
 *   μ_t ← β1(1 − 0.5·0.96^(tψ));  Π ← Π·μ_t;  m ← lerp(m, g, 1−β1);  v ← β2v + (1−β2)g²
 *   d ← sqrt(v/(1−β2^t)) + ε;  θ ← θ − γ(1−μ_t)/(1−Π)·g/d − γμ_{t+1}/(1−Π·μ_{t+1})·m/d
 *
 * State: `step`, `muProduct` (a number rounded to float32, as PyTorch's float32 tensor),
 * `expAvg`, `expAvgSq`.
 */
export class NAdam extends SpecOptimizer<NAdamOptions> {
  constructor(params: Params, options: NAdamOptions = {}) {
    super(params, options, nadam);
  }
}

const muProduct = scalar(() => 1);

/** NAdam's spec. */
export const nadam: OptimizerSpec<NAdamOptions> = {
  name: 'NAdam',
  // 1.13 has no maximize or decoupled_weight_decay (written only where they are not the default).
  pytorch: {
    since: '1.13',
    groupKeys: ['lr', 'betas', 'eps', 'weight_decay', 'momentum_decay', ['foreach', null]],
    tensorState: { step: 'float32', muProduct: 'float32' },
  },
  defaults: {
    lr: 2e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    momentumDecay: 4e-3,
    decoupledWeightDecay: false,
    maximize: false,
  },
  check(h, name) {
    checkAdamLike(h, name);
    checkNonNegative('momentum_decay', h.momentumDecay);
  },
  state: () => ({ step: count, muProduct, expAvg: zeros(), expAvgSq: zeros() }),
  update: fusedUpdate({
    config: (g) => preambleConfig(g),
    scalars(g, lr, st) {
      const [beta1, beta2] = g.betas;
      const psi = g.momentumDecay;
      const t = ++st.step;
      const mu = beta1 * (1 - 0.5 * 0.96 ** (t * psi));
      const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * psi));
      // PyTorch multiplies its float32 tensor by mu cast to float32.
      const muProduct = (st.muProduct = Math.fround(st.muProduct * Math.fround(mu)));
      const muProductNext = muProduct * muNext;
      return {
        decay: 1 - lr * g.weightDecay,
        wd: g.weightDecay,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        bc2: 1 - beta2 ** t,
        eps: g.eps,
        gradCoef: (-lr * (1 - mu)) / (1 - muProduct),
        avgCoef: (-lr * muNext) / (1 - muProductNext),
      };
    },
    program: (cfg) =>
      defineFused(
        'nadam',
        ['param', 'grad', 'expAvg', 'expAvgSq'],
        ['decay', 'wd', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'bc2', 'eps', 'gradCoef', 'avgCoef'],
        (f) => {
          const { buf: b, s } = f;
          const { g, p } = preamble(f, cfg);
          const m = assign(f, 'expAvg', ema(b.expAvg, g, s.oneMinusBeta1));
          const v = assign(f, 'expAvgSq', emaSq(b.expAvgSq, g, s.beta2, s.oneMinusBeta2));
          const denom = f.let(v.div(s.bc2).sqrt().add(s.eps));
          f.store('param', p.add(s.gradCoef.mul(g).div(denom)).add(s.avgCoef.mul(m).div(denom)));
        },
      ),
  }),
};
