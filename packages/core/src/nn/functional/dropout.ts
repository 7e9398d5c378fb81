import { noGrad } from '../../engine.js';
import { ValueError } from '../../errors.js';
import { defaultGenerator } from '../../generator.js';
import { fromHost } from '../../ops/creation.js';
import { bernoulliValues } from '../../ops/sampling.js';
import { Tensor } from '../../tensor.js';

/**
 * `torch.nn.functional.dropout(input, { p = 0.5, training = true })`: zeroes each element
 * with probability p and scales the survivors by 1/(1-p), so the expectation is unchanged;
 * the identity when not training or p = 0, zeros (drawing nothing) when p = 1. Drawn as
 * PyTorch's CPU dropout draws it (`bernoulli_(1 - p)` on the global generator, then
 * `div_(1 - p)` in the input's dtype), so after `torch.manualSeed` the mask is PyTorch's.
 */
export function dropout(input: Tensor, opts: { p?: number; training?: boolean } = {}): Tensor {
  if (!(input instanceof Tensor)) throw new TypeError('dropout: input must be a Tensor');
  const p = opts.p ?? 0.5;
  if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
    throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
  }
  if (!(opts.training ?? true) || p === 0) return input;
  if (p === 1) return input.mul(0);
  const noise = noGrad(() => {
    const keep = bernoulliValues(defaultGenerator, input.numel(), 1 - p);
    const scale = input.dtype === 'float32' ? Math.fround(1 / Math.fround(1 - p)) : 1 / (1 - p);
    for (let i = 0; i < keep.length; i++) keep[i] = keep[i]! * scale;
    return fromHost(keep, input.shape, { dtype: input.dtype, backend: input.backend }, 'dropout');
  });
  return input.mul(noise);
}
