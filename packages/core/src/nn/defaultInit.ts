/**
 * The default initialisation of Linear and Conv2d, as PyTorch's `reset_parameters`.
 */
import type { Backend } from '../backend.js';
import { type DType, getDefaultDtype } from '../dtype.js';
import { alloc } from '../ops/util.js';
import { resolveBackend } from '../registry.js';
import { uniform_ } from './init.js';
import { Parameter } from './parameter.js';

/** @internal A fresh parameter of `shape`, uniform in ±bound. */
function uniformParameter(
  shape: readonly number[],
  bound: number,
  opts: { dtype?: DType; backend?: string | Backend },
) {
  const backend = resolveBackend(opts.backend);
  const t = alloc(shape, opts.dtype ?? getDefaultDtype(), backend);
  if (bound > 0 && t.numel() > 0) uniform_(t, -bound, bound);
  const p = new Parameter(t);
  t.dispose();
  return p;
}

/**
 * @internal Linear/Conv2d weights as PyTorch's `reset_parameters`: kaiming-uniform with
 * a = √5, uniform in ±1/√fanIn — the bound computed as PyTorch computes it
 * (√3 · gain / √fanIn, gain = √(2 / (1 + √5²))), so float64 weights match to the bit too.
 */
export function kaimingUniformParameter(
  shape: readonly number[],
  fanIn: number,
  opts: { dtype?: DType; backend?: string | Backend },
): Parameter {
  const gain = Math.sqrt(2 / (1 + Math.sqrt(5) ** 2));
  return uniformParameter(shape, fanIn > 0 ? Math.sqrt(3) * (gain / Math.sqrt(fanIn)) : 0, opts);
}

/** @internal Linear/Conv2d biases as PyTorch's: uniform in ±1/√fanIn. */
export function uniformBiasParameter(
  shape: readonly number[],
  fanIn: number,
  opts: { dtype?: DType; backend?: string | Backend },
): Parameter {
  return uniformParameter(shape, fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0, opts);
}
