import { ValueError } from '../errors.js';
import { defineFused } from '../fused/program.js';
import type { Tensor } from '../tensor.js';
import { cachedProgram, type FusedEntryOf, runGroup, withGrads, zerosState } from './fusedStep.js';
import { Optimizer, type ParamGroup, type Params, type StateSpec, scalarValue } from './optimizer.js';
import { checkBool, checkKnownOptions, checkLr } from './validate.js';

/** Options of `SGD` (PyTorch's keyword arguments, camelCase). */
export interface SGDOptions {
  /** Learning rate (default 1e-3, as latest PyTorch; 1.13 required it). */
  lr?: number | Tensor;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

const sgdDefaults = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false };

/**
 * `torch.optim.SGD`: stochastic gradient descent with momentum, dampening, Nesterov,
 * L2 weight decay and maximize.
 *
 *   g ← ∇ (negated if maximize);  g ← g + λθ
 *   if μ ≠ 0: b ← g on the first step, else b ← μb + (1−τ)g;  g ← nesterov ? g + μb : b
 *   θ ← θ − γg
 *
 * State: `momentumBuffer` (only when momentum ≠ 0).
 */
export class SGD extends Optimizer {
  constructor(params: Params, options: SGDOptions = {}) {
    checkKnownOptions('SGD', options, sgdDefaults);
    const d = { ...sgdDefaults, ...options };
    checkLr(d.lr);
    if (!(typeof d.momentum === 'number' && d.momentum >= 0))
      throw new ValueError(`Invalid momentum value: ${d.momentum}`);
    if (!(typeof d.weightDecay === 'number' && d.weightDecay >= 0))
      throw new ValueError(`Invalid weight_decay value: ${d.weightDecay}`);
    checkBool('nesterov', d.nesterov);
    checkBool('maximize', d.maximize);
    if (d.nesterov && (d.momentum <= 0 || d.dampening !== 0)) {
      throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
    super(params, d, sgdDefaults);
  }

  protected override _checkGroup(g: ParamGroup): void {
    checkLr(g.lr);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new ValueError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected override _stateSpec(_p: Tensor, _g: ParamGroup): StateSpec {
    // PyTorch writes momentum_buffer None without momentum; a null buffer is the first step's.
    return { momentumBuffer: { kind: 'tensor', nullable: true } };
  }

  protected _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const momentum: number = group.momentum;
      const dampening: number = group.dampening;
      const wd: number = group.weightDecay;
      const cfg = {
        maximize: !!group.maximize,
        wd: wd !== 0,
        momentum: momentum !== 0,
        nesterov: !!group.nesterov,
      };
      const program = cachedProgram('sgd', cfg, () => sgdProgram(cfg));
      const entries: FusedEntryOf<typeof program>[] = [];
      for (const { p, g, st } of withGrads(group, this.state)) {
        const first = cfg.momentum && st.momentumBuffer == null;
        if (first) st.momentumBuffer = zerosState(p);
        // First step: b = 0·b + 1·g = g exactly (b is fresh zeros), as PyTorch's clone.
        // Without momentum the program declares neither the buffer nor its scalars.
        entries.push({
          buffers: { param: p, grad: g, momentumBuffer: st.momentumBuffer },
          scalars: { lr, wd, momentum, bufDecay: first ? 0 : momentum, gradScale: first ? 1 : 1 - dampening },
        });
      }
      runGroup(program, entries);
    }
  }
}

function sgdProgram(cfg: { maximize: boolean; wd: boolean; momentum: boolean; nesterov: boolean }) {
  type Buffer = 'param' | 'grad' | 'momentumBuffer';
  type Scalar = 'lr' | 'wd' | 'momentum' | 'bufDecay' | 'gradScale';
  const bufs: Buffer[] = cfg.momentum ? ['param', 'grad', 'momentumBuffer'] : ['param', 'grad'];
  const scalars: Scalar[] = cfg.momentum ? ['lr', 'wd', 'momentum', 'bufDecay', 'gradScale'] : ['lr', 'wd'];
  return defineFused('sgd', bufs, scalars, (f) => {
    const b = f.buf;
    let g = cfg.maximize ? b.grad.neg() : b.grad;
    if (cfg.wd) g = g.add(b.param.mul(f.s.wd));
    if (cfg.momentum) {
      const buf = f.let(b.momentumBuffer.mul(f.s.bufDecay).add(g.mul(f.s.gradScale)));
      f.store('momentumBuffer', buf);
      g = cfg.nesterov ? g.add(buf.mul(f.s.momentum)) : buf;
    }
    f.store('param', b.param.sub(g.mul(f.s.lr)));
  });
}
