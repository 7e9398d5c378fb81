import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { checkAdamLike } from './adam.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkKnownOptions } from './validate.js';

/** Options of `RAdam`. */
export interface RAdamOptions {
  lr?: number | Tensor;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  decoupledWeightDecay?: boolean;
  maximize?: boolean;
}

const radamDefaults = {
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  decoupledWeightDecay: false,
  maximize: false,
};

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
export class RAdam extends Optimizer {
  constructor(params: Params, options: RAdamOptions = {}) {
    checkKnownOptions('RAdam', options, radamDefaults);
    const d = { ...radamDefaults, ...options };
    checkAdamLike('RAdam', d);
    super(params, d, radamDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    checkAdamLike('RAdam', g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      expAvg: { kind: 'tensor', required: true },
      expAvgSq: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [beta1, beta2] = group.betas as [number, number];
      const wd: number = group.weightDecay;
      const cfg = {
        maximize: !!group.maximize,
        wd: wd === 0 ? 'none' : group.decoupledWeightDecay ? 'decoupled' : 'l2',
      };
      const program = cachedProgram('radam', cfg, () => radamProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.expAvg ??= zerosState(p);
        st.expAvgSq ??= zerosState(p);
        const step = ++st.step;
        const bc1 = 1 - beta1 ** step;
        const bc2 = 1 - beta2 ** step;
        const rhoInf = 2 / (1 - beta2) - 1;
        const rhoT = rhoInf - (2 * step * beta2 ** step) / bc2;
        const rect =
          rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
        entries.push({
          buffers: { param: p, grad: g, expAvg: st.expAvg, expAvgSq: st.expAvgSq },
          scalars: {
            decay: 1 - lr * wd,
            wd,
            oneMinusBeta1: 1 - beta1,
            beta2,
            oneMinusBeta2: 1 - beta2,
            eps: group.eps,
            bc1,
            lr,
            bc2Sqrt: Math.sqrt(bc2),
            rect,
            rectify: rhoT > 5 ? 1 : 0,
          },
        });
      }
      runGroup(program, entries);
    }
  }
}

function radamProgram(cfg: { maximize: boolean; wd: string }) {
  return defineFused(
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
      const b = f.buf;
      const s = f.s;
      let g = cfg.maximize ? b.grad.neg() : b.grad;
      let p = b.param;
      if (cfg.wd === 'decoupled') p = f.let(p.mul(s.decay));
      else if (cfg.wd === 'l2') g = f.let(g.add(p.mul(s.wd)));
      const m = f.let(b.expAvg.add(g.sub(b.expAvg).mul(s.oneMinusBeta1)));
      f.store('expAvg', m);
      const v = f.let(b.expAvgSq.mul(s.beta2).add(s.oneMinusBeta2.mul(g).mul(g)));
      f.store('expAvgSq', v);
      const mhatLr = f.let(m.div(s.bc1).mul(s.lr));
      const adaptive = s.bc2Sqrt.div(v.sqrt().add(s.eps));
      f.store('param', p.sub(Ex.select(s.rectify, mhatLr.mul(adaptive).mul(s.rect), mhatLr)));
    },
  );
}
