import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { dropout } from './functional/dropout.js';
import { Module } from './module.js';
import { pyFloat } from './pyRepr.js';

/**
 * `torch.nn.Dropout({ p = 0.5 })` (a bare number is accepted too): in training mode zeroes
 * each element with probability p and scales the rest by 1/(1-p); in eval mode it is the
 * identity.
 */
export class Dropout extends Module {
  /** Probability of an element to be zeroed (PyTorch's `p`). */
  readonly p: number;

  constructor(opts: { p?: number } | number = {}) {
    super();
    const p = typeof opts === 'number' ? opts : (opts.p ?? 0.5);
    if (!(typeof p === 'number' && p >= 0 && p <= 1)) {
      throw new ValueError(`dropout probability has to be between 0 and 1, but got ${p}`);
    }
    this.p = p;
  }

  forward(input: Tensor): Tensor {
    return dropout(input, { p: this.p, training: this.training });
  }

  override extraRepr(): string {
    return `p=${pyFloat(this.p)}, inplace=False`;
  }
}
