import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { Tensor } from '../tensor.js';
import { lerp } from './builders.js';
import { type Params, scalarValue } from './paramGroups.js';
import { type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, type StateSpec, withGrads, zeros } from './state.js';
import { checkBool, checkLr } from './validate.js';

/** Options of `Adafactor` (latest PyTorch; absent from 1.13). */
export interface AdafactorOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Decay rate of the second-moment estimate, `-0.8` as in PyTorch (PyTorch's `beta2_decay`). */
  beta2Decay?: number;
  /** (ε1, ε2): ε1 null means the dtype's machine epsilon. */
  eps?: [number | null, number];
  /** Clipping threshold of the update (PyTorch's `d`). */
  d?: number;
  /** Weight decay (L2 penalty) (PyTorch's `weight_decay`). */
  weightDecay?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

const machineEps = { float32: 2 ** -23, float64: 2 ** -52 } as Record<string, number>;

/**
 * `torch.optim.Adafactor` (latest PyTorch): factored second moments for matrices.
 *
 *   t ← t+1;  β̂ ← 1 − t^beta2Decay;  ρ ← min(γ, 1/√t);  α ← max(ε2, RMS(θ))·ρ;  θ ← θ(1 − γλ)
 *   ≥ 2-D: R ← lerp(R, mean(g², −1), 1−β̂), C ← lerp(C, mean(g², −2), 1−β̂), V ← R·C / max(mean(R, −2), ε1)
 *   else:  V ← lerp(V, g², 1−β̂)
 *   U ← g / max(√V, ε1);  θ ← θ − α·U / max(1, RMS(U)/d)
 *
 * Not one fused pass: the row/column means, the matrix product and the RMS are
 * reductions, so the update is composed of tensor ops. Unlike PyTorch it never reads a
 * value back (α and the clipping denominator stay on the device as 0-dim tensors).
 * State: `step`, `rowVar` + `colVar` (≥ 2-D) or `variance`.
 */
export class Adafactor extends SpecOptimizer<AdafactorOptions> {
  constructor(params: Params, options: AdafactorOptions = {}) {
    super(params, options, adafactor);
  }

  protected override _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [eps1Opt, eps2] = group.eps;
      const wd = group.weightDecay;
      for (const { p, g, st } of withGrads(group, this.state)) {
        const factored = g.dim() > 1;
        this._initState(p, group, st);
        const eps1 = eps1Opt ?? machineEps[p.dtype] ?? 2 ** -23;
        const step = ++st.step;
        const w = step ** group.beta2Decay;
        const rho = Math.min(lr, 1 / Math.sqrt(step));
        const n = p.numel();
        tidy(() => {
          const grad = group.maximize ? g.neg() : g;
          const alpha = p.square().sum().sqrt().div(Math.sqrt(n)).maximum(eps2).mul(rho);
          if (wd !== 0) p.mul_(1 - lr * wd);
          let v: Tensor;
          if (factored) {
            const rows = grad.shape[grad.dim() - 2]!;
            const cols = grad.shape[grad.dim() - 1]!;
            const sq = grad.square();
            st.rowVar.copy_(lerp(st.rowVar, sq.sum(-1, true).div(cols), w));
            st.colVar.copy_(lerp(st.colVar, sq.sum(-2, true).div(rows), w));
            v = st.rowVar.matmul(st.colVar).div(st.rowVar.mean(-2, true).clamp(eps1));
          } else {
            st.variance.copy_(lerp(st.variance, grad.square(), w));
            v = st.variance;
          }
          const update = v
            .clamp(eps1 * eps1)
            .rsqrt()
            .mul(grad);
          const denom = update
            .square()
            .sum()
            .sqrt()
            .div(Math.sqrt(n) * group.d)
            .maximum(1);
          p.sub_(update.mul(alpha.div(denom)));
        });
      }
    }
  }
}

/** Adafactor's spec. */
export const adafactor: OptimizerSpec<AdafactorOptions> = {
  name: 'Adafactor',
  // torch.optim.Adafactor appeared in PyTorch 2.5: 1.13 cannot load it.
  pytorch: {
    since: '2.5',
    groupKeys: ['lr', 'beta2_decay', 'eps', 'd', 'weight_decay', ['foreach', null], 'maximize'],
  },
  defaults: { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1.0, weightDecay: 0.0, maximize: false },
  check(o) {
    if (o.lr instanceof Tensor) checkLr(o.lr);
    else if (!(typeof o.lr === 'number' && o.lr >= 0))
      throw new ValueError(`Learning rate should be >= 0 but is: ${o.lr}`);
    if (!(typeof o.beta2Decay === 'number' && o.beta2Decay <= 0))
      throw new ValueError(`beta2_decay should be <= 0 but is: ${o.beta2Decay}`);
    if (!Array.isArray(o.eps) || o.eps.length !== 2)
      throw new ValueError(`eps must be a pair (eps1, eps2), got ${o.eps}`);
    if (o.eps[0] !== null && !(typeof o.eps[0] === 'number' && o.eps[0] >= 0))
      throw new ValueError(`epsilon1 should be >= 0 but is: ${o.eps[0]}`);
    if (!(typeof o.eps[1] === 'number' && o.eps[1] >= 0))
      throw new ValueError(`epsilon2 should be >= 0 but is: ${o.eps[1]}`);
    if (!(typeof o.d === 'number' && o.d >= 1))
      throw new ValueError(`Clipping threshold d should be >= 1 but is: ${o.d}`);
    if (!(typeof o.weightDecay === 'number' && o.weightDecay >= 0))
      throw new ValueError(`weight_decay should be >= 0 but is: ${o.weightDecay}`);
    checkBool('maximize', o.maximize);
  },
  // Factored second moments for matrices: one value per row and one per column of the last two dims.
  state: (_g, p): StateSpec =>
    p.dim() < 2
      ? { step: count, variance: zeros() }
      : {
          step: count,
          rowVar: zeros({ shape: [...p.shape.slice(0, -1), 1] }),
          colVar: zeros({ shape: [...p.shape.slice(0, -2), 1, p.shape[p.dim() - 1]!] }),
        },
};
