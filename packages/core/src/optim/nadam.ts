import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { checkAdamLike } from './adam.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkKnownOptions } from './validate.js';

/** Options of `NAdam`. */
export interface NAdamOptions {
  lr?: number | Tensor;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** ψ in μ_t = β1(1 − 0.5·0.96^(tψ)). */
  momentumDecay?: number;
  decoupledWeightDecay?: boolean;
  maximize?: boolean;
}

const nadamDefaults = {
  lr: 2e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  momentumDecay: 4e-3,
  decoupledWeightDecay: false,
  maximize: false,
};

function check(d: Record<string, any>): void {
  checkAdamLike('NAdam', d);
  if (!(typeof d.momentumDecay === 'number' && d.momentumDecay >= 0))
    throw new ValueError(`Invalid momentum_decay value: ${d.momentumDecay}`);
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
export class NAdam extends Optimizer {
  constructor(params: Params, options: NAdamOptions = {}) {
    checkKnownOptions('NAdam', options, nadamDefaults);
    const d = { ...nadamDefaults, ...options };
    check(d);
    super(params, d, nadamDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      muProduct: { kind: 'number', required: true },
      expAvg: { kind: 'tensor', required: true },
      expAvgSq: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [beta1, beta2] = group.betas as [number, number];
      const wd: number = group.weightDecay;
      const psi: number = group.momentumDecay;
      const cfg = {
        maximize: !!group.maximize,
        wd: wd === 0 ? 'none' : group.decoupledWeightDecay ? 'decoupled' : 'l2',
      };
      const program = cachedProgram('nadam', cfg, () => nadamProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.muProduct ??= 1;
        st.expAvg ??= zerosState(p);
        st.expAvgSq ??= zerosState(p);
        const step = ++st.step;
        const bc2 = 1 - beta2 ** step;
        const mu = beta1 * (1 - 0.5 * 0.96 ** (step * psi));
        const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * psi));
        // PyTorch multiplies its float32 tensor by mu cast to float32.
        const muProduct = (st.muProduct = Math.fround(st.muProduct * Math.fround(mu)));
        const muProductNext = muProduct * muNext;
        entries.push({
          buffers: { param: p, grad: g, expAvg: st.expAvg, expAvgSq: st.expAvgSq },
          scalars: {
            decay: 1 - lr * wd,
            wd,
            oneMinusBeta1: 1 - beta1,
            beta2,
            oneMinusBeta2: 1 - beta2,
            bc2,
            eps: group.eps,
            gradCoef: (-lr * (1 - mu)) / (1 - muProduct),
            avgCoef: (-lr * muNext) / (1 - muProductNext),
          },
        });
      }
      runGroup(program, entries);
    }
  }
}

function nadamProgram(cfg: { maximize: boolean; wd: string }) {
  return defineFused(
    'nadam',
    ['param', 'grad', 'expAvg', 'expAvgSq'],
    ['decay', 'wd', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'bc2', 'eps', 'gradCoef', 'avgCoef'],
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
      const denom = f.let(v.div(s.bc2).sqrt().add(s.eps));
      f.store('param', p.add(s.gradCoef.mul(g).div(denom)).add(s.avgCoef.mul(m).div(denom)));
    },
  );
}
