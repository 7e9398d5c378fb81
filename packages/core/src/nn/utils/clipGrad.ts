/** `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`. */
import { noGrad, tidy } from '../../engine.js';
import { ValueError } from '../../errors.js';
import { zeros } from '../../ops/creation.js';
import { stack } from '../../ops/shape.js';
import { Tensor } from '../../tensor.js';

function gradsOf(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  return list.flatMap((p) => (p.grad ? [p.grad] : []));
}

/** `torch.linalg.vector_norm(t, p)` of all elements, as a 0-dim tensor. */
function vectorNorm(t: Tensor, p: number): Tensor {
  if (p === Number.POSITIVE_INFINITY) return t.abs().amax();
  if (p === Number.NEGATIVE_INFINITY) return t.abs().amin();
  if (p === 0) return t.ne(0).to(t.dtype).sum();
  if (p === 1) return t.abs().sum();
  if (p === 2) return t.square().sum().sqrt();
  return t
    .abs()
    .pow(p)
    .sum()
    .pow(1 / p);
}

/**
 * `clip_grad_norm_(parameters, max_norm, norm_type=2, error_if_nonfinite=False)`: scales
 * every gradient by `maxNorm / (total + 1e-6)` (at most 1), where `total` is the
 * `normType`-norm of all gradients together (the norm of the per-gradient norms), and
 * returns `total` as a 0-dim tensor. With no gradients it returns 0. Nothing is read back,
 * except with `errorIfNonfinite`, which must look at the total (backends with synchronous
 * reads only: elsewhere check `await total.data()` yourself).
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  opts: { normType?: number; errorIfNonfinite?: boolean } = {},
): Tensor {
  const normType = opts.normType ?? 2;
  if (typeof normType !== 'number' || Number.isNaN(normType))
    throw new ValueError(`normType must be a number, got ${normType}`);
  const grads = gradsOf(parameters);
  if (grads.length === 0) return zeros([]);
  return noGrad(() => {
    const total = tidy(() => {
      const norms = grads.map((g) => vectorNorm(g, normType));
      return vectorNorm(stack(norms), normType);
    });
    if (opts.errorIfNonfinite) {
      if (!total.backend.syncReads) {
        throw new ValueError(
          `errorIfNonfinite reads the total norm, which '${total.backend.name}' cannot do synchronously; check \`await total.data()\` instead`,
        );
      }
      if (!Number.isFinite(total.item())) {
        throw new ValueError(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set \`errorIfNonfinite: false\``,
        );
      }
    }
    tidy(() => {
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
      for (const g of grads) g.mul_(coef);
    });
    return total;
  });
}

/** `clip_grad_value_(parameters, clip_value)`: clamps every gradient into [−clipValue, clipValue], in place. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  noGrad(() => {
    for (const g of gradsOf(parameters)) g.clamp_(-clipValue, clipValue);
  });
}
