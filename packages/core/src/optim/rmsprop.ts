import { defineFused, type Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, ema, emaSq, preamble, weightDecayOf } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, zeros } from './state.js';
import { checkBool, checkEps, checkLr, checkNonNegative } from './validate.js';

/** Options of `RMSprop`. */
export interface RMSpropOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Smoothing constant (PyTorch's `alpha`). */
  alpha?: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Momentum factor (PyTorch's `momentum`). */
  momentum?: number;
  /** Normalise by an estimate of the gradient's variance (PyTorch's `centered`). */
  centered?: boolean;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.RMSprop`.
 *
 *   g ← ∇ (+λθ);  v ← αv + (1−α)g²;  centered: ḡ ← lerp(ḡ, g, 1−α), a ← sqrt(v − ḡ²) + ε, else a ← sqrt(v) + ε
 *   μ > 0: b ← μb + g/a, θ ← θ − γb;  else θ ← θ − γg/a
 *
 * State: `step`, `squareAvg`, `momentumBuffer` (momentum > 0), `gradAvg` (centered).
 */
export class RMSprop extends SpecOptimizer<RMSpropOptions> {
  constructor(params: Params, options: RMSpropOptions = {}) {
    super(params, options, rmsprop);
  }
}

/** RMSprop's spec. */
export const rmsprop: OptimizerSpec<RMSpropOptions> = {
  name: 'RMSprop',
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'momentum',
      'alpha',
      'eps',
      'centered',
      'weight_decay',
      ['foreach', null],
      'maximize',
      ['differentiable', false],
    ],
    tensorState: {},
  },
  defaults: {
    lr: 1e-2,
    alpha: 0.99,
    eps: 1e-8,
    weightDecay: 0,
    momentum: 0,
    centered: false,
    maximize: false,
  },
  check(h) {
    checkLr(h.lr);
    checkEps(h.eps);
    checkNonNegative('momentum', h.momentum);
    checkNonNegative('weight_decay', h.weightDecay);
    checkNonNegative('alpha', h.alpha);
    checkBool('centered', h.centered);
    checkBool('maximize', h.maximize);
  },
  state: (g) => ({
    step: count,
    squareAvg: zeros(),
    momentumBuffer: zeros({ when: g.momentum > 0 }),
    gradAvg: zeros({ when: g.centered }),
  }),
  update: fusedUpdate({
    config: (g) => ({
      maximize: g.maximize,
      wd: weightDecayOf(g),
      centered: g.centered,
      momentum: g.momentum > 0,
    }),
    scalars(g, lr, st) {
      st.step++;
      return {
        lr,
        wd: g.weightDecay,
        alpha: g.alpha,
        oneMinusAlpha: 1 - g.alpha,
        eps: g.eps,
        momentum: g.momentum,
      };
    },
    program: (cfg) =>
      defineFused(
        'rmsprop',
        [
          'param',
          'grad',
          'squareAvg',
          ...(cfg.centered ? (['gradAvg'] as const) : []),
          ...(cfg.momentum ? (['momentumBuffer'] as const) : []),
        ],
        ['lr', 'wd', 'alpha', 'oneMinusAlpha', 'eps', 'momentum'],
        (f) => {
          const { buf: b, s } = f;
          const { g } = preamble(f, cfg);
          const sq = assign(f, 'squareAvg', emaSq(b.squareAvg, g, s.alpha, s.oneMinusAlpha));
          let avg: Ex;
          if (cfg.centered) {
            const ga = assign(f, 'gradAvg', ema(b.gradAvg, g, s.oneMinusAlpha));
            avg = f.let(sq.sub(ga.mul(ga)).sqrt().add(s.eps));
          } else {
            avg = f.let(sq.sqrt().add(s.eps));
          }
          if (cfg.momentum) {
            const buf = assign(f, 'momentumBuffer', b.momentumBuffer.mul(s.momentum).add(g.div(avg)));
            f.store('param', b.param.sub(buf.mul(s.lr)));
          } else {
            f.store('param', b.param.sub(s.lr.mul(g).div(avg)));
          }
        },
      ),
  }),
};
