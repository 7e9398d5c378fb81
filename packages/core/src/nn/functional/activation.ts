import { Tensor } from '../../tensor.js';

function check(what: string, x: unknown): asserts x is Tensor {
  if (!(x instanceof Tensor)) throw new TypeError(`${what}: input must be a Tensor`);
}

/** `torch.nn.functional.relu`. */
export function relu(input: Tensor): Tensor {
  check('relu', input);
  return input.relu();
}

/** `torch.sigmoid` (`nn.functional.sigmoid`). */
export function sigmoid(input: Tensor): Tensor {
  check('sigmoid', input);
  return input.sigmoid();
}

/** `torch.tanh` (`nn.functional.tanh`). */
export function tanh(input: Tensor): Tensor {
  check('tanh', input);
  return input.tanh();
}

/** `torch.nn.functional.softplus(input, beta=1, threshold=20)`. */
export function softplus(input: Tensor, opts: { beta?: number; threshold?: number } = {}): Tensor {
  check('softplus', input);
  return input.softplus(opts);
}

/** `dim` given positionally or as `{ dim }` (PyTorch's `dim=None` keyword, so an options object). */
function dimArg(op: string, dim: number | { dim?: number } | undefined): number {
  const d = typeof dim === 'object' && dim !== null ? dim.dim : dim;
  if (typeof d !== 'number') {
    throw new TypeError(`${op}(input, { dim }): dim must be given, as a number or { dim }, got ${String(d)}`);
  }
  return d;
}

/** `torch.nn.functional.softmax(input, dim)`, also `softmax(input, { dim })`. */
export function softmax(input: Tensor, dim: number | { dim?: number }): Tensor {
  check('softmax', input);
  return input.softmax(dimArg('softmax', dim));
}

/** `torch.nn.functional.log_softmax(input, dim)`, also `logSoftmax(input, { dim })`. */
export function logSoftmax(input: Tensor, dim: number | { dim?: number }): Tensor {
  check('log_softmax', input);
  return input.logSoftmax(dimArg('log_softmax', dim));
}

/** `torch.flatten(input, startDim, endDim)` as `nn.Flatten` uses it (defaults 1, -1 there). */
export function flatten(input: Tensor, startDim = 1, endDim = -1): Tensor {
  check('flatten', input);
  return input.flatten(startDim, endDim);
}
