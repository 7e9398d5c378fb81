import { getDefaultDtype } from '../dtype.js';
import { ValueError } from '../errors.js';
import { fromHost, randn } from '../ops/creation.js';
import { resolveBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { embedding } from './functional/embedding.js';
import type { FactoryOptions } from './linear.js';
import { Module } from './module.js';
import { Parameter } from './parameter.js';

/** Options of `nn.Embedding` after its two positional arguments. */
export interface EmbeddingOptions extends FactoryOptions {
  /** This row starts at zero and gets no gradient (negative counts from the end). */
  paddingIdx?: number | null;
  /**
   * PyTorch's `sparse=True` asks for a sparse gradient. stepwise has no sparse tensors: the
   * gradient is dense either way, and `optim.SparseAdam` updates only its nonzero rows.
   */
  sparse?: boolean;
}

/**
 * `torch.nn.Embedding`: a lookup table of `numEmbeddings` vectors of size `embeddingDim`,
 * initialised N(0, 1) as PyTorch's, the padding row zeroed. Input: int32 indices.
 */
export class Embedding extends Module {
  /** Size of the dictionary (PyTorch's `num_embeddings`). */
  readonly numEmbeddings: number;
  /** Size of each embedding vector (PyTorch's `embedding_dim`). */
  readonly embeddingDim: number;
  /** Index whose row starts at zero and gets no gradient (PyTorch's `padding_idx`). */
  readonly paddingIdx: number | null;
  /** Accepted for PyTorch compatibility; gradients are dense (PyTorch's `sparse`). */
  readonly sparse: boolean;
  /** The embedding table, `[numEmbeddings, embeddingDim]`. */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, opts: EmbeddingOptions = {}) {
    super();
    for (const [k, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1)
        throw new ValueError(`Embedding: ${k} must be a positive integer, got ${v}`);
    }
    let pad = opts.paddingIdx ?? null;
    if (pad !== null) {
      if (!Number.isInteger(pad) || pad < -numEmbeddings || pad >= numEmbeddings) {
        throw new ValueError(`Padding_idx must be within num_embeddings (${numEmbeddings}), got ${pad}`);
      }
      if (pad < 0) pad += numEmbeddings;
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    this.paddingIdx = pad;
    this.sparse = opts.sparse ?? false;
    const dtype = opts.dtype ?? getDefaultDtype();
    const backend = resolveBackend(opts.backend);
    let w = randn([numEmbeddings, embeddingDim], { dtype, backend });
    if (pad !== null) {
      const keep = new Float64Array(numEmbeddings).fill(1);
      keep[pad] = 0;
      const mask = fromHost(keep, [numEmbeddings, 1], { dtype, backend });
      // x·0 is -0 for negative x; adding 0 makes the padding row +0, as PyTorch's zero fill.
      const zeroed = w.mul(mask).add(0);
      w.dispose();
      mask.dispose();
      w = zeroed;
    }
    this.weight = new Parameter(w);
    w.dispose();
  }

  forward(input: Tensor): Tensor {
    return embedding(input, this.weight, { paddingIdx: this.paddingIdx });
  }

  override extraRepr(): string {
    const pad = this.paddingIdx !== null ? `, padding_idx=${this.paddingIdx}` : '';
    return `${this.numEmbeddings}, ${this.embeddingDim}${pad}${this.sparse ? ', sparse=True' : ''}`;
  }
}
