/** Parameters that start at a constant (normalisation layers' weight = 1, bias = 0). */
import type { Backend } from '../backend.js';
import { type DType, getDefaultDtype } from '../dtype.js';
import { full } from '../ops/creation.js';
import { Parameter } from './parameter.js';

/** @internal A fresh parameter of `shape` filled with `value`, as PyTorch's `init.ones_`/`zeros_` after `torch.empty`. */
export function constantParameter(
  shape: readonly number[],
  value: number,
  opts: { dtype?: DType; backend?: string | Backend },
): Parameter {
  const t = full(shape, value, { dtype: opts.dtype ?? getDefaultDtype(), backend: opts.backend });
  const p = new Parameter(t);
  t.dispose();
  return p;
}
