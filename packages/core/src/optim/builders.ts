/**
 * Pieces of updates that several optimizers share, written once: the preamble (maximize,
 * L2 or decoupled weight decay) and the moving averages, as fused-program expressions, and
 * `lerp` on tensors for the optimizers composed of tensor ops. Each builds exactly the
 * expression its optimizers wrote by hand before, so programs (and results) are unchanged.
 */
import type { Ex, FusedBuilder } from '../fused/program.js';
import type { Tensor } from '../tensor.js';

/** How a group decays its weights: not at all (λ = 0), L2 (g ← g + λθ) or decoupled (θ ← θ(1 − γλ), AdamW's). */
export type WeightDecay = 'none' | 'l2' | 'decoupled';

/** The program flags of the preamble. */
export interface PreambleConfig {
  readonly maximize: boolean;
  readonly wd: WeightDecay;
}

/** How a group decays its weights (decoupled only where the optimizer has `decoupledWeightDecay`). */
export function weightDecayOf(group: { weightDecay: number; decoupledWeightDecay?: boolean }): WeightDecay {
  return group.weightDecay === 0 ? 'none' : group.decoupledWeightDecay ? 'decoupled' : 'l2';
}

/** The preamble flags of a group, for an update that has no other flag. */
export function preambleConfig(group: {
  maximize: boolean;
  weightDecay: number;
  decoupledWeightDecay?: boolean;
}): PreambleConfig {
  return { maximize: group.maximize, wd: weightDecayOf(group) };
}

/** g ← ∇, or −∇ when maximizing. */
export function gradient(f: FusedBuilder<'grad', string>, maximize: boolean): Ex {
  return maximize ? f.buf.grad.neg() : f.buf.grad;
}

/**
 * The start most updates share, in PyTorch's order: g ← ∇ (−∇ if maximize); then L2
 * g ← g + λθ (scalar `wd`), or decoupled θ ← θ·(1 − γλ) (scalar `decay`). Returns the
 * gradient and the parameter the update goes on with (bound to a local where changed).
 */
export function preamble(f: FusedBuilder<'param' | 'grad', string>, cfg: PreambleConfig): { g: Ex; p: Ex } {
  let g = gradient(f, cfg.maximize);
  let p = f.buf.param;
  if (cfg.wd === 'decoupled') p = f.let(p.mul(f.s.decay));
  else if (cfg.wd === 'l2') g = f.let(g.add(p.mul(f.s.wd)));
  return { g, p };
}

/** Binds `value` to a local and stores it into state buffer `name`: the update x ← value, for the rest of the program too. */
export function assign<B extends string>(f: FusedBuilder<B, string>, name: NoInfer<B>, value: Ex): Ex {
  const x = f.let(value);
  f.store(name, x);
  return x;
}

/**
 * The moving average m + w·(x − m): PyTorch's `m.lerp_(x, w)` (`exp_avg.lerp_(grad, 1 − β1)`),
 * in lerp's formula for w < 0.5 whatever w is.
 */
export function ema(m: Ex, x: Ex, w: Ex): Ex {
  return m.add(x.sub(m).mul(w));
}

/** The moving average of squares β·v + (1 − β)·x·x: PyTorch's `v.mul_(β).addcmul_(x, x, value=1 − β)`. */
export function emaSq(v: Ex, x: Ex, beta: Ex, oneMinusBeta: Ex): Ex {
  return v.mul(beta).add(oneMinusBeta.mul(x).mul(x));
}

/**
 * `torch.lerp(start, end, w)` on tensors, for a number weight, with PyTorch's two formulas
 * (the one anchored at `end` when |w| >= 0.5, so w = 1 gives `end` exactly).
 */
export function lerp(start: Tensor, end: Tensor, w: number): Tensor {
  const diff = end.sub(start);
  return Math.abs(w) < 0.5 ? start.add(diff.mul(w)) : end.sub(diff.mul(1 - w));
}
