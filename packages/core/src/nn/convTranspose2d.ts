import { ShapeError, shapeStr, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { kaimingUniformParameter, uniformBiasParameter } from './defaultInit.js';
import { convTranspose2d, convTransposeOutSize } from './functional/convTranspose2d.js';
import { type IntPair, pair } from './functional/geometry.js';
import type { FactoryOptions } from './linear.js';
import { expectRank, Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `nn.ConvTranspose2d` after its three positional arguments. */
export interface ConvTranspose2dModuleOptions extends FactoryOptions {
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntPair;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntPair;
  /** Extra size added to one side of each output dimension (PyTorch's `output_padding`). */
  outputPadding?: IntPair;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
  /** Whether the layer has a learnable bias (PyTorch's `bias`). */
  bias?: boolean;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
}

/**
 * `torch.nn.ConvTranspose2d`: the transposed 2-D convolution ("deconvolution") over
 * [N, Cin, H, W] (or [Cin, H, W]). `weight` [Cin, Cout/groups, kH, kW] and `bias` [Cout]
 * start as PyTorch's: uniform in ±1/√fanIn with fanIn = Cout/groups·kH·kW (PyTorch computes
 * it from the weight's dim 1). `forward(input, outputSize)` picks the output padding that
 * gives `outputSize` ([H, W], or with leading batch/channel sizes), as PyTorch's.
 */
export class ConvTranspose2d extends Module {
  /** Number of channels of the input (PyTorch's `in_channels`). */
  readonly inChannels: number;
  /** Number of channels of the output (PyTorch's `out_channels`). */
  readonly outChannels: number;
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: [number, number];
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: [number, number];
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: [number, number];
  /** Extra size added to one side of each output dimension (PyTorch's `output_padding`). */
  readonly outputPadding: [number, number];
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  readonly groups: number;
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  readonly dilation: [number, number];
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntPair,
    opts: ConvTranspose2dModuleOptions = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1)
      throw new ValueError(`ConvTranspose2d: groups must be a positive integer, got ${groups}`);
    if (!Number.isInteger(inChannels) || inChannels < 1 || inChannels % groups !== 0) {
      throw new ValueError(
        `ConvTranspose2d: in_channels (${inChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (!Number.isInteger(outChannels) || outChannels < 1 || outChannels % groups !== 0) {
      throw new ValueError(
        `ConvTranspose2d: out_channels (${outChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
      throw new ValueError(
        `Only "zeros" padding mode is supported for ConvTranspose2d (got '${String(opts.paddingMode)}')`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'ConvTranspose2d: kernel_size', 1);
    this.stride = pair(opts.stride ?? 1, 'ConvTranspose2d: stride', 1);
    this.padding = pair(opts.padding ?? 0, 'ConvTranspose2d: padding', 0);
    this.outputPadding = pair(opts.outputPadding ?? 0, 'ConvTranspose2d: output_padding', 0);
    this.dilation = pair(opts.dilation ?? 1, 'ConvTranspose2d: dilation', 1);
    this.groups = groups;
    const [kH, kW] = this.kernelSize;
    const fanIn = (outChannels / groups) * kH * kW;
    this.weight = kaimingUniformParameter([inChannels, outChannels / groups, kH, kW], fanIn, opts);
    this.bias = opts.bias === false ? null : uniformBiasParameter([outChannels], fanIn, opts);
  }

  forward(input: Tensor, outputSize?: readonly number[] | null): Tensor {
    expectRank('ConvTranspose2d', input, [3, 4]);
    const outputPadding = outputSize ? this.outputPaddingFor(input, outputSize) : this.outputPadding;
    return convTranspose2d(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      outputPadding,
      groups: this.groups,
      dilation: this.dilation,
    });
  }

  /** PyTorch's `_output_padding`: the output padding that reaches `outputSize`. */
  private outputPaddingFor(input: Tensor, outputSize: readonly number[]): [number, number] {
    const size = outputSize.length > 2 ? outputSize.slice(-2) : outputSize;
    if (size.length !== 2 || !size.every((d) => Number.isInteger(d))) {
      throw new ValueError(
        `ConvTranspose2d: output_size must have 2 or ${input.dim()} elements (got ${outputSize.length}: [${outputSize.join(', ')}])`,
      );
    }
    const res: number[] = [];
    for (let d = 0; d < 2; d++) {
      const inp = input.shape[input.dim() - 2 + d]!;
      const min = convTransposeOutSize(
        inp,
        this.kernelSize[d]!,
        this.stride[d]!,
        this.padding[d]!,
        0,
        this.dilation[d]!,
      );
      const max = min + this.stride[d]! - 1;
      const want = size[d]!;
      if (want < min || want > max) {
        throw new ShapeError(
          `ConvTranspose2d: requested an output size of [${size.join(', ')}], but valid sizes range from [${min}] to [${max}] in dim ${d} (for an input of ${shapeStr(input.shape.slice(-2))})`,
        );
      }
      res.push(want - min);
    }
    return res as [number, number];
  }

  override extraRepr(): string {
    const t = (p: readonly number[]) => `(${p[0]}, ${p[1]})`;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}`;
    if (this.padding[0] || this.padding[1]) s += `, padding=${t(this.padding)}`;
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1) s += `, dilation=${t(this.dilation)}`;
    if (this.outputPadding[0] || this.outputPadding[1]) s += `, output_padding=${t(this.outputPadding)}`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
