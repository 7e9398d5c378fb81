/**
 * `torch.nn.functional.scaled_dot_product_attention` (PyTorch 2.x; 1.13 has it only inside
 * `multi_head_attention_forward`) and the attention core that `nn.MultiheadAttention`
 * shares with it. Composed from matmul, softmax and dropout, so every backend runs it and
 * autograd gives its gradients.
 */
import { DTypeError, ShapeError, shapeStr, ValueError } from '../../errors.js';
import { fromHost, full } from '../../ops/creation.js';
import { Tensor } from '../../tensor.js';
import { dropout } from './dropout.js';

/** Options of `F.scaledDotProductAttention` after q, k, v (PyTorch's keywords). */
export interface ScaledDotProductAttentionOptions {
  /**
   * Broadcastable to [..., L, S]. A bool mask says which positions TAKE PART in attention
   * (true = attend, PyTorch 2's convention); a float mask is added to the scores.
   */
  attnMask?: Tensor | null;
  /** Dropout on the attention weights (always applied when > 0, as PyTorch's). Default 0. */
  dropoutP?: number;
  /** A causal (lower-triangular) mask; an error together with `attnMask`. Default false. */
  isCausal?: boolean;
  /** The scores' scale. Default 1/√E. */
  scale?: number | null;
}

/** A [L, S] float mask: 0 where key j ≤ query i, −∞ above the diagonal (PyTorch's causal mask). */
export function causalBias(L: number, S: number, like: Tensor): Tensor {
  const data = new Float64Array(L * S);
  for (let i = 0; i < L; i++) for (let j = i + 1; j < S; j++) data[i * S + j] = Number.NEGATIVE_INFINITY;
  return fromHost(data, [L, S], { dtype: like.dtype, backend: like.backend });
}

/**
 * An attention mask as an additive float bias of `like`'s dtype. `keepTrue`: a bool mask's
 * true entries attend (F.scaledDotProductAttention); otherwise true entries are masked out
 * (nn.MultiheadAttention's attn_mask and key_padding_mask).
 */
export function maskBias(what: string, mask: Tensor, like: Tensor, keepTrue: boolean): Tensor {
  if (!(mask instanceof Tensor)) throw new TypeError(`${what} must be a Tensor or null`);
  if (mask.dtype === 'bool') {
    const bias = full(mask.shape, keepTrue ? Number.NEGATIVE_INFINITY : 0, {
      dtype: like.dtype,
      backend: like.backend,
    });
    return bias.maskedFill(mask, keepTrue ? 0 : Number.NEGATIVE_INFINITY);
  }
  if (mask.dtype !== like.dtype) {
    throw new DTypeError(
      `${what}: expected a bool mask or a float mask of the query's dtype (${like.dtype}), got ${mask.dtype}`,
    );
  }
  return mask;
}

/**
 * softmax(q kᵀ + bias) v with q already scaled, dropout on the weights when `dropoutP` > 0.
 * Returns the output and the (post-dropout) weights, as PyTorch's attention core.
 */
export function attend(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  bias: Tensor | null,
  dropoutP: number,
): { output: Tensor; weights: Tensor } {
  let scores = q.matmul(k.transpose(-2, -1));
  if (bias) scores = scores.add(bias);
  let weights = scores.softmax(-1);
  if (dropoutP > 0) weights = dropout(weights, { p: dropoutP, training: true });
  return { output: weights.matmul(v), weights };
}

/**
 * `torch.nn.functional.scaled_dot_product_attention(query, key, value, attn_mask=None,
 * dropout_p=0.0, is_causal=False, scale=None)`: softmax(Q Kᵀ · scale + mask) V over the
 * last two dims; query [..., L, E], key [..., S, E], value [..., S, Ev] → [..., L, Ev]
 * (batch dims broadcast). PyTorch 2's semantics and reference formula; q is scaled before
 * the product.
 */
export function scaledDotProductAttention(
  query: Tensor,
  key: Tensor,
  value: Tensor,
  opts: ScaledDotProductAttentionOptions = {},
): Tensor {
  for (const [n, t] of [
    ['query', query],
    ['key', key],
    ['value', value],
  ] as const) {
    if (!(t instanceof Tensor)) throw new TypeError(`scaled_dot_product_attention: ${n} must be a Tensor`);
    if (t.dim() < 2) {
      throw new ShapeError(
        `scaled_dot_product_attention: ${n} must be at least 2-D [..., seq, features], got ${shapeStr(t.shape)}`,
      );
    }
    if (t.dtype !== 'float32' && t.dtype !== 'float64') {
      throw new DTypeError(`scaled_dot_product_attention: ${n} must be floating point, got ${t.dtype}`);
    }
  }
  if (key.dtype !== query.dtype || value.dtype !== query.dtype) {
    throw new DTypeError(
      `scaled_dot_product_attention: Expected query, key, and value to have the same dtype, but got query.dtype: ${query.dtype}, key.dtype: ${key.dtype} and value.dtype: ${value.dtype} instead.`,
    );
  }
  const E = query.shape[query.dim() - 1]!;
  const L = query.shape[query.dim() - 2]!;
  const S = key.shape[key.dim() - 2]!;
  if (key.shape[key.dim() - 1] !== E) {
    throw new ShapeError(
      `scaled_dot_product_attention: query and key must have the same last dim (query ${shapeStr(query.shape)}, key ${shapeStr(key.shape)})`,
    );
  }
  if (value.shape[value.dim() - 2] !== S) {
    throw new ShapeError(
      `scaled_dot_product_attention: key and value must have the same sequence length (key ${shapeStr(key.shape)}, value ${shapeStr(value.shape)})`,
    );
  }
  const p = opts.dropoutP ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
    throw new ValueError(`scaled_dot_product_attention: dropout_p must be in [0, 1], got ${String(p)}`);
  }
  const mask = opts.attnMask ?? null;
  if (opts.isCausal && mask !== null) {
    throw new ValueError(
      'scaled_dot_product_attention: Explicit attn_mask should not be set when is_causal=True',
    );
  }
  const scale = opts.scale ?? 1 / Math.sqrt(E);
  const bias = opts.isCausal
    ? causalBias(L, S, query)
    : mask
      ? maskBias('attn_mask', mask, query, true)
      : null;
  return attend(query.mul(scale), key, value, bias, p).output;
}
