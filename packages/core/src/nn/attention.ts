/**
 * `nn.MultiheadAttention`: PyTorch's parameters (`in_proj_weight` [3E, E] with q, k, v rows
 * in that order, `in_proj_bias`, `out_proj`; or `q_proj_weight`/`k_proj_weight`/
 * `v_proj_weight` when kdim/vdim differ from embedDim), initialisation and forward
 * (`F.multi_head_attention_forward` of PyTorch 1.13, plus PyTorch 2's `isCausal`),
 * composed from linear, matmul, softmax and dropout.
 */
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { alloc } from '../ops/util.js';
import { resolveBackend } from '../registry.js';
import { Tensor } from '../tensor.js';
import { attend, causalBias, maskBias } from './functional/attention.js';
import { linear } from './functional/linear.js';
import { constant_, xavierUniform_ } from './init.js';
import { type FactoryOptions, Linear } from './linear.js';
import { describe, Module } from './module.js';
import { Parameter } from './parameter.js';

/**
 * PyTorch's `NonDynamicallyQuantizableLinear`: a plain `nn.Linear` under another name (the
 * attention's output projection prints as it does in PyTorch).
 */
export class NonDynamicallyQuantizableLinear extends Linear {}

/** Options of `nn.MultiheadAttention` after `embedDim, numHeads`. */
export interface MultiheadAttentionOptions extends FactoryOptions {
  /** Dropout on the attention weights in training mode. Default 0. */
  dropout?: number;
  /** Biases of the input and output projections. Default true. */
  bias?: boolean;
  /** Inputs and output as [batch, seq, feature]. Default false ([seq, batch, feature]). */
  batchFirst?: boolean;
  /** Features of the key / value inputs. Default embedDim. */
  kdim?: number | null;
  /** Features of the values (PyTorch's `vdim`; default `embedDim`). */
  vdim?: number | null;
}

/** Options of `MultiheadAttention.forward` after query, key, value. */
export interface MultiheadAttentionForwardOptions {
  /** [N, S] (or [S] unbatched): true (or a float added to the scores) masks a key out. */
  keyPaddingMask?: Tensor | null;
  /** Return the attention weights. Default true. */
  needWeights?: boolean;
  /** [L, S] or [N·numHeads, L, S]: true masks a position out; a float mask is added. */
  attnMask?: Tensor | null;
  /** Average the returned weights over the heads. Default true. */
  averageAttnWeights?: boolean;
  /**
   * A causal mask. PyTorch 2 takes it as a hint that `attnMask` already is the causal mask
   * (and raises without one); here, with no `attnMask`, the causal mask is built.
   */
  isCausal?: boolean;
}

/**
 * `torch.nn.MultiheadAttention(embed_dim, num_heads, dropout=0.0, bias=True,
 * add_bias_kv=False, add_zero_attn=False, kdim=None, vdim=None, batch_first=False)`
 * (`addBiasKv`/`addZeroAttn` are not supported). `forward(query, key, value, opts)` →
 * `[output, weights | null]`: query [L, N, E], key [S, N, kdim], value [S, N, vdim]
 * ([N, L, E] ... with batchFirst; [L, E] ... unbatched).
 */
export class MultiheadAttention extends Module {
  /** Model dimension (PyTorch's `embed_dim`). */
  readonly embedDim: number;
  /** Number of attention heads (PyTorch's `num_heads`). */
  readonly numHeads: number;
  /** `embedDim / numHeads`. */
  readonly headDim: number;
  /** Dropout probability on the attention weights (PyTorch's `dropout`). */
  readonly dropout: number;
  /**
   * Inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]` (PyTorch's
   * `batch_first`).
   */
  readonly batchFirst: boolean;
  /** Features of the keys (PyTorch's `kdim`). */
  readonly kdim: number;
  /** Features of the values (PyTorch's `vdim`; default `embedDim`). */
  readonly vdim: number;
  /** Whether q, k and v share `in_proj_weight` (kdim = vdim = embedDim). */
  readonly qkvSameEmbedDim: boolean;
  /** Packed query/key/value projection, when the three dims agree (PyTorch's name). */
  in_proj_weight: Parameter | null;
  /** Query projection, when `kdim`/`vdim` differ from `embedDim` (PyTorch's name). */
  q_proj_weight: Parameter | null;
  /** Key projection, when `kdim`/`vdim` differ (PyTorch's name). */
  k_proj_weight: Parameter | null;
  /** Value projection, when `kdim`/`vdim` differ (PyTorch's name). */
  v_proj_weight: Parameter | null;
  /** Packed query/key/value bias (PyTorch's name). */
  in_proj_bias: Parameter | null;
  /** Output projection (PyTorch's name). */
  out_proj: NonDynamicallyQuantizableLinear;

  constructor(embedDim: number, numHeads: number, opts: MultiheadAttentionOptions = {}) {
    super();
    for (const [n, v] of [
      ['embed_dim', embedDim],
      ['num_heads', numHeads],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`MultiheadAttention: ${n} must be a positive integer, got ${v}`);
    }
    if (embedDim % numHeads !== 0) throw new ValueError('embed_dim must be divisible by num_heads');
    const p = opts.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new ValueError(`MultiheadAttention: dropout must be in [0, 1], got ${String(p)}`);
    }
    this.embedDim = embedDim;
    this.numHeads = numHeads;
    this.headDim = embedDim / numHeads;
    this.dropout = p;
    this.batchFirst = opts.batchFirst ?? false;
    this.kdim = opts.kdim ?? embedDim;
    this.vdim = opts.vdim ?? embedDim;
    this.qkvSameEmbedDim = this.kdim === embedDim && this.vdim === embedDim;
    const dtype = opts.dtype ?? 'float32';
    const backend = resolveBackend(opts.backend);
    const param = (shape: number[]) => {
      const t = alloc(shape, dtype, backend);
      const q = new Parameter(t);
      t.dispose();
      return q;
    };
    // Fields in PyTorch's registration order; values drawn in its order (out_proj's Linear
    // init first, then xavier_uniform_ of the input projection), so manualSeed matches.
    this.in_proj_weight = this.qkvSameEmbedDim ? param([3 * embedDim, embedDim]) : null;
    this.q_proj_weight = this.qkvSameEmbedDim ? null : param([embedDim, embedDim]);
    this.k_proj_weight = this.qkvSameEmbedDim ? null : param([embedDim, this.kdim]);
    this.v_proj_weight = this.qkvSameEmbedDim ? null : param([embedDim, this.vdim]);
    this.in_proj_bias = opts.bias === false ? null : param([3 * embedDim]);
    this.out_proj = new NonDynamicallyQuantizableLinear(embedDim, embedDim, {
      bias: opts.bias !== false,
      dtype,
      backend,
    });
    if (this.in_proj_weight) xavierUniform_(this.in_proj_weight);
    else for (const w of [this.q_proj_weight!, this.k_proj_weight!, this.v_proj_weight!]) xavierUniform_(w);
    if (this.in_proj_bias) {
      constant_(this.in_proj_bias, 0);
      constant_(this.out_proj.bias!, 0);
    }
  }

  forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    opts: MultiheadAttentionForwardOptions = {},
  ): [Tensor, Tensor | null] {
    for (const [n, t] of [
      ['query', query],
      ['key', key],
      ['value', value],
    ] as const) {
      if (!(t instanceof Tensor))
        throw new TypeError(`MultiheadAttention: ${n} must be a Tensor, got ${describe(t)}`);
    }
    const batched = query.dim() === 3;
    if (query.dim() !== 2 && query.dim() !== 3) {
      throw new ShapeError(
        `MultiheadAttention: query should be unbatched 2D or batched 3D tensor but received ${query.dim()}-D query tensor`,
      );
    }
    if (key.dim() !== query.dim() || value.dim() !== query.dim()) {
      throw new ShapeError(
        `MultiheadAttention: key and value should be ${query.dim()}-D like the query, but received ${key.dim()}-D key and ${value.dim()}-D value tensors`,
      );
    }
    const selfAttn = query === key && key === value;
    const kvSame = key === value;
    const prep = (t: Tensor) => (!batched ? t.unsqueeze(1) : this.batchFirst ? t.transpose(0, 1) : t);
    const q = prep(query);
    const k = selfAttn ? q : prep(key);
    const v = kvSame ? k : prep(value);
    const [L, N, E] = q.shape as [number, number, number];
    const S = k.shape[0]!;
    if (E !== this.embedDim) {
      throw new ShapeError(
        `MultiheadAttention: was expecting embedding dimension of ${this.embedDim}, but got ${E}`,
      );
    }
    if (k.shape[1] !== N || v.shape[1] !== N || v.shape[0] !== S) {
      throw new ShapeError(
        `MultiheadAttention: key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)} do not match the query ${shapeStr(query.shape)}`,
      );
    }
    if (k.shape[2] !== this.kdim || v.shape[2] !== this.vdim) {
      throw new ShapeError(
        `MultiheadAttention: expected key features ${this.kdim} and value features ${this.vdim}, got key ${shapeStr(key.shape)} and value ${shapeStr(value.shape)}`,
      );
    }
    const [qp, kp, vp] = this.inProjection(q, k, v, selfAttn, kvSame);
    const H = this.numHeads;
    const hd = this.headDim;
    // [len, N, E] → [N·H, len, hd]
    const heads = (t: Tensor, len: number) => t.reshape(len, N * H, hd).transpose(0, 1);

    let bias: Tensor | null = null;
    const attnMask = opts.attnMask ?? null;
    if (attnMask !== null) {
      const m = maskBias('attn_mask', attnMask, q, false);
      if (m.dim() === 2) {
        if (m.shape[0] !== L || m.shape[1] !== S) {
          throw new ShapeError(
            `The shape of the 2D attn_mask is ${shapeStr(m.shape)}, but should be ${shapeStr([L, S])}.`,
          );
        }
        bias = m.unsqueeze(0);
      } else if (m.dim() === 3) {
        if (m.shape[0] !== N * H || m.shape[1] !== L || m.shape[2] !== S) {
          throw new ShapeError(
            `The shape of the 3D attn_mask is ${shapeStr(m.shape)}, but should be ${shapeStr([N * H, L, S])}.`,
          );
        }
        bias = m;
      } else throw new ShapeError(`attn_mask's dimension ${m.dim()} is not supported`);
    } else if (opts.isCausal) bias = causalBias(L, S, q).unsqueeze(0);
    const kpm = opts.keyPaddingMask ?? null;
    if (kpm !== null) {
      const m = maskBias('key_padding_mask', batched ? kpm : kpm.unsqueeze(0), q, false);
      if (m.dim() !== 2 || m.shape[0] !== N || m.shape[1] !== S) {
        throw new ShapeError(
          `expecting key_padding_mask shape of ${shapeStr(batched ? [N, S] : [S])}, but got ${shapeStr(kpm.shape)}`,
        );
      }
      const m3 = m
        .view(N, 1, 1, S)
        .expand(N, H, 1, S)
        .reshape(N * H, 1, S);
      bias = bias ? bias.add(m3) : m3;
    }
    const p = this.training ? this.dropout : 0;
    const { output, weights } = attend(heads(qp, L).div(Math.sqrt(hd)), heads(kp, S), heads(vp, S), bias, p);
    // [N·H, L, hd] → [L, N, E] → out_proj
    let out = linear(
      output
        .transpose(0, 1)
        .contiguous()
        .view(L * N, E),
      this.out_proj.weight,
      this.out_proj.bias,
    ).view(L, N, E);
    let w: Tensor | null = null;
    if (opts.needWeights ?? true) {
      w = weights.view(N, H, L, S);
      if (opts.averageAttnWeights ?? true) w = w.mean(1);
      if (!batched) w = w.squeeze(0);
    }
    if (!batched) out = out.squeeze(1);
    else if (this.batchFirst) out = out.transpose(0, 1);
    return [out, w];
  }

  /** PyTorch's `_in_projection_packed` / `_in_projection`: q, k, v as [len, N, E]. */
  private inProjection(q: Tensor, k: Tensor, v: Tensor, selfAttn: boolean, kvSame: boolean): Tensor[] {
    const E = this.embedDim;
    const b = this.in_proj_bias;
    const bPart = (i: number, n = 1) => (b ? b.narrow(0, i * E, n * E) : null);
    if (this.in_proj_weight) {
      const w = this.in_proj_weight;
      if (selfAttn) return linear(q, w, b).chunk(3, -1);
      if (kvSame) {
        const [kk, vv] = linear(k, w.narrow(0, E, 2 * E), bPart(1, 2)).chunk(2, -1) as [Tensor, Tensor];
        return [linear(q, w.narrow(0, 0, E), bPart(0)), kk, vv];
      }
      return [0, 1, 2].map((i) => linear([q, k, v][i]!, w.narrow(0, i * E, E), bPart(i)));
    }
    return [
      linear(q, this.q_proj_weight!, bPart(0)),
      linear(k, this.k_proj_weight!, bPart(1)),
      linear(v, this.v_proj_weight!, bPart(2)),
    ];
  }
}
