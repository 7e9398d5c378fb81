import { ValueError } from '../errors.js';
import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, fullState, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkKnownOptions, checkLr } from './validate.js';

/** Options of `Rprop`. */
export interface RpropOptions {
  /** Only seeds each element's initial step size. */
  lr?: number | Tensor;
  /** (η−, η+): multiplicative decrease and increase factors. */
  etas?: [number, number];
  /** (Γmin, Γmax): bounds of the step sizes. */
  stepSizes?: [number, number];
  maximize?: boolean;
}

const rpropDefaults = {
  lr: 1e-2,
  etas: [0.5, 1.2] as [number, number],
  stepSizes: [1e-6, 50] as [number, number],
  maximize: false,
};

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  const e = d.etas;
  if (!Array.isArray(e) || e.length !== 2 || !(0 < e[0] && e[0] < 1 && 1 < e[1])) {
    throw new ValueError(`Invalid eta values: ${Array.isArray(e) ? e.join(', ') : String(e)}`);
  }
  const s = d.stepSizes;
  if (!Array.isArray(s) || s.length !== 2 || typeof s[0] !== 'number' || typeof s[1] !== 'number') {
    throw new ValueError(`Invalid step_sizes: ${String(s)}`);
  }
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.Rprop`: resilient backpropagation (sign-based, no weight decay).
 *
 *   s ← sign(g·prev);  η ← η+ if s > 0, η− if s < 0, else 1
 *   Δ ← clamp(Δ·η, Γmin, Γmax);  g ← 0 where η = η−;  θ ← θ − sign(g)·Δ;  prev ← g
 *
 * State: `step`, `prev`, `stepSize` (starts at lr).
 */
export class Rprop extends Optimizer {
  constructor(params: Params, options: RpropOptions = {}) {
    checkKnownOptions('Rprop', options, rpropDefaults);
    const d = { ...rpropDefaults, ...options };
    check(d);
    super(params, d, rpropDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      prev: { kind: 'tensor', required: true },
      stepSize: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [etaminus, etaplus] = group.etas as [number, number];
      const [smin, smax] = group.stepSizes as [number, number];
      const cfg = { maximize: !!group.maximize };
      const program = cachedProgram('rprop', cfg, () => rpropProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.prev ??= zerosState(p);
        st.stepSize ??= fullState(p, lr);
        st.step++;
        entries.push({
          buffers: { param: p, grad: g, prev: st.prev, stepSize: st.stepSize },
          scalars: { etaminus, etaplus, stepMin: smin, stepMax: smax },
        });
      }
      runGroup(program, entries);
    }
  }
}

function rpropProgram(cfg: { maximize: boolean }) {
  return defineFused(
    'rprop',
    ['param', 'grad', 'prev', 'stepSize'],
    ['etaminus', 'etaplus', 'stepMin', 'stepMax'],
    (f) => {
      const b = f.buf;
      const s = f.s;
      const g = f.let(cfg.maximize ? b.grad.neg() : b.grad);
      const sign = f.let(g.mul(b.prev).sign());
      const factor = f.let(Ex.select(sign.gt(0), s.etaplus, Ex.select(sign.lt(0), s.etaminus, 1)));
      const size = f.let(b.stepSize.mul(factor).max(s.stepMin).min(s.stepMax));
      f.store('stepSize', size);
      const gz = f.let(Ex.select(factor.eq(s.etaminus), 0, g));
      f.store('param', b.param.sub(gz.sign().mul(size)));
      f.store('prev', gz);
    },
  );
}
