import { ValueError } from '../errors.js';
import { defineFused, Ex } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkKnownOptions, checkLr } from './validate.js';

/** Options of `ASGD`. */
export interface ASGDOptions {
  lr?: number | Tensor;
  lambd?: number;
  alpha?: number;
  t0?: number;
  weightDecay?: number;
  maximize?: boolean;
}

const asgdDefaults = { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false };

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  for (const k of ['lambd', 'alpha', 't0']) {
    if (typeof d[k] !== 'number' || Number.isNaN(d[k])) throw new ValueError(`Invalid ${k} value: ${d[k]}`);
  }
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.ASGD`: averaged SGD.
 *
 *   t ← t+1;  g ← ∇ (+λθ);  θ ← θ(1 − lambd·η);  θ ← θ − η·g;  ax ← μ ≠ 1 ? ax + μ(θ − ax) : θ
 *   η ← γ/(1 + lambd·γ·t)^α;  μ ← 1/max(1, t − t0)
 *
 * State: `step`, `eta`, `mu` (numbers, rounded to float32 as PyTorch's float32 0-dim
 * tensors are, so trajectories match PyTorch's), `ax`.
 */
export class ASGD extends Optimizer {
  constructor(params: Params, options: ASGDOptions = {}) {
    checkKnownOptions('ASGD', options, asgdDefaults);
    const d = { ...asgdDefaults, ...options };
    check(d);
    super(params, d, asgdDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      eta: { kind: 'number', required: true },
      mu: { kind: 'number', required: true },
      ax: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const wd: number = group.weightDecay;
      const cfg = { maximize: !!group.maximize, wd: wd !== 0 };
      const program = cachedProgram('asgd', cfg, () => asgdProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      const { lambd, alpha, t0 } = group;
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.eta ??= Math.fround(lr);
        st.mu ??= 1;
        st.ax ??= zerosState(p);
        const step = ++st.step;
        const eta: number = st.eta;
        const mu: number = st.mu;
        entries.push({
          buffers: { param: p, grad: g, ax: st.ax },
          scalars: { decay: 1 - lambd * eta, eta, wd, mu, average: mu !== 1 ? 1 : 0 },
        });
        st.eta = Math.fround(lr / (1 + lambd * lr * step) ** alpha);
        st.mu = Math.fround(1 / Math.max(1, step - t0));
      }
      runGroup(program, entries);
    }
  }
}

function asgdProgram(cfg: { maximize: boolean; wd: boolean }) {
  return defineFused('asgd', ['param', 'grad', 'ax'], ['decay', 'eta', 'wd', 'mu', 'average'], (f) => {
    const b = f.buf;
    const s = f.s;
    let g = cfg.maximize ? b.grad.neg() : b.grad;
    if (cfg.wd) g = f.let(g.add(b.param.mul(s.wd)));
    const p = f.let(b.param.mul(s.decay).sub(g.mul(s.eta)));
    f.store('param', p);
    f.store('ax', Ex.select(s.average, b.ax.add(p.sub(b.ax).mul(s.mu)), p));
  });
}
