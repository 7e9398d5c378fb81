/** `torch.linalg`: `vectorNorm` (PyTorch's `torch.linalg.vector_norm`). */
import type { Tensor } from '../tensor.js';
import { type NormOrd, vectorNorm as vectorNormOp } from './reduce.js';

/** `torch.linalg.vector_norm` options (`ord=2`, `dim=None`, `keepdim=False`). */
export interface VectorNormOptions {
  /** Order of the norm: any number, ±Infinity, 0 (PyTorch's `ord`). */
  ord?: NormOrd;
  /** Dimensions to reduce; all by default (PyTorch's `dim`). */
  dim?: number | readonly number[] | null;
  /** Keep the reduced dimensions with size 1 (PyTorch's `keepdim`). */
  keepdim?: boolean;
}

/**
 * `torch.linalg.vector_norm(x, ord = 2, dim = null, keepdim = false)`, positionally or as
 * `vectorNorm(x, { ord, dim, keepdim })`. `ord` may be any number (Infinity, -Infinity, 0,
 * fractions) or 'fro' (2); `dim` a dim, a list, or null for all elements.
 */
export function vectorNorm(
  x: Tensor,
  ordOrOpts: NormOrd | VectorNormOptions = 2,
  dim: number | readonly number[] | null = null,
  keepdim = false,
): Tensor {
  if (typeof ordOrOpts === 'object' && ordOrOpts !== null) {
    for (const k of Object.keys(ordOrOpts)) {
      if (!['ord', 'dim', 'keepdim'].includes(k))
        throw new TypeError(`linalg.vector_norm(): unknown option '${k}' (expected ord, dim, keepdim)`);
    }
    return vectorNormOp(x, ordOrOpts.ord ?? 2, ordOrOpts.dim ?? null, ordOrOpts.keepdim ?? false);
  }
  return vectorNormOp(x, ordOrOpts, dim, keepdim);
}
