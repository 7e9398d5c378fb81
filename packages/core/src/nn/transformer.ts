/**
 * `nn.TransformerEncoderLayer` and `nn.TransformerEncoder` as PyTorch's (post-norm by
 * default, `normFirst` for pre-norm), parameter names included (`self_attn.in_proj_weight`,
 * `linear1.weight`, `norm1.weight`, `layers.0.…`), so PyTorch's state dicts load as they are.
 */
import { ValueError } from '../errors.js';
import { defaultGenerator } from '../random.js';
import type { Tensor } from '../tensor.js';
import { MultiheadAttention } from './attention.js';
import { Dropout } from './dropout.js';
import { gelu } from './functional/activations2.js';
import { type FactoryOptions, Linear } from './linear.js';
import { describe, Module } from './module.js';
import { LayerNorm } from './normalization.js';
import { ModuleList } from './sequential.js';

/** The activation of the feed-forward block: a name, a function, or a module. */
export type TransformerActivation = 'relu' | 'gelu' | ((x: Tensor) => Tensor) | Module;

/** Options of `nn.TransformerEncoderLayer` after `dModel, nhead`. */
export interface TransformerEncoderLayerOptions extends FactoryOptions {
  /** Width of the feed-forward block. Default 2048. */
  dimFeedforward?: number;
  /** Dropout after attention, inside and after the feed-forward block. Default 0.1. */
  dropout?: number;
  /** Default 'relu'. */
  activation?: TransformerActivation;
  /** LayerNorm's eps. Default 1e-5. */
  layerNormEps?: number;
  /** [batch, seq, feature] inputs. Default false. */
  batchFirst?: boolean;
  /** LayerNorm before attention and feed-forward (pre-norm) instead of after. Default false. */
  normFirst?: boolean;
}

/** Options of `TransformerEncoderLayer.forward` after the source. */
export interface TransformerEncoderLayerForwardOptions {
  /** The attention mask ([S, S] or [N·nhead, S, S]; true or −∞ masks out). */
  srcMask?: Tensor | null;
  /** Shape `[N, S]`: true masks a padding position out as a key. */
  srcKeyPaddingMask?: Tensor | null;
  /** A causal mask (built when `srcMask` is null; see MultiheadAttention's `isCausal`). */
  isCausal?: boolean;
}

/**
 * Runs `fn` and puts the global generator back as it was: clones are made without drawing
 * (PyTorch's deepcopy draws nothing), so what the generator gives next is PyTorch's.
 */
function withoutDrawing<T>(fn: () => T): T {
  const state = defaultGenerator.stateBytes();
  try {
    return fn();
  } finally {
    defaultGenerator.setState(state);
  }
}

/**
 * `torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
 * activation=relu, layer_norm_eps=1e-5, batch_first=False, norm_first=False)`:
 * self-attention then a feed-forward block, each with a residual connection and a LayerNorm.
 */
export class TransformerEncoderLayer extends Module {
  /** Model dimension (PyTorch's `d_model`). */
  readonly dModel: number;
  /** Number of attention heads (PyTorch's `nhead`). */
  readonly nhead: number;
  /** Width of the feed-forward layer (PyTorch's `dim_feedforward`). */
  readonly dimFeedforward: number;
  /** Layer norm before attention and feed-forward rather than after (PyTorch's `norm_first`). */
  readonly normFirst: boolean;
  /**
   * Inputs and outputs are `[batch, seq, feature]` instead of `[seq, batch, feature]` (PyTorch's
   * `batch_first`).
   */
  readonly batchFirst: boolean;
  /** Self-attention block (PyTorch's name). */
  self_attn: MultiheadAttention;
  /** First feed-forward layer (PyTorch's name). */
  linear1: Linear;
  /** Dropout of the feed-forward block (PyTorch's name). */
  dropout: Dropout;
  /** Second feed-forward layer (PyTorch's name). */
  linear2: Linear;
  /** Norm of the attention block (PyTorch's name). */
  norm1: LayerNorm;
  /** Norm of the feed-forward block (PyTorch's name). */
  norm2: LayerNorm;
  /** Dropout after attention (PyTorch's name). */
  dropout1: Dropout;
  /** Dropout after the feed-forward block (PyTorch's name). */
  dropout2: Dropout;
  /** Activation of the feed-forward block (PyTorch's `activation`). */
  activation: TransformerActivation;
  readonly #opts: TransformerEncoderLayerOptions;

  constructor(dModel: number, nhead: number, opts: TransformerEncoderLayerOptions = {}) {
    super();
    this.#opts = { ...opts };
    const p = opts.dropout ?? 0.1;
    const f = { dtype: opts.dtype, backend: opts.backend };
    this.dModel = dModel;
    this.nhead = nhead;
    this.dimFeedforward = opts.dimFeedforward ?? 2048;
    this.normFirst = opts.normFirst ?? false;
    this.batchFirst = opts.batchFirst ?? false;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: this.batchFirst, ...f });
    this.linear1 = new Linear(dModel, this.dimFeedforward, f);
    this.dropout = new Dropout(p);
    this.linear2 = new Linear(this.dimFeedforward, dModel, f);
    const eps = opts.layerNormEps ?? 1e-5;
    this.norm1 = new LayerNorm(dModel, { eps, ...f });
    this.norm2 = new LayerNorm(dModel, { eps, ...f });
    this.dropout1 = new Dropout(p);
    this.dropout2 = new Dropout(p);
    const act = opts.activation ?? 'relu';
    if (act !== 'relu' && act !== 'gelu' && typeof act !== 'function' && !(act instanceof Module)) {
      throw new ValueError(`activation should be relu/gelu, not ${String(act)}`);
    }
    this.activation = act;
  }

  private act(x: Tensor): Tensor {
    const a = this.activation;
    if (a === 'relu') return x.relu();
    if (a === 'gelu') return gelu(x);
    if (a instanceof Module) return a.forward(x);
    return a(x);
  }

  forward(src: Tensor, opts: TransformerEncoderLayerForwardOptions = {}): Tensor {
    const sa = (x: Tensor) =>
      this.dropout1.forward(
        this.self_attn.forward(x, x, x, {
          attnMask: opts.srcMask ?? null,
          keyPaddingMask: opts.srcKeyPaddingMask ?? null,
          needWeights: false,
          isCausal: opts.isCausal ?? false,
        })[0],
      );
    const ff = (x: Tensor) =>
      this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.act(this.linear1.forward(x)))));
    let x = src;
    if (this.normFirst) {
      x = x.add(sa(this.norm1.forward(x)));
      x = x.add(ff(this.norm2.forward(x)));
    } else {
      x = this.norm1.forward(x.add(sa(x)));
      x = this.norm2.forward(x.add(ff(x)));
    }
    return x;
  }

  /**
   * A deep copy (PyTorch's `copy.deepcopy`): same options, weights and mode; draws nothing
   * from the generator. A module activation is shared (it must have no parameters).
   */
  clone(): TransformerEncoderLayer {
    if (this.activation instanceof Module && !this.activation.parameters().next().done) {
      throw new ValueError(
        'TransformerEncoderLayer.clone: an activation module with parameters cannot be shared by the copies; pass a name, a function or a parameterless module',
      );
    }
    const first = this.parameters().next().value;
    const c = withoutDrawing(
      () =>
        new TransformerEncoderLayer(this.dModel, this.nhead, {
          ...this.#opts,
          dtype: first?.dtype ?? this.#opts.dtype,
          backend: first?.backend ?? this.#opts.backend,
        }),
    );
    c.loadStateDict(this.stateDict());
    c.train(this.training);
    return c;
  }
}

/** Options of `nn.TransformerEncoder` after the layer and the count. */
export interface TransformerEncoderOptions {
  /** A final normalisation (e.g. a LayerNorm, as pre-norm stacks use). Default null. */
  norm?: Module | null;
  /** PyTorch's nested-tensor fast path switch: accepted and ignored (no nested tensors). */
  enableNestedTensor?: boolean;
}

/** Options of `TransformerEncoder.forward` after the source. */
export interface TransformerEncoderForwardOptions {
  /** The attention mask of every layer. */
  mask?: Tensor | null;
  /**
   * Shape `[N, S]` bool mask; true marks a padding position that is not attended to (PyTorch's
   * `src_key_padding_mask`).
   */
  srcKeyPaddingMask?: Tensor | null;
  /** The mask is the causal mask (PyTorch's `is_causal`). */
  isCausal?: boolean;
}

/**
 * `torch.nn.TransformerEncoder(encoder_layer, num_layers, norm=None)`: `numLayers` deep
 * copies of `encoderLayer` (identical weights at the start, as PyTorch's), run in order,
 * then `norm`.
 */
export class TransformerEncoder extends Module {
  /** Number of layers (PyTorch's `num_layers`). */
  readonly numLayers: number;
  /** The stacked layers (clones of the given one). */
  layers: ModuleList;
  /** Final layer norm, or `null` (PyTorch's `norm`). */
  norm: Module | null;

  constructor(
    encoderLayer: TransformerEncoderLayer,
    numLayers: number,
    opts: TransformerEncoderOptions = {},
  ) {
    super();
    if (!(encoderLayer instanceof TransformerEncoderLayer)) {
      throw new TypeError(
        `TransformerEncoder: encoderLayer must be a TransformerEncoderLayer, got ${describe(encoderLayer)}`,
      );
    }
    if (!Number.isInteger(numLayers) || numLayers < 1) {
      throw new ValueError(`TransformerEncoder: num_layers must be a positive integer, got ${numLayers}`);
    }
    this.numLayers = numLayers;
    this.layers = new ModuleList(Array.from({ length: numLayers }, () => encoderLayer.clone()));
    this.norm = opts.norm ?? null;
  }

  forward(src: Tensor, opts: TransformerEncoderForwardOptions = {}): Tensor {
    let out = src;
    for (const layer of this.layers) {
      out = (layer as TransformerEncoderLayer).forward(out, {
        srcMask: opts.mask ?? null,
        srcKeyPaddingMask: opts.srcKeyPaddingMask ?? null,
        isCausal: opts.isCausal ?? false,
      });
    }
    return this.norm ? this.norm.forward(out) : out;
  }
}
