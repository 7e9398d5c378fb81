/**
 * `torch.nn.init`: in-place initialisers, drawing from the global generator
 * (`torch.manualSeed`) or the `generator` option's (PyTorch 2's `generator=` keyword), so a
 * seeded program builds the same model every run — PyTorch's values for the same seed (the
 * draws are `uniform_`/`normal_`'s, see ops/sampling.ts).
 */
import { noGrad } from '../engine.js';
import { shapeStr, ValueError } from '../errors.js';
import { erf, erfinv } from '../fused/special.js';
import { type Generator, generatorOf } from '../generator.js';
import { fromHost } from '../ops/creation.js';
import * as rnd from '../ops/random.js';
import { normalValues, uniformValues } from '../ops/sampling.js';
import type { Tensor } from '../tensor.js';

/** A nonlinearity `calculateGain` knows (PyTorch's names). */
export type Nonlinearity =
  | 'linear'
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'conv_transpose1d'
  | 'conv_transpose2d'
  | 'conv_transpose3d'
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
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || Number.isNaN(slope))
        throw new ValueError(`negative_slope ${String(slope)} not a valid number`);
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

/** The option every random initialiser takes: the generator to draw from (the default one otherwise). */
export interface InitGeneratorOptions {
  /** The generator to draw random numbers from, instead of the default one (PyTorch's `generator`). */
  generator?: Generator | null;
}

/**
 * `torch.nn.init.uniform_(t, a=0, b=1, generator=None)`: values uniform in [a, b), as
 * `t.uniform_(a, b)` (also `uniform_(t, { a, b, generator })`).
 */
export function uniform_(
  t: Tensor,
  aOrOpts: number | ({ a?: number; b?: number } & InitGeneratorOptions) = 0,
  bArg = 1,
  opts: InitGeneratorOptions = {},
): Tensor {
  if (typeof aOrOpts === 'object') opts = aOrOpts;
  const [a, b] = typeof aOrOpts === 'object' ? [aOrOpts.a ?? 0, aOrOpts.b ?? 1] : [aOrOpts, bArg];
  noGrad(() => rnd.uniform_(t, a, b, { generator: opts.generator }));
  return t;
}

/**
 * `torch.nn.init.normal_(t, mean=0, std=1, generator=None)`, as `t.normal_(mean, std)`
 * (also `normal_(t, { mean, std, generator })`).
 */
export function normal_(
  t: Tensor,
  meanOrOpts: number | ({ mean?: number; std?: number } & InitGeneratorOptions) = 0,
  stdArg = 1,
  opts: InitGeneratorOptions = {},
): Tensor {
  if (typeof meanOrOpts === 'object') opts = meanOrOpts;
  const [mean, std] =
    typeof meanOrOpts === 'object' ? [meanOrOpts.mean ?? 0, meanOrOpts.std ?? 1] : [meanOrOpts, stdArg];
  noGrad(() => rnd.normal_(t, mean, std, { generator: opts.generator }));
  return t;
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

export interface KaimingOptions extends InitGeneratorOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu). Default 0. */
  a?: number;
  /**
   * `'fan_in'` preserves the variance in the forward pass, `'fan_out'` in the backward pass (PyTorch's
   * `mode`).
   */
  mode?: 'fan_in' | 'fan_out';
  /** The nonlinearity that follows, for the gain (PyTorch's `nonlinearity`). */
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, opts: KaimingOptions): number {
  const mode = opts.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out')
    throw new ValueError(`Mode ${String(mode)} not supported, please use one of fan_in, fan_out`);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return fan === 0 ? 0 : gain / Math.sqrt(fan);
}

/** `torch.nn.init.kaiming_uniform_`: uniform in ±gain·√(3 / fan). */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, opts);
  return uniform_(t, -bound, bound, opts);
}

/** `torch.nn.init.kaiming_normal_`: normal with std gain / √fan. */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, 0, kaimingStd(t, opts), opts);
}

/** The gain options of the xavier and orthogonal initialisers. */
export interface GainOptions extends InitGeneratorOptions {
  /** Scaling factor (PyTorch's `gain`). */
  gain?: number;
}

function gainOf(g: number | GainOptions): number {
  return typeof g === 'object' && g !== null ? (g.gain ?? 1) : g;
}

function genOpts(g: number | GainOptions): InitGeneratorOptions {
  return typeof g === 'object' && g !== null ? g : {};
}

/**
 * `torch.nn.init.xavier_uniform_(t, gain)`: uniform in ±gain·√(6 / (fanIn + fanOut)) (also
 * `{ gain, generator }`).
 */
export function xavierUniform_(t: Tensor, gainOrOpts: number | GainOptions = 1): Tensor {
  const gain = gainOf(gainOrOpts);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound, genOpts(gainOrOpts));
}

/**
 * `torch.nn.init.xavier_normal_(t, gain)`: normal with std gain·√(2 / (fanIn + fanOut))
 * (also `{ gain, generator }`).
 */
export function xavierNormal_(t: Tensor, gainOrOpts: number | GainOptions = 1): Tensor {
  const gain = gainOf(gainOrOpts);
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)), genOpts(gainOrOpts));
}

/** Options of `truncNormal_` (PyTorch's `mean`, `std`, `a`, `b`, and the generator). */
export interface TruncNormalOptions extends InitGeneratorOptions {
  /** Mean of the normal distribution. */
  mean?: number;
  /** Standard deviation of the normal distribution. */
  std?: number;
  /** Lower cut-off. Default -2. */
  a?: number;
  /** Upper cut-off. Default 2. */
  b?: number;
}

const normCdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;

/**
 * `torch.nn.init.trunc_normal_(t, mean=0, std=1, a=-2, b=2)`: a normal distribution cut
 * to [a, b], drawn as PyTorch does (uniform between the cut-offs' CDF values, mapped back
 * through erfinv), so after `torch.manualSeed` the values are PyTorch's.
 */
export function truncNormal_(t: Tensor, opts: TruncNormalOptions = {}): Tensor {
  const { mean = 0, std = 1, a = -2, b = 2 } = opts;
  if (!(std >= 0)) throw new ValueError(`trunc_normal_: std must be non-negative, got ${std}`);
  if (!(a <= b)) throw new ValueError(`trunc_normal_: expected a <= b, got a=${a}, b=${b}`);
  if (mean < a - 2 * std || mean > b + 2 * std) {
    console.warn(
      'mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The distribution of values may be incorrect.',
    );
  }
  const lo = 2 * normCdf((a - mean) / std) - 1;
  const hi = 2 * normCdf((b - mean) / std) - 1;
  const n = t.numel();
  // PyTorch's uniform_(lo, hi) (a contiguous tensor's draws, as `t` is drawn in place),
  // then erfinv_, mul_(std·√2), add_(mean), clamp_(a, b).
  const data = uniformValues(generatorOf(opts, 'truncNormal_'), n, t.dtype, lo, hi);
  for (let i = 0; i < n; i++) {
    const v = erfinv(data[i]!) * (std * Math.SQRT2) + mean;
    data[i] = Math.min(Math.max(v, a), b);
  }
  return assign(t, fromHost(data, t.shape, { dtype: t.dtype, backend: t.backend }));
}

/**
 * `torch.nn.init.orthogonal_(t, gain=1)`: t viewed as [rows, cols] (rows = size(0)) becomes
 * a (semi-)orthogonal matrix times `gain` — the Q of the QR decomposition of a normal matrix
 * with R's diagonal made positive, as PyTorch's. The normal matrix is PyTorch's
 * (`new(rows, cols).normal_(0, 1)` in t's dtype); the QR runs on the host (modified
 * Gram-Schmidt, twice, in float64), so Q agrees with PyTorch's LAPACK Householder QR to
 * rounding.
 */
export function orthogonal_(t: Tensor, opts: GainOptions | number = {}): Tensor {
  const gain = gainOf(opts);
  if (t.dim() < 2) {
    throw new ValueError(
      `Only tensors with 2 or more dimensions are supported (got shape ${shapeStr(t.shape)})`,
    );
  }
  const rows = t.shape[0]!;
  const n = t.numel();
  if (n === 0) return t;
  const cols = n / rows;
  const a = normalValues(generatorOf(genOpts(opts), 'orthogonal_'), n, t.dtype); // [rows, cols], row-major
  // Work on the tall orientation: columns of M [m, k] with m >= k.
  const tall = rows >= cols;
  const m = tall ? rows : cols;
  const k = tall ? cols : rows;
  const at = (i: number, j: number) => (tall ? a[i * cols + j]! : a[j * cols + i]!);
  const q: Float64Array[] = [];
  for (let j = 0; j < k; j++) {
    const v = new Float64Array(m);
    for (let i = 0; i < m; i++) v[i] = at(i, j);
    const norm0 = Math.hypot(...v);
    for (let pass = 0; pass < 2; pass++) {
      for (const u of q) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += u[i]! * v[i]!;
        for (let i = 0; i < m; i++) v[i]! -= dot * u[i]!;
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i]! * v[i]!;
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12 * norm0))
      throw new ValueError('orthogonal_: the random matrix was rank deficient; try again');
    for (let i = 0; i < m; i++) v[i]! /= norm;
    q.push(v);
  }
  const out = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (tall ? q[c]![r]! : q[r]![c]!);
  }
  return assign(t, fromHost(out, t.shape, { dtype: t.dtype, backend: t.backend }));
}

/** `torch.nn.init.eye_(t)`: the identity matrix in a 2-D tensor (ones on the main diagonal). */
export function eye_(t: Tensor): Tensor {
  if (t.dim() !== 2)
    throw new ValueError(`Only tensors with 2 dimensions are supported (got shape ${shapeStr(t.shape)})`);
  const [r, c] = t.shape as [number, number];
  const data = new Float64Array(r * c);
  for (let i = 0; i < Math.min(r, c); i++) data[i * c + i] = 1;
  return assign(t, fromHost(data, t.shape, { dtype: t.dtype, backend: t.backend }));
}

/**
 * `torch.nn.init.dirac_(t, groups=1)`: a 3-, 4- or 5-D convolution weight that passes its
 * input through (a centred 1 from each input channel to the same output channel, per group).
 */
export function dirac_(t: Tensor, opts: { groups?: number } | number = {}): Tensor {
  const groups = typeof opts === 'number' ? opts : (opts.groups ?? 1);
  const d = t.dim();
  if (d < 3 || d > 5)
    throw new ValueError(
      `Only tensors with 3, 4, or 5 dimensions are supported (got shape ${shapeStr(t.shape)})`,
    );
  const out = t.shape[0]!;
  if (!Number.isInteger(groups) || groups < 1 || out % groups !== 0)
    throw new ValueError(`dim 0 must be divisible by groups (got size ${out} and groups=${groups})`);
  const perGroup = out / groups;
  const inC = t.shape[1]!;
  const spatial = t.shape.slice(2);
  const sp = spatial.reduce((x, y) => x * y, 1);
  let centre = 0;
  for (const s of spatial) centre = centre * s + Math.floor(s / 2);
  const data = new Float64Array(t.numel());
  for (let g = 0; g < groups; g++) {
    for (let i = 0; i < Math.min(perGroup, inC); i++) data[((g * perGroup + i) * inC + i) * sp + centre] = 1;
  }
  return assign(t, fromHost(data, t.shape, { dtype: t.dtype, backend: t.backend }));
}
