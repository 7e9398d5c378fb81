import type { Backend } from '../backend.js';
import type { DType } from '../dtype.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { kaimingUniformParameter, uniformBiasParameter } from './defaultInit.js';
import { linear, linearRelu } from './functional/linear.js';
import { expectRank, Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Factory options shared by layers with parameters (PyTorch's `device`/`dtype` kwargs). */
export interface FactoryOptions {
  /** The data type (PyTorch's `dtype`). */
  dtype?: DType;
  /** The backend (a registered name or a `Backend`) to create the tensors on (PyTorch's `device`). */
  backend?: string | Backend;
}

/** The input ranks `nn.Linear` takes (PyTorch's `(*, in_features)`, here up to 5 leading dims). */
const INPUT_RANKS = [1, 2, 3, 4, 5, 6];

/**
 * `torch.nn.Linear`: y = x Wᵀ + b. `weight` [out, in] and `bias` [out] start as PyTorch's:
 * uniform in ±1/√in (kaiming-uniform with a = √5 for the weight).
 */
export class Linear extends Module {
  /** Size of each input sample (PyTorch's `in_features`). */
  readonly inFeatures: number;
  /** Size of each output sample (PyTorch's `out_features`). */
  readonly outFeatures: number;
  /** The weight, `[outFeatures, inFeatures]`. */
  weight: Parameter;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, opts: { bias?: boolean } & FactoryOptions = {}) {
    super();
    for (const [k, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 0)
        throw new ValueError(`Linear: ${k} must be a non-negative integer, got ${v}`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    this.weight = kaimingUniformParameter([outFeatures, inFeatures], inFeatures, opts);
    this.bias = opts.bias === false ? null : uniformBiasParameter([outFeatures], inFeatures, opts);
  }

  forward(input: Tensor): Tensor {
    expectRank('Linear', input, INPUT_RANKS);
    return linear(input, this.weight, this.bias);
  }

  /**
   * @internal `relu(this.forward(input))` in one backend call where the product is an
   * addmm: what `nn.Sequential` runs for a Linear followed by a ReLU.
   */
  _forwardRelu(input: Tensor): Tensor {
    expectRank('Linear', input, INPUT_RANKS);
    return linearRelu(input, this.weight, this.bias);
  }

  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== null ? 'True' : 'False'}`;
  }
}
