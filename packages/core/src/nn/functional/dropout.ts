import { noGrad } from '../../engine.js';
import { ValueError } from '../../errors.js';
import { rand } from '../../ops/creation.js';
import { Tensor } from '../../tensor.js';

/**
 * `torch.nn.functional.dropout(input, { p = 0.5, training = true })`: zeroes each element
 * with probability p (drawn from the global generator) and scales the survivors by
 * 1/(1-p), so the expectation is unchanged; the identity when not training or p = 0.
 */
export function dropout(input: Tensor, opts: { p?: number; training?: boolean } = {}): Tensor {
  if (!(input instanceof Tensor)) throw new TypeError('dropout: input must be a Tensor');
  const p = opts.p ?? 0.5;
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
    throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  if (!(opts.training ?? true) || p === 0) return input;
  const mask = noGrad(() => {
    const r = rand(input.shape, { dtype: input.dtype, backend: input.backend });
    const keep = r.ge(p).to(input.dtype);
    r.dispose();
    // p = 1 drops everything (PyTorch returns zeros, not NaN).
    const scaled = p === 1 ? keep : keep.mul(1 / (1 - p));
    if (scaled !== keep) keep.dispose();
    return scaled;
  });
  return input.mul(mask);
}
