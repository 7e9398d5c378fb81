import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, gradient, weightDecayOf } from './builders.js';
import type { Params } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { zerosState } from './state.js';
import { checkBool, checkLr, checkNonNegative } from './validate.js';

/** Options of `SGD` (PyTorch's keyword arguments, camelCase). */
export interface SGDOptions {
  /** Learning rate (default 1e-3, as latest PyTorch; 1.13 required it). */
  lr?: number | Tensor;
  /** Momentum factor (PyTorch's `momentum`). */
  momentum?: number;
  /** Dampening for momentum (PyTorch's `dampening`). */
  dampening?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Use Nesterov momentum (PyTorch's `nesterov`). */
  nesterov?: boolean;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.SGD`: stochastic gradient descent with momentum, dampening, Nesterov,
 * L2 weight decay and maximize.
 *
 *   g ← ∇ (negated if maximize);  g ← g + λθ
 *   if μ ≠ 0: b ← g on the first step, else b ← μb + (1−τ)g;  g ← nesterov ? g + μb : b
 *   θ ← θ − γg
 *
 * State: `momentumBuffer` (only when momentum ≠ 0).
 */
export class SGD extends SpecOptimizer<SGDOptions> {
  constructor(params: Params, options: SGDOptions = {}) {
    super(params, options, sgd);
  }
}

function checkNesterov(h: { nesterov: boolean; momentum: number; dampening: number }): void {
  if (h.nesterov && (h.momentum <= 0 || h.dampening !== 0)) {
    throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
  }
}

/** SGD's spec. */
export const sgd: OptimizerSpec<SGDOptions> = {
  name: 'SGD',
  pytorch: {
    since: '1.13',
    groupKeys: [
      'lr',
      'momentum',
      'dampening',
      'weight_decay',
      'nesterov',
      'maximize',
      ['foreach', null],
      ['differentiable', false],
    ],
    tensorState: {},
    stateDefaults: { momentumBuffer: null },
  },
  defaults: { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false },
  check(h) {
    checkLr(h.lr);
    checkNonNegative('momentum', h.momentum);
    checkNonNegative('weight_decay', h.weightDecay);
    checkBool('nesterov', h.nesterov);
    checkBool('maximize', h.maximize);
    checkNesterov(h);
  },
  checkGroup(g) {
    checkLr(g.lr);
    checkNesterov(g);
  },
  // PyTorch writes momentum_buffer None without momentum; a null buffer is the first step's.
  state: () => ({ momentumBuffer: { kind: 'tensor', nullable: true } }),
  update: fusedUpdate({
    config: (g) => ({
      maximize: g.maximize,
      wd: weightDecayOf(g),
      momentum: g.momentum !== 0,
      nesterov: g.nesterov,
    }),
    scalars(g, lr, st, p) {
      const first = g.momentum !== 0 && st.momentumBuffer == null;
      if (first) st.momentumBuffer = zerosState(p);
      // First step: b = 0·b + 1·g = g exactly (b is fresh zeros), as PyTorch's clone.
      // Without momentum the program declares neither the buffer nor its scalars.
      return {
        lr,
        wd: g.weightDecay,
        momentum: g.momentum,
        bufDecay: first ? 0 : g.momentum,
        gradScale: first ? 1 : 1 - g.dampening,
      };
    },
    program: (cfg) =>
      defineFused(
        'sgd',
        cfg.momentum ? ['param', 'grad', 'momentumBuffer'] : ['param', 'grad'],
        cfg.momentum ? ['lr', 'wd', 'momentum', 'bufDecay', 'gradScale'] : ['lr', 'wd'],
        (f) => {
          const { buf: b, s } = f;
          let g = gradient(f, cfg.maximize);
          // PyTorch's d_p.add(param, alpha=weight_decay), not bound to a local.
          if (cfg.wd === 'l2') g = g.add(b.param.mul(s.wd));
          if (cfg.momentum) {
            const buf = assign(f, 'momentumBuffer', b.momentumBuffer.mul(s.bufDecay).add(g.mul(s.gradScale)));
            g = cfg.nesterov ? g.add(buf.mul(s.momentum)) : buf;
          }
          f.store('param', b.param.sub(g.mul(s.lr)));
        },
      ),
  }),
};
