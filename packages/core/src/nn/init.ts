/**
 * `torch.nn.init`: in-place initialisers, drawing from the global generator
 * (`torch.manualSeed`), so a seeded program builds the same model every run.
 */
import { noGrad } from '../engine.js';
import { shapeStr, ValueError } from '../errors.js';
import { rand, randn } from '../ops/creation.js';
import type { Tensor } from '../tensor.js';

export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'sigmoid'
  | 'tanh'
  | 'relu'
  | 'leaky_relu'
  | 'selu';

/** `torch.nn.init.calculate_gain(nonlinearity, param)`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`Unsupported nonlinearity ${String(nonlinearity)}`);
  }
}

/** PyTorch's `_calculate_fan_in_and_fan_out`: fan_in = size(1)·receptive field, fan_out = size(0)·receptive field. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  if (t.dim() < 2) {
    throw new ValueError(
      `Fan in and fan out can not be computed for tensor with fewer than 2 dimensions (shape ${shapeStr(t.shape)})`,
    );
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return [t.shape[1]! * receptive, t.shape[0]! * receptive];
}

function assign(t: Tensor, v: Tensor): Tensor {
  noGrad(() => t.copy_(v));
  v.dispose();
  return t;
}

/** `torch.nn.init.uniform_(t, a, b)`: values uniform in [a, b). */
export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  const r = rand(t.shape, { dtype: t.dtype, backend: t.backend });
  const v = noGrad(() => r.mul(b - a).add(a));
  r.dispose();
  return assign(t, v);
}

/** `torch.nn.init.normal_(t, mean, std)`. */
export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  const r = randn(t.shape, { dtype: t.dtype, backend: t.backend });
  const v = noGrad(() => r.mul(std).add(mean));
  r.dispose();
  return assign(t, v);
}

/** `torch.nn.init.constant_(t, value)`. */
export function constant_(t: Tensor, value: number): Tensor {
  noGrad(() => t.fill_(value));
  return t;
}

/** `torch.nn.init.zeros_(t)`. */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** `torch.nn.init.ones_(t)`. */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu). Default 0. */
  a?: number;
  mode?: 'fan_in' | 'fan_out';
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = (opts.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return fan === 0 ? 0 : gain / Math.sqrt(fan);
}

/** `torch.nn.init.kaiming_uniform_`: uniform in ±gain·√(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound);
}

/** `torch.nn.init.kaiming_normal_`: normal with std gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts));
}

/** `torch.nn.init.xavier_uniform_`: uniform in ±gain·√(6 / (fanIn + fanOut)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const bound = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -bound, bound);
}

/** `torch.nn.init.xavier_normal_`: normal with std gain·√(2 / (fanIn + fanOut)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
