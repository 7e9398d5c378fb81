import { recordOp } from '../../autograd/graph.js';
import type { Conv2dGeometry } from '../../backend.js';
import { noGrad } from '../../engine.js';
import { ShapeError, shapeStr, ValueError } from '../../errors.js';
import { alloc } from '../../ops/util.js';
import { Tensor } from '../../tensor.js';
import { convOperands, type IntPair, pair } from './geometry.js';

/** Options of `nn.functional.convTranspose2d` (PyTorch's keyword arguments). */
export interface ConvTranspose2dOptions {
  /** The bias tensor, or `null` for none (PyTorch's `bias`). */
  bias?: Tensor | null;
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntPair;
  /** The zero padding of the convolution this transposes: trims `padding` rows/columns from each side of the output. */
  padding?: IntPair;
  /** Extra rows/columns on the bottom/right of the output (each < stride or < dilation). */
  outputPadding?: IntPair;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
}

/** The output size of a transposed convolution along one axis. */
export function convTransposeOutSize(
  inp: number,
  k: number,
  s: number,
  p: number,
  op: number,
  d: number,
): number {
  return (inp - 1) * s - 2 * p + d * (k - 1) + op + 1;
}

/**
 * `torch.nn.functional.conv_transpose2d(input, weight, bias, stride, padding,
 * output_padding, groups, dilation)`: the gradient of conv2d with respect to its input,
 * used as a layer. `input` [N, Cin, H, W] (or unbatched [Cin, H, W]), `weight`
 * [Cin, Cout/groups, kH, kW], `bias` [Cout]; output height
 * (H − 1)·stride − 2·padding + dilation·(kH − 1) + outputPadding + 1. The forward runs the
 * backend's conv2d input-gradient kernel, the backward its conv2d and weight-gradient
 * kernels; gradient node `ConvolutionBackward0`, as PyTorch.
 */
export function convTranspose2d(input: Tensor, weight: Tensor, opts: ConvTranspose2dOptions = {}): Tensor {
  if (!(input instanceof Tensor) || !(weight instanceof Tensor)) {
    throw new TypeError('conv_transpose2d(input, weight, opts): input and weight must be Tensors');
  }
  if (input.dim() === 3) return convTranspose2d(input.unsqueeze(0), weight, opts).squeeze(0);
  if (input.dim() !== 4) {
    throw new ShapeError(
      `conv_transpose2d: expected 3D (unbatched) or 4D (batched) input, but got input of size: ${shapeStr(input.shape)}`,
    );
  }
  if (weight.dim() !== 4) {
    throw new ShapeError(
      `conv_transpose2d: expected weight to be 4-D [Cin, Cout/groups, kH, kW], got shape ${shapeStr(weight.shape)}`,
    );
  }
  const bias = opts.bias ?? null;
  const groups = opts.groups ?? 1;
  const { backend, dtype } = convOperands('conv_transpose2d', input, weight, bias, groups);
  const [batch, inChannels, inH, inW] = input.shape as [number, number, number, number];
  const [wIn, coutPerGroup, kH, kW] = weight.shape as [number, number, number, number];
  if (wIn !== inChannels || inChannels % groups !== 0) {
    throw new ShapeError(
      `conv_transpose2d: Given transposed=1, weight of size ${shapeStr(weight.shape)}, expected input${shapeStr(input.shape)} to have ${wIn} channels, but got ${inChannels} channels instead${inChannels % groups !== 0 ? ` (and in_channels must be divisible by groups=${groups})` : ''}`,
    );
  }
  const outChannels = coutPerGroup * groups;
  if (bias && (bias.dim() !== 1 || bias.shape[0] !== outChannels)) {
    throw new ShapeError(
      `conv_transpose2d: bias must have shape [${outChannels}] (out_channels), got ${shapeStr(bias.shape)}`,
    );
  }
  const [strideH, strideW] = pair(opts.stride ?? 1, 'conv_transpose2d: stride', 1);
  const [padH, padW] = pair(opts.padding ?? 0, 'conv_transpose2d: padding', 0);
  const [opH, opW] = pair(opts.outputPadding ?? 0, 'conv_transpose2d: output_padding', 0);
  const [dilationH, dilationW] = pair(opts.dilation ?? 1, 'conv_transpose2d: dilation', 1);
  if ((opH >= strideH && opH >= dilationH) || (opW >= strideW && opW >= dilationW)) {
    throw new ValueError(
      `conv_transpose2d: output padding must be smaller than either stride or dilation, but got output_padding_height: ${opH} output_padding_width: ${opW} stride_height: ${strideH} stride_width: ${strideW} dilation_height: ${dilationH} dilation_width: ${dilationW}`,
    );
  }
  const outH = convTransposeOutSize(inH, kH, strideH, padH, opH, dilationH);
  const outW = convTransposeOutSize(inW, kW, strideW, padW, opW, dilationW);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(
      `conv_transpose2d: Given input size per channel: (${inH} x ${inW}), calculated output size per channel: (${outH} x ${outW}). Output size is too small`,
    );
  }
  // The convolution this layer transposes: from the output's space to the input's.
  const g: Conv2dGeometry = {
    batch,
    inChannels: outChannels,
    inH: outH,
    inW: outW,
    outChannels: inChannels,
    outH: inH,
    outW: inW,
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
  if (out.numel() > 0 && input.numel() > 0)
    backend.conv2dBackwardInput(input.storage, weight.storage, out.storage, g);
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
      let gx: Tensor | null = null;
      let gw: Tensor | null = null;
      let gb: Tensor | null = null;
      if (needs[0]) {
        gx = alloc(input.shape, dtype, backend);
        backend.conv2d(grad.storage, weight.storage, gx.storage, g);
      }
      if (needs[1]) {
        gw = alloc(weight.shape, dtype, backend);
        backend.conv2dBackwardWeight(input.storage, grad.storage, gw.storage, g);
      }
      if (bias && needs[2]) gb = grad.sum([0, 2, 3]);
      return [gx, gw, gb];
    },
    [input, weight],
  );
}
