import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkEps, checkKnownOptions, checkLr } from './validate.js';

/** Options of `RMSprop`. */
export interface RMSpropOptions {
  lr?: number | Tensor;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

const rmspropDefaults = {
  lr: 1e-2,
  alpha: 0.99,
  eps: 1e-8,
  weightDecay: 0,
  momentum: 0,
  centered: false,
  maximize: false,
};

function check(d: Record<string, any>): void {
  checkLr(d.lr);
  checkEps(d.eps);
  if (!(typeof d.momentum === 'number' && d.momentum >= 0))
    throw new ValueError(`Invalid momentum value: ${d.momentum}`);
  if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
    throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
  if (!(typeof d.alpha === 'number' && d.alpha >= 0)) throw new ValueError(`Invalid alpha value: ${d.alpha}`);
  checkBool('centered', d.centered);
  checkBool('maximize', d.maximize);
}

/**
 * `torch.optim.RMSprop`.
 *
 *   g ← ∇ (+λθ);  v ← αv + (1−α)g²;  centered: ḡ ← lerp(ḡ, g, 1−α), a ← sqrt(v − ḡ²) + ε, else a ← sqrt(v) + ε
 *   μ > 0: b ← μb + g/a, θ ← θ − γb;  else θ ← θ − γg/a
 *
 * State: `step`, `squareAvg`, `momentumBuffer` (momentum > 0), `gradAvg` (centered).
 */
export class RMSprop extends Optimizer {
  constructor(params: Params, options: RMSpropOptions = {}) {
    checkKnownOptions('RMSprop', options, rmspropDefaults);
    const d = { ...rmspropDefaults, ...options };
    check(d);
    super(params, d, rmspropDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    check(g);
  }

  protected override _stateSpec(_p: Tensor, g: ParamGroup): StateSpec {
    return {
      step: { kind: 'count', required: true },
      squareAvg: { kind: 'tensor', required: true },
      momentumBuffer: { kind: 'tensor', required: g.momentum > 0 },
      gradAvg: { kind: 'tensor', required: !!g.centered },
    };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const wd: number = group.weightDecay;
      const cfg = {
        maximize: !!group.maximize,
        wd: wd !== 0,
        centered: !!group.centered,
        momentum: group.momentum > 0,
      };
      const program = cachedProgram('rmsprop', cfg, () => rmspropProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        // Created on the parameter's first step (a loaded state is complete: `_stateSpec`).
        st.step ??= 0;
        st.squareAvg ??= zerosState(p);
        if (cfg.momentum && st.momentumBuffer == null) st.momentumBuffer = zerosState(p);
        if (cfg.centered && st.gradAvg == null) st.gradAvg = zerosState(p);
        st.step++;
        entries.push({
          buffers: {
            param: p,
            grad: g,
            squareAvg: st.squareAvg,
            gradAvg: st.gradAvg,
            momentumBuffer: st.momentumBuffer,
          },
          scalars: {
            lr,
            wd,
            alpha: group.alpha,
            oneMinusAlpha: 1 - group.alpha,
            eps: group.eps,
            momentum: group.momentum,
          },
        });
      }
      runGroup(program, entries);
    }
  }
}

function rmspropProgram(cfg: { maximize: boolean; wd: boolean; centered: boolean; momentum: boolean }) {
  const bufs: ('param' | 'grad' | 'squareAvg' | 'gradAvg' | 'momentumBuffer')[] = [
    'param',
    'grad',
    'squareAvg',
  ];
  if (cfg.centered) bufs.push('gradAvg');
  if (cfg.momentum) bufs.push('momentumBuffer');
  return defineFused('rmsprop', bufs, ['lr', 'wd', 'alpha', 'oneMinusAlpha', 'eps', 'momentum'], (f) => {
    const b = f.buf;
    const s = f.s;
    let g = cfg.maximize ? b.grad.neg() : b.grad;
    if (cfg.wd) g = f.let(g.add(b.param.mul(s.wd)));
    const oneMinusAlpha = s.oneMinusAlpha;
    const sq = f.let(b.squareAvg.mul(s.alpha).add(oneMinusAlpha.mul(g).mul(g)));
    f.store('squareAvg', sq);
    let avg: ReturnType<typeof sq.sqrt>;
    if (cfg.centered) {
      const ga = f.let(b.gradAvg.add(g.sub(b.gradAvg).mul(oneMinusAlpha)));
      f.store('gradAvg', ga);
      avg = f.let(sq.sub(ga.mul(ga)).sqrt().add(s.eps));
    } else {
      avg = f.let(sq.sqrt().add(s.eps));
    }
    if (cfg.momentum) {
      const buf = f.let(b.momentumBuffer.mul(s.momentum).add(g.div(avg)));
      f.store('momentumBuffer', buf);
      f.store('param', b.param.sub(buf.mul(s.lr)));
    } else {
      f.store('param', b.param.sub(s.lr.mul(g).div(avg)));
    }
  });
}
