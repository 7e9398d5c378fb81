import { DTypeError, ShapeError, shapeStr } from '../../errors.js';
import { Tensor } from '../../tensor.js';
import { conv2d } from './conv2d.js';
import { type IntSingle, single } from './geometry.js';

/** Options of `nn.functional.conv1d` (PyTorch's keyword arguments). */
export interface Conv1dOptions {
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntSingle;
  /** Zero padding on both sides, or 'valid' (none) or 'same' (output length = input length, stride 1). */
  padding?: IntSingle | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntSingle;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
}

/**
 * `torch.nn.functional.conv1d`: 1-D cross-correlation of `input` [N, Cin, L] (or unbatched
 * [Cin, L]) with `weight` [Cout, Cin/groups, k], plus `bias` [Cout]. Runs as conv2d over a
 * unit height, so every backend's conv2d kernels (and their gradients) serve it.
 */
export function conv1d(input: Tensor, weight: Tensor, opts: Conv1dOptions = {}): Tensor {
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new TypeError('conv1d(input, weight, opts): input and weight must be Tensors');
  }
  if (input.dim() !== 2 && input.dim() !== 3) {
    throw new ShapeError(
      `conv1d: expected 2D (unbatched) or 3D (batched) input, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
  if (weight.dim() !== 3) {
    throw new ShapeError(
      `conv1d: expected weight to be 3-D [Cout, Cin/groups, k], got shape ${shapeStr(weight.shape)}`,
    );
  }
  if (input.dtype !== 'float32' && input.dtype !== 'float64') {
    throw new DTypeError(`conv1d: expected a floating point input, got dtype ${input.dtype}`);
  }
  const groups = opts.groups ?? 1;
  const cin = input.shape[input.dim() - 2]!;
  if (Number.isInteger(groups) && groups >= 1 && weight.shape[1]! * groups !== cin) {
    throw new ShapeError(
      `conv1d: Given groups=${groups}, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${weight.shape[1]! * groups} channels, but got ${cin} channels instead`,
    );
  }
  const stride = single(opts.stride ?? 1, 'conv1d: stride', 1);
  const dilation = single(opts.dilation ?? 1, 'conv1d: dilation', 1);
  const p = opts.padding ?? 0;
  const padding = p === 'same' || p === 'valid' ? p : ([0, single(p, 'conv1d: padding', 0)] as const);
  const out = conv2d(input.unsqueeze(-2), weight.unsqueeze(2), {
    bias: opts.bias ?? null,
    stride: [1, stride],
    padding,
    dilation: [1, dilation],
    groups,
  });
  return out.squeeze(-2);
}
