import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { kaimingUniformParameter, uniformBiasParameter } from './defaultInit.js';
import { conv1d } from './functional/conv1d.js';
import { type IntSingle, single } from './functional/geometry.js';
import type { FactoryOptions } from './linear.js';
import { expectRank, Module } from './module.js';
import type { Parameter } from './parameter.js';

/** Options of `nn.Conv1d` after its three positional arguments. */
export interface Conv1dModuleOptions extends FactoryOptions {
  /** Stride of the window (PyTorch's `stride`). */
  stride?: IntSingle;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  padding?: IntSingle | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  dilation?: IntSingle;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  groups?: number;
  /** Whether the layer has a learnable bias (PyTorch's `bias`). */
  bias?: boolean;
  /** Only 'zeros' (PyTorch's default) is supported. */
  paddingMode?: 'zeros';
}

/**
 * `torch.nn.Conv1d`: 1-D convolution over [N, Cin, L] (or [Cin, L]). `weight`
 * [Cout, Cin/groups, k] and `bias` [Cout] start uniform in ±1/√fanIn, fanIn = Cin/groups·k,
 * as PyTorch's `reset_parameters` (the same draws, so `manualSeed` gives PyTorch's values).
 */
export class Conv1d extends Module {
  /** Number of channels of the input (PyTorch's `in_channels`). */
  readonly inChannels: number;
  /** Number of channels of the output (PyTorch's `out_channels`). */
  readonly outChannels: number;
  /** Size of the window (PyTorch's `kernel_size`). */
  readonly kernelSize: number;
  /** Stride of the window (PyTorch's `stride`). */
  readonly stride: number;
  /** Implicit padding added on each side of the input (PyTorch's `padding`). */
  readonly padding: number | 'valid' | 'same';
  /** Spacing between kernel elements (PyTorch's `dilation`). */
  readonly dilation: number;
  /** Number of blocked connections from input to output channels (PyTorch's `groups`). */
  readonly groups: number;
  /** The learnable weight (PyTorch's `weight`). */
  weight: Parameter;
  /** The learnable bias, or `null` without one (PyTorch's `bias`). */
  bias: Parameter | null;

  constructor(
    inChannels: number,
    outChannels: number,
    kernelSize: IntSingle,
    opts: Conv1dModuleOptions = {},
  ) {
    super();
    const groups = opts.groups ?? 1;
    if (!Number.isInteger(groups) || groups < 1)
      throw new ValueError(`Conv1d: groups must be a positive integer, got ${groups}`);
    if (!Number.isInteger(inChannels) || inChannels < 1 || inChannels % groups !== 0) {
      throw new ValueError(
        `Conv1d: in_channels (${inChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (!Number.isInteger(outChannels) || outChannels < 1 || outChannels % groups !== 0) {
      throw new ValueError(
        `Conv1d: out_channels (${outChannels}) must be a positive integer divisible by groups (${groups})`,
      );
    }
    if (opts.paddingMode !== undefined && opts.paddingMode !== 'zeros') {
      throw new ValueError(
        `Conv1d: padding_mode '${String(opts.paddingMode)}' is not supported (only 'zeros')`,
      );
    }
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = single(kernelSize, 'Conv1d: kernel_size', 1);
    this.stride = single(opts.stride ?? 1, 'Conv1d: stride', 1);
    this.dilation = single(opts.dilation ?? 1, 'Conv1d: dilation', 1);
    const p = opts.padding ?? 0;
    this.padding = p === 'valid' || p === 'same' ? p : single(p, 'Conv1d: padding', 0);
    if (this.padding === 'same' && this.stride !== 1) {
      throw new ValueError("Conv1d: padding='same' is not supported for strided convolutions");
    }
    this.groups = groups;
    const fanIn = (inChannels / groups) * this.kernelSize;
    this.weight = kaimingUniformParameter([outChannels, inChannels / groups, this.kernelSize], fanIn, opts);
    this.bias = opts.bias === false ? null : uniformBiasParameter([outChannels], fanIn, opts);
  }

  forward(input: Tensor): Tensor {
    expectRank('Conv1d', input, [2, 3]);
    return conv1d(input, this.weight, {
      bias: this.bias,
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
      groups: this.groups,
    });
  }

  override extraRepr(): string {
    let s = `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize},), stride=(${this.stride},)`;
    if (typeof this.padding === 'string') {
      if (this.padding !== 'valid') s += `, padding=${this.padding}`;
    } else if (this.padding !== 0) s += `, padding=(${this.padding},)`;
    if (this.dilation !== 1) s += `, dilation=(${this.dilation},)`;
    if (this.groups !== 1) s += `, groups=${this.groups}`;
    if (!this.bias) s += ', bias=False';
    return s;
  }
}
