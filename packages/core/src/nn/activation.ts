import type { Tensor } from '../tensor.js';
import { Module } from './module.js';

/** `torch.nn.ReLU`: max(x, 0) elementwise. */
export class ReLU extends Module {
  forward(input: Tensor): Tensor {
    return input.relu();
  }
}

/** `torch.nn.Sigmoid`: 1 / (1 + e^(-x)) elementwise. */
export class Sigmoid extends Module {
  forward(input: Tensor): Tensor {
    return input.sigmoid();
  }
}

/** `torch.nn.Tanh`: tanh(x) elementwise. */
export class Tanh extends Module {
  forward(input: Tensor): Tensor {
    return input.tanh();
  }
}

/** `torch.nn.Softplus(beta=1, threshold=20)`: log(1 + exp(βx))/β, linear where βx > threshold. */
export class Softplus extends Module {
  /** The `beta` of `log(1 + e^(beta x)) / beta` (PyTorch's `beta`). */
  readonly beta: number;
  /** Above `beta * x > threshold` the result is `x` (PyTorch's `threshold`). */
  readonly threshold: number;
  constructor(opts: { beta?: number; threshold?: number } = {}) {
    super();
    this.beta = opts.beta ?? 1;
    this.threshold = opts.threshold ?? 20;
  }
  forward(input: Tensor): Tensor {
    return input.softplus({ beta: this.beta, threshold: this.threshold });
  }
  override extraRepr(): string {
    return `beta=${this.beta}, threshold=${this.threshold}`;
  }
}

/** `torch.nn.Softmax(dim)`, also `new nn.Softmax({ dim })`. */
export class Softmax extends Module {
  /** The dimension softmax normalises over (PyTorch's `dim`). */
  readonly dim: number;
  constructor(dim: number | { dim: number }) {
    super();
    this.dim = typeof dim === 'number' ? dim : dim.dim;
  }
  forward(input: Tensor): Tensor {
    return input.softmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** `torch.nn.LogSoftmax(dim)`, also `new nn.LogSoftmax({ dim })`. */
export class LogSoftmax extends Module {
  /** The dimension softmax normalises over (PyTorch's `dim`). */
  readonly dim: number;
  constructor(dim: number | { dim: number }) {
    super();
    this.dim = typeof dim === 'number' ? dim : dim.dim;
  }
  forward(input: Tensor): Tensor {
    return input.logSoftmax(this.dim);
  }
  override extraRepr(): string {
    return `dim=${this.dim}`;
  }
}

/** `torch.nn.Identity`: returns its input. */
export class Identity extends Module {
  forward(input: Tensor): Tensor {
    return input;
  }
}
