import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBetas, checkBool, checkEps, checkKnownOptions, checkLr } from './validate.js';

/** Options of `Adam` (PyTorch's keyword arguments, camelCase). */
export interface AdamOptions {
  lr?: number | Tensor;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
  /** Latest PyTorch: decay the weights directly (AdamW) instead of adding λθ to the gradient. */
  decoupledWeightDecay?: boolean;
}

const adamDefaults = {
  lr: 1e-3,
  betas: [0.9, 0.999] as [number, number],
  eps: 1e-8,
  weightDecay: 0,
  amsgrad: false,
  maximize: false,
  decoupledWeightDecay: false,
};

export function checkAdamLike(name: string, d: Record<string, any>): void {
  checkLr(d.lr);
  checkEps(d.eps);
  checkBetas(d.betas);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  for (const k of ['amsgrad', 'maximize', 'decoupledWeightDecay'])
    if (k in d) checkBool(`${name} ${k}`, d[k]);
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
export class Adam extends Optimizer {
  constructor(params: Params, options: AdamOptions = {}, defaults: Record<string, any> = adamDefaults) {
    checkKnownOptions(new.target.name, options, defaults);
    const d = { ...defaults, ...options };
    checkAdamLike(new.target.name, d);
    super(params, d, defaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    checkAdamLike(this.name, g);
  }

  protected override _stateSpec(_p: Tensor, g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      expAvg: { kind: 'tensor', required: true },
      expAvgSq: { kind: 'tensor', required: true },
      maxExpAvgSq: { kind: 'tensor', required: !!g.amsgrad },
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
        amsgrad: !!group.amsgrad,
      };
      const program = cachedProgram('adam', cfg, () => adamProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.expAvg ??= zerosState(p);
        st.expAvgSq ??= zerosState(p);
        if (cfg.amsgrad) st.maxExpAvgSq ??= zerosState(p);
        const step = ++st.step;
        const bc1 = 1 - beta1 ** step;
        const bc2 = 1 - beta2 ** step;
        entries.push({
          buffers: {
            param: p,
            grad: g,
            expAvg: st.expAvg,
            expAvgSq: st.expAvgSq,
            maxExpAvgSq: st.maxExpAvgSq,
          },
          scalars: {
            stepSize: lr / bc1,
            wd,
            decay: 1 - lr * wd,
            oneMinusBeta1: 1 - beta1,
            beta2,
            oneMinusBeta2: 1 - beta2,
            eps: group.eps,
            invBc2Sqrt: 1 / Math.sqrt(bc2),
          },
        });
      }
      runGroup(program, entries);
    }
  }
}

function adamProgram(cfg: { maximize: boolean; wd: string; amsgrad: boolean }) {
  const bufs: ('param' | 'grad' | 'expAvg' | 'expAvgSq' | 'maxExpAvgSq')[] = [
    'param',
    'grad',
    'expAvg',
    'expAvgSq',
  ];
  if (cfg.amsgrad) bufs.push('maxExpAvgSq');
  return defineFused(
    'adam',
    bufs,
    ['stepSize', 'wd', 'decay', 'oneMinusBeta1', 'beta2', 'oneMinusBeta2', 'eps', 'invBc2Sqrt'],
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
      let vv = v;
      if (cfg.amsgrad) {
        vv = f.let(b.maxExpAvgSq.max(v));
        f.store('maxExpAvgSq', vv);
      }
      // PyTorch divides by sqrt(1−β2^t); multiplying by its reciprocal (host-computed) saves a
      // division per element and moves a float64 result by at most an ulp.
      const denom = vv.sqrt().mul(s.invBc2Sqrt).add(s.eps);
      // PyTorch's addcdiv computes (value·m)/denom; the same order keeps float64 results identical.
      f.store('param', p.sub(s.stepSize.mul(m).div(denom)));
    },
  );
}

const adamwDefaults = { ...adamDefaults, weightDecay: 1e-2, decoupledWeightDecay: true };

/** Options of `AdamW`: Adam's, with weight decay 1e-2 and always decoupled. */
export type AdamWOptions = Omit<AdamOptions, 'decoupledWeightDecay'>;

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
