import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** `torch.nn.Flatten({ startDim = 1, endDim = -1 })`: flattens those dims into one. */
export class Flatten extends Module {
  /** First dimension to flatten (PyTorch's `start_dim`). */
  readonly startDim: number;
  /** Last dimension to flatten (PyTorch's `end_dim`). */
  readonly endDim: number;

  constructor(opts: { startDim?: number; endDim?: number } = {}) {
    super();
    this.startDim = opts.startDim ?? 1;
    this.endDim = opts.endDim ?? -1;
  }

  forward(input: Tensor): Tensor {
    return input.flatten(this.startDim, this.endDim);
  }

  override extraRepr(): string {
    return `start_dim=${this.startDim}, end_dim=${this.endDim}`;
  }
}
