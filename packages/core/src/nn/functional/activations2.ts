/**
 * The activations of `torch.nn.functional` beyond relu/sigmoid/tanh/softplus: each one
 * fused expression with its derivative (ops/math.ts), on every backend.
 */

import { apply } from '../../ops/inplace.js';
import * as m from '../../ops/math.js';
import { Tensor } from '../../tensor.js';

function check(what: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
}

/** `inplace: true` writes the result into the input, as PyTorch's `inplace=True`. */
function run(what: string, input: Tensor, inplace: boolean | undefined, f: (t: Tensor) => Tensor): Tensor {
  check(what, input);
  return inplace ? apply(input, `${what}_`, f) : f(input);
}

/** `torch.nn.functional.gelu(input, approximate='none')`; 'tanh' is the tanh approximation. */
export function gelu(input: Tensor, opts: { approximate?: 'none' | 'tanh' } = {}): Tensor {
  check('gelu', input);
  return m.gelu(input, opts);
}

/** `torch.nn.functional.silu(input, inplace=False)`: x · sigmoid(x). */
export function silu(input: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return run('silu', input, opts.inplace, m.silu);
}

/** `torch.nn.functional.mish(input, inplace=False)`: x · tanh(softplus(x)). */
export function mish(input: Tensor, opts: { inplace?: boolean } = {}): Tensor {
  return run('mish', input, opts.inplace, m.mish);
}

/** Options of `hardtanh`. */
export interface HardtanhOptions {
  /** Lower bound (PyTorch's `min_val`). */
  readonly minVal?: number;
  /** Upper bound (PyTorch's `max_val`). */
  readonly maxVal?: number;
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace?: boolean;
}

/** `torch.nn.functional.hardtanh(input, min_val=-1, max_val=1, inplace=False)`. */
export function hardtanh(input: Tensor, opts: HardtanhOptions = {}): Tensor {
  return run('hardtanh', input, opts.inplace, (t) => m.hardtanh(t, opts));
}

/** `torch.nn.functional.leaky_relu(input, negative_slope=0.01, inplace=False)`. */
export function leakyRelu(input: Tensor, opts: { negativeSlope?: number; inplace?: boolean } = {}): Tensor {
  return run('leaky_relu', input, opts.inplace, (t) => m.leakyRelu(t, opts));
}

/** `torch.nn.functional.elu(input, alpha=1, inplace=False)`. */
export function elu(input: Tensor, opts: { alpha?: number; inplace?: boolean } = {}): Tensor {
  return run('elu', input, opts.inplace, (t) => m.elu(t, opts));
}
