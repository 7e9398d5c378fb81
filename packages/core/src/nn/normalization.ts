import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { constantParameter } from './constantParameter.js';
import { groupNorm, layerNorm, normalizedShapeOf } from './functional/normalization.js';
import type { FactoryOptions } from './linear.js';
import { Module } from './module.js';
import type { Parameter } from './parameter.js';
import { pyBool, pyFloat, pyTuple } from './pyRepr.js';

/** Options of `nn.LayerNorm` after the normalized shape. */
export interface LayerNormModuleOptions extends FactoryOptions {
  /** Added to the variance. Default 1e-5. */
  eps?: number;
  /** Learnable per-element weight (and bias). Default true. */
  elementwiseAffine?: boolean;
  /** A learnable bias (PyTorch 2.1+; only with elementwiseAffine). Default true. */
  bias?: boolean;
}

/**
 * `torch.nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True, bias=True)`:
 * normalises over the last dims (`normalizedShape`), then `weight` (ones) and `bias`
 * (zeros) of that shape. `bias: false` follows PyTorch 2.1 (1.13 has no such argument).
 */
export class LayerNorm extends Module {
  /** The trailing shape normalised over (PyTorch's `normalized_shape`). */
  readonly normalizedShape: number[];
  /** Term added for numerical stability (PyTorch's `eps`). */
  readonly eps: number;
  /** Whether the layer has a learnable weight and bias (PyTorch's `elementwise_affine`). */
  readonly elementwiseAffine: boolean;
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter | null;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], opts: LayerNormModuleOptions = {}) {
    super();
    this.normalizedShape = normalizedShapeOf('LayerNorm', normalizedShape);
    this.eps = opts.eps ?? 1e-5;
    this.elementwiseAffine = opts.elementwiseAffine ?? true;
    const withBias = opts.bias ?? true;
    this.weight = this.elementwiseAffine ? constantParameter(this.normalizedShape, 1, opts) : null;
    this.bias = this.elementwiseAffine && withBias ? constantParameter(this.normalizedShape, 0, opts) : null;
  }

  forward(input: Tensor): Tensor {
    return layerNorm(input, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${pyTuple(this.normalizedShape)}, eps=${pyFloat(this.eps)}, elementwise_affine=${pyBool(this.elementwiseAffine)}`;
  }
}

/** Options of `nn.GroupNorm` after its two positional arguments. */
export interface GroupNormModuleOptions extends FactoryOptions {
  /** Term added for numerical stability (PyTorch's `eps`). */
  eps?: number;
  /** Learnable per-channel weight (ones) and bias (zeros). Default true. */
  affine?: boolean;
}

/**
 * `torch.nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)`: input [N, C, *],
 * each group of C/numGroups channels normalised over its channels and positions, then
 * per-channel `weight` and `bias`.
 */
export class GroupNorm extends Module {
  /** Number of groups the channels are split into (PyTorch's `num_groups`). */
  readonly numGroups: number;
  /** Number of channels (PyTorch's `num_channels`). */
  readonly numChannels: number;
  /** Term added for numerical stability (PyTorch's `eps`). */
  readonly eps: number;
  /** Whether the layer has learnable affine parameters (PyTorch's `affine`). */
  readonly affine: boolean;
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter | null;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(numGroups: number, numChannels: number, opts: GroupNormModuleOptions = {}) {
    super();
    if (!Number.isInteger(numGroups) || numGroups < 1)
      throw new ValueError(`GroupNorm: num_groups must be a positive integer, got ${numGroups}`);
    if (!Number.isInteger(numChannels) || numChannels < 1 || numChannels % numGroups !== 0) {
      throw new ValueError(
        `GroupNorm: num_channels (${numChannels}) must be divisible by num_groups (${numGroups})`,
      );
    }
    this.numGroups = numGroups;
    this.numChannels = numChannels;
    this.eps = opts.eps ?? 1e-5;
    this.affine = opts.affine ?? true;
    this.weight = this.affine ? constantParameter([numChannels], 1, opts) : null;
    this.bias = this.affine ? constantParameter([numChannels], 0, opts) : null;
  }

  forward(input: Tensor): Tensor {
    if (input.dim() >= 2 && input.shape[1] !== this.numChannels) {
      throw new ValueError(
        `GroupNorm: expected input with ${this.numChannels} channels (dim 1), got input of shape [${input.shape.join(', ')}]`,
      );
    }
    return groupNorm(input, this.numGroups, { weight: this.weight, bias: this.bias, eps: this.eps });
  }

  override extraRepr(): string {
    return `${this.numGroups}, ${this.numChannels}, eps=${pyFloat(this.eps)}, affine=${pyBool(this.affine)}`;
  }
}
