import { recordOp } from '../../autograd/graph.js';
import type { Conv2dGeometry } from '../../backend.js';
import { noGrad } from '../../engine.js';
import { ShapeError, shapeStr, ValueError } from '../../errors.js';
import { cat } from '../../ops/shape.js';
import { alloc } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';
import { convOperands, type IntPair, pair } from './geometry.js';

/** Options of `nn.functional.conv2d` (PyTorch's keyword arguments). */
export interface Conv2dOptions {
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntPair;
  /** Zero padding on both sides, or 'valid' (none) or 'same' (output size = input size, stride 1). */
  padding?: IntPair | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
}

/**
 * `torch.nn.functional.conv2d`: 2-D cross-correlation of `input` [N, Cin, H, W] (or
 * unbatched [Cin, H, W]) with `weight` [Cout, Cin/groups, kH, kW], plus `bias` [Cout].
 * Runs the backend's conv2d kernel; the gradient node is PyTorch's `ConvolutionBackward0`,
 * covering input, weight and bias.
 */
export function conv2d(input: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new TypeError('conv2d(input, weight, opts): input and weight must be Tensors');
  }
  const bias = opts.bias ?? null;
  if (input.dim() === 3) {
    if (weight.dim() !== 4) {
      throw new ShapeError(
        `conv2d: expected weight to be 4-D [Cout, Cin/groups, kH, kW], got shape ${shapeStr(weight.shape)}`,
      );
    }
    const out = conv2d(input.unsqueeze(0), weight, opts);
    return out.squeeze(0);
  }
  if (input.dim() !== 4) {
    throw new ShapeError(
      `conv2d: expected 3D (unbatched) or 4D (batched) input, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
  if (weight.dim() !== 4) {
    throw new ShapeError(
      `conv2d: expected weight to be 4-D [Cout, Cin/groups, kH, kW], got shape ${shapeStr(weight.shape)}`,
    );
  }
  const groups = opts.groups ?? 1;
  const { backend, dtype } = convOperands('conv2d', input, weight, bias, groups);
  const [batch, inChannels, inH, inW] = input.shape as [number, number, number, number];
  const [outChannels, cinPerGroup, kH, kW] = weight.shape as [number, number, number, number];
  if (outChannels % groups !== 0) {
    throw new ShapeError(
      `conv2d: out_channels (${outChannels}, weight shape ${shapeStr(weight.shape)}) must be divisible by groups (${groups})`,
    );
  }
  if (cinPerGroup * groups !== inChannels) {
    throw new ShapeError(
      `conv2d: Given groups=${groups}, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${cinPerGroup * groups} channels, but got ${inChannels} channels instead`,
    );
  }
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== outChannels)) {
    throw new ShapeError(
      `conv2d: bias must have shape [${outChannels}] (out_channels), got ${shapeStr(bias.shape)}`,
    );
  }
  const [strideH, strideW] = pair(opts.stride ?? 1, 'conv2d: stride', 1);
  const [dilationH, dilationW] = pair(opts.dilation ?? 1, 'conv2d: dilation', 1);
  let padH: number;
  let padW: number;
  const padding = opts.padding ?? 0;
  if (padding === 'valid') {
    padH = padW = 0;
  } else if (padding === 'same') {
    if (strideH !== 1 || strideW !== 1)
      throw new ValueError("conv2d: padding='same' is not supported for strided convolutions");
    const totH = dilationH * (kH - 1);
    const totW = dilationW * (kW - 1);
    if (totH % 2 !== 0 || totW % 2 !== 0) {
      // PyTorch pads one extra row/column at the end here; do the same by explicit padding.
      return sameWithOddPadding(input, weight, bias, [dilationH, dilationW], groups, totH, totW);
    }
    padH = totH / 2;
    padW = totW / 2;
  } else {
    [padH, padW] = pair(padding, 'conv2d: padding', 0);
  }
  const effH = dilationH * (kH - 1) + 1;
  const effW = dilationW * (kW - 1) + 1;
  if (inH + 2 * padH < effH || inW + 2 * padW < effW) {
    throw new ShapeError(
      `conv2d: Calculated padded input size per channel: (${inH + 2 * padH} x ${inW + 2 * padW}). Kernel size: (${effH} x ${effW}). Kernel size can't be greater than actual input size (input ${shapeStr(input.shape)}, weight ${shapeStr(weight.shape)})`,
    );
  }
  const outH = Math.floor((inH + 2 * padH - effH) / strideH) + 1;
  const outW = Math.floor((inW + 2 * padW - effW) / strideW) + 1;
  const g: Conv2dGeometry = {
    batch,
    inChannels,
    inH,
    inW,
    outChannels,
    outH,
    outW,
    kH,
    kW,
    strideH,
    strideW,
    padH,
    padW,
    dilationH,
    dilationW,
    groups,
  };
  const out = alloc([batch, outChannels, outH, outW], dtype, backend);
  if (out.numel() > 0) backend.conv2d(input.storage, weight.storage, out.storage, g);
  let result = out;
  if (bias) {
    result = noGrad(() => out.add(bias.reshape([1, outChannels, 1, 1])));
    out.dispose();
  }
  return recordOp(
    result,
    'ConvolutionBackward0',
    bias ? [input, weight, bias] : [input, weight],
    (grad, needs) => {
      const go = grad;
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      let gb: Tensor | null = null;
      if (needs[0]) {
        gx = alloc(input.shape, dtype, backend);
        backend.conv2dBackwardInput(go.storage, weight.storage, gx.storage, g);
      }
      if (needs[1]) {
        gw = alloc(weight.shape, dtype, backend);
        backend.conv2dBackwardWeight(go.storage, input.storage, gw.storage, g);
      }
      if (bias && needs[2]) gb = go.sum([0, 2, 3]);
      return [gx, gw, gb];
    },
    [input, weight],
  );
}

/** padding='same' with an odd total padding: PyTorch pads the extra row/column at the end. */
function sameWithOddPadding(
  input: Tensor,
  weight: Tensor,
  bias: Tensor | null,
  dilation: [number, number],
  groups: number,
  totH: number,
  totW: number,
): Tensor {
  const [n, c, h, w] = input.shape as [number, number, number, number];
  const top = Math.floor(totH / 2);
  const left = Math.floor(totW / 2);
  // Zero-pad explicitly by the odd remainder (bottom/right), then convolve with the even part.
  const extraH = totH - 2 * top;
  const extraW = totW - 2 * left;
  let x = input;
  if (extraH) x = cat([x, alloc([n, c, extraH, w], x.dtype, x.backend)], 2);
  if (extraW) x = cat([x, alloc([n, c, h + extraH, extraW], x.dtype, x.backend)], 3);
  return conv2d(x, weight, { bias, padding: [top, left], dilation, groups });
}
