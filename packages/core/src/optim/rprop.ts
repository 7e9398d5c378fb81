import { ValueError } from '../errors.js';
import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { assign, gradient } from './builders.js';
import { type Params, scalarValue } from './paramGroups.js';
import { fusedUpdate, type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, full, zeros } from './state.js';
import { checkBool, checkLr } from './validate.js';

/** Options of `Rprop`. */
export interface RpropOptions {
  /** Only seeds each element's initial step size. */
  lr?: number | Tensor;
  /** (η−, η+): multiplicative decrease and increase factors. */
  etas?: [number, number];
  /** (Γmin, Γmax): bounds of the step sizes. */
  stepSizes?: [number, number];
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.Rprop`: resilient backpropagation (sign-based, no weight decay).
 *
 *   s ← sign(g·prev);  η ← η+ if s > 0, η− if s < 0, else 1
 *   Δ ← clamp(Δ·η, Γmin, Γmax);  g ← 0 where η = η−;  θ ← θ − sign(g)·Δ;  prev ← g
 *
 * State: `step`, `prev`, `stepSize` (starts at lr).
 */
export class Rprop extends SpecOptimizer<RpropOptions> {
  constructor(params: Params, options: RpropOptions = {}) {
    super(params, options, rprop);
  }
}

const stepSize = full((g) => scalarValue(g.lr));

/** Rprop's spec. */
export const rprop: OptimizerSpec<RpropOptions> = {
  name: 'Rprop',
  pytorch: {
    since: '1.13',
    groupKeys: ['lr', 'etas', 'step_sizes', ['foreach', null], 'maximize'],
    tensorState: {},
  },
  defaults: { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false },
  check(h) {
    checkLr(h.lr);
    const e = h.etas;
    if (!Array.isArray(e) || e.length !== 2 || !(0 < e[0] && e[0] < 1 && 1 < e[1])) {
      throw new ValueError(`Invalid eta values: ${Array.isArray(e) ? e.join(', ') : String(e)}`);
    }
    const s = h.stepSizes;
    if (!Array.isArray(s) || s.length !== 2 || typeof s[0] !== 'number' || typeof s[1] !== 'number') {
      throw new ValueError(`Invalid step_sizes: ${String(s)}`);
    }
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, prev: zeros(), stepSize }),
  update: fusedUpdate({
    config: (g) => ({ maximize: g.maximize }),
    scalars(g, _lr, st) {
      st.step++;
      const [etaminus, etaplus] = g.etas;
      const [stepMin, stepMax] = g.stepSizes;
      return { etaminus, etaplus, stepMin, stepMax };
    },
    program: (cfg) =>
      defineFused(
        'rprop',
        ['param', 'grad', 'prev', 'stepSize'],
        ['etaminus', 'etaplus', 'stepMin', 'stepMax'],
        (f) => {
          const { buf: b, s } = f;
          const g = f.let(gradient(f, cfg.maximize));
          const sign = f.let(g.mul(b.prev).sign());
          const factor = f.let(Ex.select(sign.gt(0), s.etaplus, Ex.select(sign.lt(0), s.etaminus, 1)));
          const size = assign(f, 'stepSize', b.stepSize.mul(factor).max(s.stepMin).min(s.stepMax));
          const gz = f.let(Ex.select(factor.eq(s.etaminus), 0, g));
          f.store('param', b.param.sub(gz.sign().mul(size)));
          f.store('prev', gz);
        },
      ),
  }),
};
