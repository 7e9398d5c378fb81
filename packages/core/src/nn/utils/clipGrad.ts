/** `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`. */
import { noGrad } from '../../engine.js';
import { ValueError } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { zeros } from '../../ops/creation.js';
import { stack } from '../../ops/shape.js';

function gradsOf(parameters: Tensor | Iterable<Tensor>): Tensor[] {
  const list = parameters instanceof Tensor ? [parameters] : [...parameters];
  return list.flatMap((p) => (p.grad ? [p.grad] : []));
}

/**
 * Scales all gradients together so that their joint `normType`-norm is at most `maxNorm`.
 * Returns the total norm before clipping (a 0-dim tensor). With `errorIfNonfinite`, a
 * NaN or infinite total norm is an error (this reads the norm back: synchronous backends only).
 */
export function clipGradNorm_(
  parameters: Tensor | Iterable<Tensor>,
  maxNorm: number,
  opts: { normType?: number; errorIfNonfinite?: boolean } = {},
): Tensor {
  const normType = opts.normType ?? 2;
  const grads = gradsOf(parameters);
  return noGrad(() => {
    if (grads.length === 0) return zeros([]);
    const norms = grads.map((g) => g.norm(normType));
    const total =
      normType === Number.POSITIVE_INFINITY ? stack(norms).amax() : stack(norms).norm(normType);
    if (opts.errorIfNonfinite && !Number.isFinite(total.item())) {
      throw new ValueError(
        `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite: false`,
      );
    }
    const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(null, 1);
    for (const g of grads) g.mul_(coef);
    return total;
  });
}

/** Clamps every gradient elementwise into [-clipValue, clipValue]. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number): void {
  noGrad(() => {
    for (const g of gradsOf(parameters)) g.clamp_(-clipValue, clipValue);
  });
}
