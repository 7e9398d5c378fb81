import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkEps, checkKnownOptions, checkLr } from './validate.js';

/** Options of `Adadelta`. */
export interface AdadeltaOptions {
  lr?: number | Tensor;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

const adadeltaDefaults = { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false };

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  if (!(typeof d.rho === 'number' && d.rho >= 0 && d.rho <= 1))
    throw new ValueError(`Invalid rho value: ${d.rho}`);
  checkEps(d.eps);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.Adadelta`.
 *
 *   g ← ∇ (+λθ);  v ← ρv + (1−ρ)g²;  δ ← sqrt(u + ε)/sqrt(v + ε) · g;  u ← ρu + (1−ρ)δ²;  θ ← θ − γδ
 *
 * State: `step`, `squareAvg`, `accDelta`.
 */
export class Adadelta extends Optimizer {
  constructor(params: Params, options: AdadeltaOptions = {}) {
    checkKnownOptions('Adadelta', options, adadeltaDefaults);
    const d = { ...adadeltaDefaults, ...options };
    check(d);
    super(params, d, adadeltaDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      squareAvg: { kind: 'tensor', required: true },
      accDelta: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const wd: number = group.weightDecay;
      const cfg = { maximize: !!group.maximize, wd: wd !== 0 };
      const program = cachedProgram('adadelta', cfg, () => adadeltaProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.squareAvg ??= zerosState(p);
        st.accDelta ??= zerosState(p);
        st.step++;
        entries.push({
          buffers: { param: p, grad: g, squareAvg: st.squareAvg, accDelta: st.accDelta },
          scalars: { lr, wd, rho: group.rho, oneMinusRho: 1 - group.rho, eps: group.eps },
        });
      }
      runGroup(program, entries);
    }
  }
}

function adadeltaProgram(cfg: { maximize: boolean; wd: boolean }) {
  return defineFused(
    'adadelta',
    ['param', 'grad', 'squareAvg', 'accDelta'],
    ['lr', 'wd', 'rho', 'oneMinusRho', 'eps'],
    (f) => {
      const b = f.buf;
      const s = f.s;
      let g = cfg.maximize ? b.grad.neg() : b.grad;
      if (cfg.wd) g = f.let(g.add(b.param.mul(s.wd)));
      const oneMinusRho = s.oneMinusRho;
      const sq = f.let(b.squareAvg.mul(s.rho).add(oneMinusRho.mul(g).mul(g)));
      f.store('squareAvg', sq);
      const std = sq.add(s.eps).sqrt();
      const delta = f.let(b.accDelta.add(s.eps).sqrt().div(std).mul(g));
      f.store('accDelta', b.accDelta.mul(s.rho).add(oneMinusRho.mul(delta).mul(delta)));
      f.store('param', b.param.sub(delta.mul(s.lr)));
    },
  );
}
