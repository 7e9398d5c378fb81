import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { kaimingUniformParameter, uniformBiasParameter } from './defaultInit.js';
import { conv2d } from './functional/conv2d.js';
import { type IntPair, pair } from './functional/geometry.js';
import type { FactoryOptions } from './linear.js';
import { expectRank, Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `nn.Conv2d` after its three positional arguments. */
export interface Conv2dModuleOptions extends FactoryOptions {
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntPair;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntPair | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntPair;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
  /** Whether the layer has a learnable bias (PyTorch's `bias`). */
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
}

/**
 * `torch.nn.Conv2d`: 2-D convolution over [N, Cin, H, W] (or [Cin, H, W]). `weight`
 * [Cout, Cin/groups, kH, kW] and `bias` [Cout] start uniform in ±1/√fanIn, fanIn =
 * Cin/groups·kH·kW, as PyTorch's `reset_parameters`.
 */
export class Conv2d extends Module {
  /** Number of channels of the input (PyTorch's `in_channels`). */
  readonly inChannels: number;
  /** Number of channels of the output (PyTorch's `out_channels`). */
  readonly outChannels: number;
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: [number, number];
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: [number, number];
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: [number, number] | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  readonly dilation: [number, number];
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  readonly groups: number;
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(inChannels: number, outChannels: number, kernelSize: IntPair, opts: Conv2dModuleOptions = {}) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1)
      throw new ValueError(`Conv2d: groups must be a positive integer, got ${groups}`);
    if (!Number.isInteger(inChannels) || inChannels < 1 || inChannels % groups !== 0) {
      throw new ValueError(
        `Conv2d: in_channels (${inChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (!Number.isInteger(outChannels) || outChannels < 1 || outChannels % groups !== 0) {
      throw new ValueError(
        `Conv2d: out_channels (${outChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
      throw new ValueError(
        `Conv2d: padding_mode '${String(opts.paddingMode)}' is not supported (only 'zeros')`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = pair(kernelSize, 'Conv2d: kernel_size', 1);
    this.stride = pair(opts.stride ?? 1, 'Conv2d: stride', 1);
    this.dilation = pair(opts.dilation ?? 1, 'Conv2d: dilation', 1);
    const p = opts.padding ?? 0;
    this.padding = p === 'valid' || p === 'same' ? p : pair(p, 'Conv2d: padding', 0);
    if (this.padding === 'same' && (this.stride[0] !== 1 || this.stride[1] !== 1)) {
      throw new ValueError("Conv2d: padding='same' is not supported for strided convolutions");
    }
    this.groups = groups;
    const [kH, kW] = this.kernelSize;
    const fanIn = (inChannels / groups) * kH * kW;
    this.weight = kaimingUniformParameter([outChannels, inChannels / groups, kH, kW], fanIn, opts);
    this.bias = opts.bias === false ? null : uniformBiasParameter([outChannels], fanIn, opts);
  }

  forward(input: Tensor): Tensor {
    expectRank('Conv2d', input, [3, 4]);
    return conv2d(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    const k = this.kernelSize;
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${k[0]}, ${k[1]}), stride=(${this.stride[0]}, ${this.stride[1]})`;
    if (
      this.padding !== 'valid' &&
      (typeof this.padding === 'string' || this.padding[0] || this.padding[1])
    ) {
      s += `, padding=${typeof this.padding === 'string' ? this.padding : `(${this.padding[0]}, ${this.padding[1]})`}`;
    }
    if (this.dilation[0] !== 1 || this.dilation[1] !== 1)
      s += `, dilation=(${this.dilation[0]}, ${this.dilation[1]})`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
