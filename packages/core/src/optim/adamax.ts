import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBetas, checkBool, checkEps, checkKnownOptions, checkLr } from './validate.js';

/** Options of `Adamax`. */
export interface AdamaxOptions {
  lr?: number | Tensor;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

const adamaxDefaults = {
  lr: 2e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  maximize: false,
};

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  checkEps(d.eps);
  checkBetas(d.betas);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.Adamax`: Adam with the infinity norm.
 *
 *   g ← ∇ (+λθ);  m ← lerp(m, g, 1−β1);  u ← max(β2·u, |g| + ε)
 *   θ ← θ − γ/(1−β1^t) · m/u
 *
 * State: `step`, `expAvg`, `expInf`.
 */
export class Adamax extends Optimizer {
  constructor(params: Params, options: AdamaxOptions = {}) {
    checkKnownOptions('Adamax', options, adamaxDefaults);
    const d = { ...adamaxDefaults, ...options };
    check(d);
    super(params, d, adamaxDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      expAvg: { kind: 'tensor', required: true },
      expInf: { kind: 'tensor', required: true },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [beta1, beta2] = group.betas as [number, number];
      const wd: number = group.weightDecay;
      const cfg = { maximize: !!group.maximize, wd: wd !== 0 };
      const program = cachedProgram('adamax', cfg, () => adamaxProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.expAvg ??= zerosState(p);
        st.expInf ??= zerosState(p);
        const step = ++st.step;
        entries.push({
          buffers: { param: p, grad: g, expAvg: st.expAvg, expInf: st.expInf },
          scalars: { clr: lr / (1 - beta1 ** step), wd, oneMinusBeta1: 1 - beta1, beta2, eps: group.eps },
        });
      }
      runGroup(program, entries);
    }
  }
}

function adamaxProgram(cfg: { maximize: boolean; wd: boolean }) {
  return defineFused(
    'adamax',
    ['param', 'grad', 'expAvg', 'expInf'],
    ['clr', 'wd', 'oneMinusBeta1', 'beta2', 'eps'],
    (f) => {
      const b = f.buf;
      const s = f.s;
      let g = cfg.maximize ? b.grad.neg() : b.grad;
      if (cfg.wd) g = f.let(g.add(b.param.mul(s.wd)));
      const m = f.let(b.expAvg.add(g.sub(b.expAvg).mul(s.oneMinusBeta1)));
      f.store('expAvg', m);
      const u = f.let(b.expInf.mul(s.beta2).max(g.abs().add(s.eps)));
      f.store('expInf', u);
      f.store('param', b.param.sub(s.clr.mul(m).div(u)));
    },
  );
}
