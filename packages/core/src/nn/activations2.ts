/**
 * Activation modules over `nn.functional`'s activations (functional/activations2.ts), with
 * PyTorch's constructor options and `repr`.
 */
import type { Tensor } from '../tensor.js';
import * as F from './functional/activations2.js';
import { Module } from './module.js';

const inplaceRepr = (inplace: boolean) => (inplace ? 'inplace=True' : '');

/** `torch.nn.GELU(approximate='none')`. */
export class GELU extends Module {
  /** `'none'` for the exact GELU, `'tanh'` for the tanh approximation (PyTorch's `approximate`). */
  readonly approximate: 'none' | 'tanh';
  constructor(opts: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    this.approximate = opts.approximate ?? 'none';
    if (this.approximate !== 'none' && this.approximate !== 'tanh') {
      throw new TypeError(`GELU: 'approximate' must be 'none' or 'tanh', got '${String(this.approximate)}'`);
    }
  }
  forward(input: Tensor): Tensor {
    return F.gelu(input, { approximate: this.approximate });
  }
  override extraRepr(): string {
    return `approximate='${this.approximate}'`;
  }
}

/** `torch.nn.SiLU(inplace=False)`. */
export class SiLU extends Module {
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  forward(input: Tensor): Tensor {
    return F.silu(input, { inplace: this.inplace });
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** `torch.nn.Mish(inplace=False)`. */
export class Mish extends Module {
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace: boolean;
  constructor(opts: { inplace?: boolean } = {}) {
    super();
    this.inplace = opts.inplace ?? false;
  }
  forward(input: Tensor): Tensor {
    return F.mish(input, { inplace: this.inplace });
  }
  override extraRepr(): string {
    return inplaceRepr(this.inplace);
  }
}

/** `torch.nn.Hardtanh(min_val=-1, max_val=1, inplace=False)`. */
export class Hardtanh extends Module {
  /** Lower bound of the linear region (PyTorch's `min_val`). */
  readonly minVal: number;
  /** Upper bound of the linear region (PyTorch's `max_val`). */
  readonly maxVal: number;
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace: boolean;
  constructor(opts: { minVal?: number; maxVal?: number; inplace?: boolean } = {}) {
    super();
    this.minVal = opts.minVal ?? -1;
    this.maxVal = opts.maxVal ?? 1;
    this.inplace = opts.inplace ?? false;
    if (!(this.maxVal > this.minVal)) {
      throw new RangeError(
        `Hardtanh: 'maxVal' (${this.maxVal}) must be greater than 'minVal' (${this.minVal})`,
      );
    }
  }
  forward(input: Tensor): Tensor {
    return F.hardtanh(input, { minVal: this.minVal, maxVal: this.maxVal, inplace: this.inplace });
  }
  override extraRepr(): string {
    return `min_val=${pyFloat(this.minVal)}, max_val=${pyFloat(this.maxVal)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** `torch.nn.LeakyReLU(negative_slope=0.01, inplace=False)`. */
export class LeakyReLU extends Module {
  /** Slope for negative inputs (PyTorch's `negative_slope`). */
  readonly negativeSlope: number;
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace: boolean;
  constructor(opts: { negativeSlope?: number; inplace?: boolean } = {}) {
    super();
    this.negativeSlope = opts.negativeSlope ?? 0.01;
    this.inplace = opts.inplace ?? false;
  }
  forward(input: Tensor): Tensor {
    return F.leakyRelu(input, { negativeSlope: this.negativeSlope, inplace: this.inplace });
  }
  override extraRepr(): string {
    return `negative_slope=${pyFloat(this.negativeSlope)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** `torch.nn.ELU(alpha=1, inplace=False)`. */
export class ELU extends Module {
  /** Value ELU approaches for large negative inputs (PyTorch's `alpha`). */
  readonly alpha: number;
  /** Write the result into the input (PyTorch's `inplace`). */
  readonly inplace: boolean;
  constructor(opts: { alpha?: number; inplace?: boolean } = {}) {
    super();
    this.alpha = opts.alpha ?? 1;
    this.inplace = opts.inplace ?? false;
  }
  forward(input: Tensor): Tensor {
    return F.elu(input, { alpha: this.alpha, inplace: this.inplace });
  }
  override extraRepr(): string {
    return `alpha=${pyFloat(this.alpha)}${this.inplace ? ', inplace=True' : ''}`;
  }
}

/** A number as Python prints a float (`1.0`, `0.01`). */
function pyFloat(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}
