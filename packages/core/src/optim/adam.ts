import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, ema, emaSq, preamble, weightDecayOf } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, zeros } from './state.js';
import { checkBetas, checkBool, checkEps, checkLr, checkNonNegative } from './validate.js';

/** Options of `Adam` (PyTorch's keyword arguments, camelCase). */
export interface AdamOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficients of the running averages of the gradient and its square (PyTorch's `betas`). */
  betas?: [number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Use the AMSGrad variant (PyTorch's `amsgrad`). */
  amsgrad?: boolean;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
  /** Latest PyTorch: decay the weights directly (AdamW) instead of adding λθ to the gradient. */
  decoupledWeightDecay?: boolean;
}

/** The checks of Adam and the optimizers built like it (NAdam, RAdam), with PyTorch's messages. */
export function checkAdamLike(h: Readonly<Record<string, any>>, name: string): void {
  checkLr(h.lr);
  checkEps(h.eps);
  checkBetas(h.betas);
  checkNonNegative('weight_decay', h.weightDecay);
  for (const k of ['amsgrad', 'maximize', 'decoupledWeightDecay'])
    if (k in h) checkBool(`${name} ${k}`, h[k]);
}

/**
 * `torch.optim.Adam` (and, with `decoupledWeightDecay`, AdamW).
 *
 *   t ← t+1;  g ← ∇ (−∇ if maximize);  decoupled: θ ← θ(1−γλ)  else g ← g + λθ
 *   m ← lerp(m, g, 1−β1);  v ← β2·v + (1−β2)g²;  amsgrad: v̂ ← max(v̂, v)
 *   θ ← θ − γ/(1−β1^t) · m / (sqrt(v or v̂)/sqrt(1−β2^t) + ε)
 *
 * State: `step`, `expAvg`, `expAvgSq`, `maxExpAvgSq` (amsgrad).
 */
export class Adam extends SpecOptimizer<AdamOptions> {
  /** `defaults`: other class defaults for the same algorithm (AdamW's). */
  constructor(params: Params, options: AdamOptions = {}, defaults: Record<string, any> = adam.defaults) {
    super(
      params,
      options,
      defaults === adam.defaults
        ? adam
        : defaults === adamwDefaults
          ? adamw
          : { ...adam, defaults: defaults as typeof adam.defaults },
    );
  }
}

/** Adam's spec: defaults, checks, state (`step`, `expAvg`, `expAvgSq`, `maxExpAvgSq` with amsgrad) and update. */
export const adam: OptimizerSpec<AdamOptions> = {
  defaults: {
    lr: 1e-3,
    betas: [0.9, 0.999],
    eps: 1e-8,
    weightDecay: 0,
    amsgrad: false,
    maximize: false,
    decoupledWeightDecay: false,
  },
  check: checkAdamLike,
  // decoupled_weight_decay is latest PyTorch's (written only when true; 1.13 ignores it).
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'betas',
      'eps',
      'weight_decay',
      'amsgrad',
      'maximize',
      ['foreach', null],
      ['capturable', false],
      ['differentiable', false],
      ['fused', false],
    ],
  },
  state: (g) => ({
    step: count,
    expAvg: zeros(),
    expAvgSq: zeros(),
    maxExpAvgSq: zeros({ when: g.amsgrad }),
  }),
  update: fusedUpdate({
    config: (g) => ({ maximize: g.maximize, wd: weightDecayOf(g), amsgrad: g.amsgrad }),
    scalars(g, lr, st) {
      const [beta1, beta2] = g.betas;
      const t = ++st.step;
      return {
        stepSize: lr / (1 - beta1 ** t),
        wd: g.weightDecay,
        decay: 1 - lr * g.weightDecay,
        oneMinusBeta1: 1 - beta1,
        beta2,
        oneMinusBeta2: 1 - beta2,
        eps: g.eps,
        invBc2Sqrt: 1 / Math.sqrt(1 - beta2 ** t),
      };
    },
    program: (cfg) =>
      defineFused(
        'adam',
        cfg.amsgrad
          ? ['param', 'grad', 'expAvg', 'expAvgSq', 'maxExpAvgSq']
          : ['param', 'grad', 'expAvg', 'expAvgSq'],
        ['stepSize', 'wd', 'decay', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'eps', 'invBc2Sqrt'],
        (f) => {
          const { buf: b, s } = f;
          const { g, p } = preamble(f, cfg);
          const m = assign(f, 'expAvg', ema(b.expAvg, g, s.oneMinusBeta1));
          const v = assign(f, 'expAvgSq', emaSq(b.expAvgSq, g, s.beta2, s.oneMinusBeta2));
          const vMax = cfg.amsgrad ? assign(f, 'maxExpAvgSq', b.maxExpAvgSq.max(v)) : v;
          // PyTorch divides by sqrt(1−β2^t); multiplying by its reciprocal (host-computed) saves a
          // division per element and moves a float64 result by at most an ulp.
          const denom = vMax.sqrt().mul(s.invBc2Sqrt).add(s.eps);
          // PyTorch's addcdiv computes (value·m)/denom; the same order keeps float64 results identical.
          f.store('param', p.sub(s.stepSize.mul(m).div(denom)));
        },
      ),
  }),
};

/** Options of `AdamW`: Adam's, with weight decay 1e-2 and always decoupled. */
export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

const adamwDefaults = { ...adam.defaults, weightDecay: 1e-2, decoupledWeightDecay: true };

/** AdamW's spec: Adam's, with AdamW's defaults and PyTorch 1.13's AdamW state-dict layout. */
const adamw: OptimizerSpec<AdamOptions> = {
  ...adam,
  defaults: adamwDefaults,
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'betas',
      'eps',
      'weight_decay',
      'amsgrad',
      ['foreach', null],
      'maximize',
      ['capturable', false],
    ],
  },
};

/**
 * `torch.optim.AdamW`: Adam with decoupled weight decay θ ← θ(1−γλ) (default λ = 1e-2).
 * As in latest PyTorch it is Adam with `decoupledWeightDecay: true`.
 */
export class AdamW extends Adam {
  constructor(params: Params, options: AdamWOptions = {}) {
    if ('decoupledWeightDecay' in options) {
      throw new TypeError("AdamW got an unexpected option 'decoupledWeightDecay' (AdamW always decouples)");
    }
    super(params, options, adamwDefaults);
  }
}
