import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, fullState, runGroup, withGrads } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkEps, checkKnownOptions, checkLr } from './validate.js';

/** Options of `Adagrad`. */
export interface AdagradOptions {
  lr?: number | Tensor;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

const adagradDefaults = {
  lr: 1e-2,
  lrDecay: 0,
  weightDecay: 0,
  initialAccumulatorValue: 0,
  eps: 1e-10,
  maximize: false,
};

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  if (!(typeof d.lrDecay === 'number' && d.lrDecay >= 0))
    throw new ValueError(`Invalid lr_decay value: ${d.lrDecay}`);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  if (!(typeof d.initialAccumulatorValue === 'number' && d.initialAccumulatorValue >= 0)) {
    throw new ValueError(`Invalid initial_accumulator_value value: ${d.initialAccumulatorValue}`);
  }
  checkEps(d.eps);
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.Adagrad`.
 *
 *   t ← t+1;  g ← ∇ (+λθ);  γ̃ ← γ/(1 + (t−1)·lrDecay);  s ← s + g²;  θ ← θ − γ̃·g/(sqrt(s) + ε)
 *
 * State (created in the constructor, as PyTorch): `step` = 0 and `sum` = initialAccumulatorValue.
 */
export class Adagrad extends Optimizer {
  constructor(params: Params, options: AdagradOptions = {}) {
    checkKnownOptions('Adagrad', options, adagradDefaults);
    const d = { ...adagradDefaults, ...options };
    check(d);
    super(params, d, adagradDefaults);
    for (const group of this.paramGroups) {
      for (const p of group.params) {
        if (!this.state.has(p))
          this.state.set(p, { step: 0, sum: fullState(p, group.initialAccumulatorValue) });
      }
    }
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    return { step: { kind: 'count', required: true }, sum: { kind: 'tensor', required: true } };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const wd: number = group.weightDecay;
      const cfg = { maximize: !!group.maximize, wd: wd !== 0 };
      const program = cachedProgram('adagrad', cfg, () => adagradProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // A parameter added by addParamGroup after construction gets its state here.
        st.step ??= 0;
        st.sum ??= fullState(p, group.initialAccumulatorValue);
        const step = ++st.step;
        entries.push({
          buffers: { param: p, grad: g, sum: st.sum },
          scalars: { clr: lr / (1 + (step - 1) * group.lrDecay), wd, eps: group.eps },
        });
      }
      runGroup(program, entries);
    }
  }
}

function adagradProgram(cfg: { maximize: boolean; wd: boolean }) {
  return defineFused('adagrad', ['param', 'grad', 'sum'], ['clr', 'wd', 'eps'], (f) => {
    const b = f.buf;
    const s = f.s;
    let g = cfg.maximize ? b.grad.neg() : b.grad;
    if (cfg.wd) g = f.let(g.add(b.param.mul(s.wd)));
    const sum = f.let(b.sum.add(g.mul(g)));
    f.store('sum', sum);
    f.store('param', b.param.sub(s.clr.mul(g).div(sum.sqrt().add(s.eps))));
  });
}
