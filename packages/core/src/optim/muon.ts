import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { lerp } from './builders.js';
import { type Params, scalarValue } from './paramGroups.js';
import { type OptimizerSpec, SpecOptimizer } from './spec.js';
import { withGrads, zeros } from './state.js';
import { checkBool, checkLr } from './validate.js';

/** Options of `Muon` (latest PyTorch; absent from 1.13). */
export interface MuonOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Momentum factor (PyTorch's `momentum`). */
  momentum?: number;
  /** Use Nesterov momentum (PyTorch's `nesterov`). */
  nesterov?: boolean;
  /** (a, b, c) of the Newton–Schulz quintic. */
  nsCoefficients?: [number, number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Newton–Schulz iterations of the orthogonalisation (PyTorch's `ns_steps`). */
  nsSteps?: number;
  /** null/'original': √max(1, rows/cols); 'match_rms_adamw': 0.2·√max(rows, cols). */
  adjustLrFn?: 'original' | 'match_rms_adamw' | null;
}

/**
 * `torch.optim.Muon` (latest PyTorch): momentum, then Newton–Schulz orthogonalisation of
 * each 2-D update.
 *
 *   b ← lerp(b, g, 1−μ);  u ← nesterov ? lerp(g, b, μ) : b
 *   X ← u (transposed if rows > cols) / max(‖u‖_F, ε);  k times: A ← XXᵀ, X ← aX + (bA + cA·A)X
 *   θ ← θ(1 − γλ);  θ ← θ − γ'·X,  γ' = γ·√max(1, rows/cols)  (or 0.2·γ·√max(rows, cols))
 *
 * PyTorch runs Newton–Schulz in bfloat16; stepwise has no bfloat16 and runs it in the
 * parameter's dtype. Composed of matmuls (not one fused pass); no value is read back.
 * State: `momentumBuffer`.
 */
export class Muon extends SpecOptimizer<MuonOptions> {
  constructor(params: Params, options: MuonOptions = {}) {
    super(params, options, muon);
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.dim() !== 2) {
          throw new ValueError(
            `Muon only supports 2D parameters whereas we found a parameter with size: [${p.shape.join(', ')}]`,
          );
        }
      }
    }
  }

  protected override _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [a, b, c] = group.nsCoefficients;
      const mu = group.momentum;
      for (const { p, g, st } of withGrads(group, this.state)) {
        if (g.dim() !== 2) throw new ValueError('Param gradient must be a 2D matrix');
        this._initState(p, group, st);
        const [rows, cols] = p.shape;
        const fn = group.adjustLrFn;
        const ratio =
          fn === null || fn === 'original'
            ? Math.sqrt(Math.max(1, rows / cols))
            : 0.2 * Math.sqrt(Math.max(rows, cols));
        tidy(() => {
          const buf: Tensor = st.momentumBuffer;
          buf.copy_(lerp(buf, g, 1 - mu));
          const u = group.nesterov ? lerp(g, buf, mu) : buf;
          let x = rows > cols ? u.T : u;
          x = x.div(x.norm().clamp(group.eps));
          for (let k = 0; k < group.nsSteps; k++) {
            const gram = x.matmul(x.T);
            const gu = gram.mul(b).add(gram.mul(c).matmul(gram));
            x = x.mul(a).add(gu.matmul(x));
          }
          if (rows > cols) x = x.T;
          p.mul_(1 - lr * group.weightDecay);
          p.sub_(x.mul(lr * ratio));
        });
      }
    }
  }
}

/** Muon's spec. */
export const muon: OptimizerSpec<MuonOptions> = {
  name: 'Muon',
  // torch.optim.Muon appeared in PyTorch 2.9: 1.13 cannot load it.
  pytorch: {
    since: '2.9',
    groupKeys: [
      'lr',
      'weight_decay',
      'momentum',
      'nesterov',
      'ns_coefficients',
      'eps',
      'ns_steps',
      'adjust_lr_fn',
    ],
    tensorState: {},
  },
  defaults: {
    lr: 1e-3,
    weightDecay: 0.1,
    momentum: 0.95,
    nesterov: true,
    nsCoefficients: [3.4445, -4.775, 2.0315],
    eps: 1e-7,
    nsSteps: 5,
    adjustLrFn: null,
  },
  check(o) {
    if (o.lr instanceof Tensor) checkLr(o.lr);
    else if (!(typeof o.lr === 'number' && o.lr >= 0))
      throw new ValueError(`Learning rate should be >= 0 but is: ${o.lr}`);
    if (!(typeof o.momentum === 'number' && o.momentum >= 0))
      throw new ValueError(`momentum should be >= 0 but is: ${o.momentum}`);
    if (!(typeof o.weightDecay === 'number' && o.weightDecay >= 0))
      throw new ValueError(`weight decay should be >= 0 but is: ${o.weightDecay}`);
    if (!(typeof o.eps === 'number' && o.eps >= 0)) throw new ValueError(`Invalid epsilon value: ${o.eps}`);
    if (o.adjustLrFn !== null && o.adjustLrFn !== 'original' && o.adjustLrFn !== 'match_rms_adamw') {
      throw new ValueError(`Adjust learning rate function ${o.adjustLrFn} is not supported`);
    }
    if (!Array.isArray(o.nsCoefficients) || o.nsCoefficients.length !== 3) {
      throw new ValueError('Coefficients must be a tuple of exactly 3 values');
    }
    o.nsCoefficients.forEach((c: unknown, i: number) => {
      if (typeof c !== 'number' || !Number.isFinite(c))
        throw new ValueError(`nsCoefficients[${i}] must be a finite number, got ${String(c)}`);
    });
    if (!Number.isInteger(o.nsSteps) || o.nsSteps < 0)
      throw new ValueError(`nsSteps must be a non-negative integer, got ${o.nsSteps}`);
    if (o.nsSteps >= 100)
      throw new ValueError('Number of steps must be less than 100 for computational efficiency');
    checkBool('nesterov', o.nesterov);
  },
  state: () => ({ momentumBuffer: zeros() }),
};
