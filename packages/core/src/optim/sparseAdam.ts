import { tidy } from '../engine.js';
import { ValueError } from '../errors.js';
import { where } from '../ops/elementwise.js';
import type { Tensor } from '../tensor.js';
import { type Params, scalarValue } from './paramGroups.js';
import { type OptimizerSpec, SpecOptimizer } from './spec.js';
import { count, withGrads, zeros } from './state.js';
import { checkBetas, checkBool, checkLr } from './validate.js';

/** Options of `SparseAdam`. */
export interface SparseAdamOptions {
  /** Learning rate (PyTorch's `lr`); a 0-dim tensor is accepted, as in PyTorch. */
  lr?: number | Tensor;
  /** Coefficients of the running averages of the gradient and its square (PyTorch's `betas`). */
  betas?: [number, number];
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Maximize the objective instead of minimizing it (PyTorch's `maximize`). */
  maximize?: boolean;
}

/**
 * `torch.optim.SparseAdam`: Adam that touches only the rows present in the gradient (the
 * rows an embedding lookup used); other rows keep their moments and values.
 *
 *   for present rows i: m_i ← m_i + (1−β1)(g_i − m_i);  v_i ← v_i + (1−β2)(g_i² − v_i)
 *   θ_i ← θ_i − γ·sqrt(1−β2^t)/(1−β1^t) · m_i/(sqrt(v_i) + ε)
 *
 * Sparse gradients in stepwise: there is no sparse tensor type, and autograd's `.grad` is
 * always a dense tensor of the parameter's shape (the backward of `indexSelect`, which an
 * embedding lookup is, scatters into a dense gradient with `indexAdd`). So SparseAdam reads
 * that dense gradient as the densified COO gradient PyTorch's `nn.Embedding(sparse=True)`
 * would give: a row (along dim 0) is present when any of its elements is nonzero. The one
 * difference from PyTorch: a looked-up row whose gradient is exactly zero everywhere is
 * treated as absent (PyTorch would still decay its moments). PyTorch refuses dense
 * gradients here; stepwise has no other kind. The update is composed of tensor ops (a
 * per-row reduction builds the mask), not one fused pass.
 *
 * State: `step`, `expAvg`, `expAvgSq`.
 */
export class SparseAdam extends SpecOptimizer<SparseAdamOptions> {
  constructor(params: Params, options: SparseAdamOptions = {}) {
    super(params, options, sparseAdam);
  }

  protected override _update(): void {
    for (const group of this.paramGroups) {
      const lr = scalarValue(group.lr);
      const [beta1, beta2] = group.betas;
      for (const { p, g, st } of withGrads(group, this.state)) {
        this._initState(p, group, st);
        const step = ++st.step;
        const stepSize = (lr * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
        tidy(() => {
          const grad = group.maximize ? g.neg() : g;
          const rowDims = Array.from({ length: g.dim() - 1 }, (_, i) => i + 1);
          const present = rowDims.length ? g.abs().amax(rowDims, true).gt(0) : g.ne(0);
          const m: Tensor = st.expAvg;
          const v: Tensor = st.expAvgSq;
          const mUpd = grad.sub(m).mul(1 - beta1);
          const vUpd = grad
            .square()
            .sub(v)
            .mul(1 - beta2);
          const numer = mUpd.add(m);
          const denom = vUpd.add(v).sqrt().add(group.eps);
          m.copy_(where(present, numer, m));
          v.copy_(where(present, vUpd.add(v), v));
          p.sub_(where(present, numer.div(denom).mul(stepSize), 0));
        });
      }
    }
  }
}

/** SparseAdam's spec. */
export const sparseAdam: OptimizerSpec<SparseAdamOptions> = {
  name: 'SparseAdam',
  pytorch: { since: '1.13', groupKeys: ['lr', 'betas', 'eps', 'maximize'], tensorState: {} },
  defaults: { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, maximize: false },
  check(h) {
    checkLr(h.lr, true);
    if (typeof h.eps !== 'number' || !(h.eps > 0)) throw new ValueError(`Invalid epsilon value: ${h.eps}`);
    checkBetas(h.betas);
    checkBool('maximize', h.maximize);
  },
  state: () => ({ step: count, expAvg: zeros(), expAvgSq: zeros() }),
};
