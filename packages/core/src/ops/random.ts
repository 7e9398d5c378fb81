/**
 * The random ops on tensors: `torch.normal` with tensor mean/std, `bernoulli`,
 * `multinomial`, and the in-place fills (`uniform_`, `normal_`, `bernoulli_`, `random_`,
 * `exponential_`, `cauchy_`, `logNormal_`, `geometric_`). Draws are made on the host
 * (`ops/sampling.ts`, PyTorch's CPU samplers), so every backend gets the same numbers.
 */
import { recordOp } from '../autograd/graph.js';
import { isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { type Generator, generatorOf } from '../generator.js';
import { Tensor } from '../tensor.js';
import { fromHost, normalNumbers, type RandomOptions, type ShapeLike, zeros } from './creation.js';
import {
  bernoulliValues,
  cauchyValues,
  exponentialValues,
  geometricValues,
  intFullValues,
  intRangeValues,
  logNormalValues,
  normalValues,
  uniformValues,
} from './sampling.js';
import { broadcastShapes, checkSameBackend } from './util.js';

/** The options of the in-place random fills: the generator to draw from. */
export interface GeneratorOptions {
  /** The generator to draw from instead of the default one (PyTorch's `generator`). */
  generator?: Generator | null;
}

function checkTensor(t: unknown, what: string, arg = 'input'): asserts t is Tensor {
  if (!(t instanceof Tensor)) throw new TypeError(`${what}(): ${arg} must be a Tensor, got ${typeof t}`);
}

function checkFloatTensor(t: Tensor, kernel: string): void {
  if (!isFloat(t.dtype)) throw new ValueError(`"${kernel}" not implemented for '${t.dtype}'`);
}

/**
 * The logical (row-major) index of each element in the order PyTorch's TensorIterator
 * visits a written tensor: row-major when contiguous, else storage order.
 */
function visitOrder(t: Tensor): Int32Array | null {
  if (t.isContiguous()) return null;
  const shape = t.shape;
  const strides = t.stride();
  const n = t.numel();
  const offsets = new Float64Array(n);
  const idx = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < n; i++) {
    let off = 0;
    for (let d = 0; d < shape.length; d++) off += idx[d]! * strides[d]!;
    offsets[i] = off;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
  const order = Int32Array.from({ length: n }, (_, i) => i);
  return order.sort((a, b) => offsets[a]! - offsets[b]! || a - b);
}

/** Values drawn in visit order, placed at their logical (row-major) positions. */
function placed(values: Float64Array, order: Int32Array | null): Float64Array {
  if (!order) return values;
  const out = new Float64Array(values.length);
  for (let k = 0; k < order.length; k++) out[order[k]!] = values[k]!;
  return out;
}

/** Writes host values (logical order) into t, as PyTorch's in-place random ops write. */
function fill(t: Tensor, values: Float64Array): Tensor {
  const src = fromHost(values, t.shape, { dtype: t.dtype, backend: t.backend }, 'random fill');
  t.copy_(src);
  src.dispose();
  return t;
}

/** `t.uniform_(from=0, to=1, *, generator)`: PyTorch's values for the same seed. */
export function uniform_<T extends Tensor>(t: T, from = 0, to = 1, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'uniform_', 'self');
  checkFloatTensor(t, 'uniform_kernel_cpu');
  if (!(from <= to)) {
    throw new ValueError(`uniform_ expects to return a [from, to) range, but found from=${from} > to=${to}`);
  }
  const gen = generatorOf(opts, 'uniform_');
  const order = visitOrder(t);
  fill(t, placed(uniformValues(gen, t.numel(), t.dtype, from, to), order));
  return t;
}

/**
 * `t.normal_(mean=0, std=1, *, generator)`: PyTorch's CPU kernel, its vectorised path for
 * a contiguous tensor of 16 or more elements, the scalar path otherwise.
 */
export function normal_<T extends Tensor>(t: T, mean = 0, std = 1, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'normal_', 'self');
  checkFloatTensor(t, 'normal_kernel_cpu');
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  const gen = generatorOf(opts, 'normal_');
  const order = visitOrder(t);
  fill(t, placed(normalValues(gen, t.numel(), t.dtype, mean, std, order === null), order));
  return t;
}

/** `t.bernoulli_(p=0.5, *, generator)`: a number p, or a tensor of probabilities broadcast to t. */
export function bernoulli_<T extends Tensor>(t: T, p: number | Tensor = 0.5, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'bernoulli_', 'self');
  const gen = generatorOf(opts, 'bernoulli_');
  const order = visitOrder(t);
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli_ expects p to be in [0, 1], but got p=${p}`);
    fill(t, placed(bernoulliValues(gen, t.numel(), p), order));
    return t;
  }
  checkTensor(p, 'bernoulli_', 'p');
  const mask = bernoulliMask(p, t.shape, gen, order, 'bernoulli_');
  t.copy_(mask);
  mask.dispose();
  return t;
}

/**
 * 1 where a uniform draw is below p (p broadcast to `shape`), as a bool tensor on p's
 * backend. PyTorch draws 53-bit uniforms for a float64 p and 24-bit ones for float32; the
 * comparison runs on the device, so nothing is read back.
 */
function bernoulliMask(
  p: Tensor,
  shape: readonly number[],
  gen: Generator,
  order: Int32Array | null,
  what: string,
): Tensor {
  checkFloatTensor(p, `${what}_tensor_cpu_p_`);
  const b = broadcastShapes(p.shape, shape);
  if (b.length !== shape.length || b.some((s, i) => s !== shape[i])) {
    throw new ShapeError(
      `${what}: p of shape ${shapeStr(p.shape)} cannot be broadcast to ${shapeStr(shape)}`,
    );
  }
  if (p.backend.syncReads) {
    const v = p.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! >= 0 && v[i]! <= 1)) {
        throw new ValueError(`${what}: expected 0 <= p <= 1 for every element of p, found ${v[i]}`);
      }
    }
  }
  const n = shape.reduce((a, c) => a * c, 1);
  const u = placed(uniformValues(gen, n, p.dtype), order);
  return noGrad(() => tidy(() => fromHost(u, shape, { dtype: p.dtype, backend: p.backend }, what).lt(p)));
}

/**
 * `torch.bernoulli(input, *, generator)`: 0/1 draws with the probabilities in `input`, in
 * input's dtype; `torch.bernoulli(input, p)` with a number p draws with p, shaped like input.
 */
export function bernoulli(input: Tensor, p?: number | GeneratorOptions, opts: GeneratorOptions = {}): Tensor {
  checkTensor(input, 'bernoulli');
  if (typeof p === 'object' && p !== null) [p, opts] = [undefined, p];
  const gen = generatorOf(opts, 'bernoulli');
  if (typeof p === 'number') {
    if (!(p >= 0 && p <= 1)) throw new ValueError(`bernoulli_ expects p to be in [0, 1], but got p=${p}`);
    return fromHost(bernoulliValues(gen, input.numel(), p), input.shape, {
      dtype: input.dtype,
      backend: input.backend,
    });
  }
  const mask = bernoulliMask(input, input.shape, gen, null, 'bernoulli');
  const out = noGrad(() => mask.to(input.dtype));
  if (out !== mask) mask.dispose();
  return out;
}

/**
 * `t.random_(from=0, to=None, *, generator)`: integers in [from, to) (`random_(to)` is
 * [0, to)); with no bounds, PyTorch's full range of the dtype ([0, 2^24] for float32,
 * [0, 2^53] for float64, [0, 2^31) for int32, {0, 1} for bool).
 */
export function random_<T extends Tensor>(
  t: T,
  from?: number | GeneratorOptions,
  to?: number | GeneratorOptions | null,
  opts: GeneratorOptions = {},
): T {
  checkTensor(t, 'random_', 'self');
  if (typeof from === 'object' && from !== null) [from, to, opts] = [undefined, undefined, from];
  if (typeof to === 'object' && to !== null) [to, opts] = [undefined, to];
  const gen = generatorOf(opts, 'random_');
  const order = visitOrder(t);
  const n = t.numel();
  if (from === undefined) {
    fill(t, placed(intFullValues(gen, n, t.dtype), order));
    return t;
  }
  let lo = from;
  let hi = to as number | undefined | null;
  if (hi === undefined || hi === null) [lo, hi] = [0, lo];
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) {
    throw new TypeError(`random_(): from and to must be integers, got from=${lo}, to=${hi}`);
  }
  if (!(hi > lo))
    throw new ValueError(`random_ expects 'from' to be less than 'to', but got from=${lo} >= to=${hi}`);
  fill(t, placed(intRangeValues(gen, n, lo, hi), order));
  return t;
}

/** `t.exponential_(lambd=1, *, generator)`. */
export function exponential_<T extends Tensor>(t: T, lambd = 1, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'exponential_', 'self');
  checkFloatTensor(t, 'exponential_cpu');
  if (!(lambd > 0)) throw new ValueError(`exponential_ expects lambda > 0.0, but found lambda=${lambd}`);
  const gen = generatorOf(opts, 'exponential_');
  const order = visitOrder(t);
  fill(t, placed(exponentialValues(gen, t.numel(), t.dtype, lambd), order));
  return t;
}

/** `t.cauchy_(median=0, sigma=1, *, generator)`. */
export function cauchy_<T extends Tensor>(t: T, median = 0, sigma = 1, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'cauchy_', 'self');
  checkFloatTensor(t, 'cauchy_cpu');
  if (!(sigma > 0)) throw new ValueError(`cauchy_ expects sigma > 0.0, but found sigma=${sigma}`);
  const gen = generatorOf(opts, 'cauchy_');
  const order = visitOrder(t);
  fill(t, placed(cauchyValues(gen, t.numel(), t.dtype, median, sigma), order));
  return t;
}

/** `t.log_normal_(mean=1, std=2, *, generator)`. */
export function logNormal_<T extends Tensor>(t: T, mean = 1, std = 2, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'logNormal_', 'self');
  checkFloatTensor(t, 'log_normal_cpu');
  if (!(std > 0)) throw new ValueError(`log_normal_ expects std > 0.0, but found std=${std}`);
  const gen = generatorOf(opts, 'logNormal_');
  const order = visitOrder(t);
  fill(t, placed(logNormalValues(gen, t.numel(), t.dtype, mean, std), order));
  return t;
}

/** `t.geometric_(p, *, generator)`: the number of trials up to the first success. */
export function geometric_<T extends Tensor>(t: T, p: number, opts: GeneratorOptions = {}): T {
  checkTensor(t, 'geometric_', 'self');
  if (!(p > 0 && p < 1)) throw new ValueError(`geometric_ expects p to be in (0, 1), but got p=${p}`);
  const gen = generatorOf(opts, 'geometric_');
  const order = visitOrder(t);
  fill(t, placed(geometricValues(gen, t.numel(), p), order));
  return t;
}

/**
 * `torch.normal(mean, std, *, generator)` with a tensor mean and/or std: standard normals
 * of the broadcast shape (drawn as `normal_` draws them), times std, plus mean, each step
 * rounded to the result dtype (mean's, or std's when mean is a number), as PyTorch's
 * `output.mul_(std).add_(mean)`. Like PyTorch, no gradient flows to mean or std (zeros).
 * With numbers, `normal(mean, std, size)`.
 */
export function normal(mean: Tensor, std: Tensor | number, opts?: RandomOptions): Tensor;
export function normal(mean: number, std: Tensor, opts?: RandomOptions): Tensor;
export function normal(mean: number, std: number, size: ShapeLike, opts?: RandomOptions): Tensor;
export function normal(
  mean: Tensor | number,
  std: Tensor | number,
  sizeOrOpts?: ShapeLike | RandomOptions,
  opts: RandomOptions = {},
): Tensor {
  if (typeof mean === 'number' && typeof std === 'number') {
    if (sizeOrOpts === undefined || (typeof sizeOrOpts === 'object' && !Array.isArray(sizeOrOpts))) {
      throw new TypeError('normal(mean, std, size): with number mean and std, the size is required');
    }
    return normalNumbers(mean, std, sizeOrOpts as ShapeLike, opts);
  }
  if (sizeOrOpts !== undefined) {
    if (typeof sizeOrOpts !== 'object' || Array.isArray(sizeOrOpts)) {
      throw new TypeError(
        'normal(mean, std): with a tensor mean or std the shape comes from them; pass no size',
      );
    }
    opts = sizeOrOpts as RandomOptions;
  }
  const tensors = [mean, std].filter((x): x is Tensor => x instanceof Tensor);
  for (const x of [mean, std]) {
    if (!(x instanceof Tensor) && typeof x !== 'number') {
      throw new TypeError(`normal(): mean and std must be Tensors or numbers, got ${typeof x}`);
    }
  }
  const backend = checkSameBackend('normal', ...tensors);
  const ref = mean instanceof Tensor ? mean : (std as Tensor);
  const dtype = ref.dtype;
  if (!isFloat(dtype)) throw new ValueError(`"normal_kernel_cpu" not implemented for '${dtype}'`);
  if (typeof std === 'number') {
    if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  } else if (std.backend.syncReads && std.numel() > 0) {
    const v = std.dataSync();
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! >= 0)) throw new ValueError('normal expects all elements of std >= 0.0');
    }
  }
  const shape =
    mean instanceof Tensor && std instanceof Tensor ? broadcastShapes(mean.shape, std.shape) : ref.shape;
  const gen = generatorOf(opts, 'normal');
  const n = shape.reduce((a, c) => a * c, 1);
  const out = noGrad(() =>
    tidy(() => {
      const z = fromHost(normalValues(gen, n, dtype), shape, { dtype, backend }, 'normal');
      const scaled = z.mul(std).to(dtype);
      return scaled.add(mean).to(dtype);
    }),
  );
  const name = !(mean instanceof Tensor)
    ? 'NormalBackward2'
    : std instanceof Tensor
      ? 'NormalBackward3'
      : 'NormalBackward1';
  const like = tensors.map((x) => ({ shape: x.shape, dtype: x.dtype, backend: x.backend }));
  return recordOp(out, name, tensors, () =>
    like.map((x) => zeros(x.shape, { dtype: x.dtype, backend: x.backend })),
  );
}

/** Options of `multinomial`. */
export interface MultinomialOptions extends GeneratorOptions {
  /** Draw with replacement. Default false. */
  replacement?: boolean;
}

/**
 * `torch.multinomial(input, numSamples, { replacement, generator })`: category indices
 * (int32; PyTorch's int64) drawn with the weights in each row of a 1-D or 2-D `input`, by
 * PyTorch 1.13's CPU algorithms: without replacement, the largest of `p / q` with q
 * exponential draws (`topk`, or `argmax` for one sample); with replacement, a binary
 * search of a double uniform in the normalised cumulative weights.
 */
export function multinomial(input: Tensor, numSamples: number, opts: MultinomialOptions = {}): Tensor {
  checkTensor(input, 'multinomial');
  const replacement = opts.replacement ?? false;
  const gen = generatorOf(opts, 'multinomial');
  if (!isFloat(input.dtype))
    throw new ValueError('multinomial only supports floating-point dtypes for input');
  if (input.dim() !== 1 && input.dim() !== 2) throw new ValueError('prob_dist must be 1 or 2 dim');
  if (!Number.isInteger(numSamples) || numSamples <= 0) {
    throw new ValueError(`cannot sample n_sample <= 0 samples (got ${numSamples})`);
  }
  const cats = input.shape[input.dim() - 1]!;
  if (!replacement && numSamples > cats) {
    throw new ValueError('cannot sample n_sample > prob_dist.size(-1) samples without replacement');
  }
  if (cats > 2 ** 24) throw new ValueError('number of categories cannot exceed 2^24');
  const rows = input.dim() === 2 ? input.shape[0]! : 1;
  const outShape = input.dim() === 2 ? [rows, numSamples] : [numSamples];
  const host = input.backend.syncReads ? input.dataSync() : null;
  if (!replacement) {
    if (host) {
      for (let i = 0; i < host.length; i++) {
        if (!(host[i]! >= 0 && host[i]! < Number.POSITIVE_INFINITY)) {
          throw new ValueError('probability tensor contains either `inf`, `nan` or element < 0');
        }
      }
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let c = 0; c < cats; c++) sum += host[r * cats + c]!;
        if (sum === 0) throw new ValueError('invalid multinomial distribution (sum of probabilities <= 0)');
      }
    }
    // Gumbel-max with exponentials: argmax / topk of p / q, q ~ Exp(1), q in input's dtype.
    const q = exponentialValues(gen, input.numel(), input.dtype, 1);
    return noGrad(() =>
      tidy(() => {
        const qt = fromHost(q, input.shape, { dtype: input.dtype, backend: input.backend }, 'multinomial');
        const ratio = input.detach().div(qt);
        const idx = numSamples === 1 ? ratio.argmax(-1, true) : ratio.topk(numSamples).indices;
        return idx.dtype === 'int32' ? idx : idx.to('int32');
      }),
    );
  }
  const out = new Float64Array(rows * numSamples);
  if (host) {
    const f32 = input.dtype === 'float32';
    const r32 = f32 ? Math.fround : (x: number) => x;
    const cum = new Float64Array(cats);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let c = 0; c < cats; c++) {
        const v = host[r * cats + c]!;
        if (!(v >= 0))
          throw new ValueError('invalid multinomial distribution (encountering probability entry < 0)');
        if (!Number.isFinite(v)) {
          throw new ValueError(
            'invalid multinomial distribution (encountering probability entry = infinity or NaN)',
          );
        }
        sum = r32(sum + v);
        cum[c] = sum;
      }
      if (!(sum > 0)) throw new ValueError('invalid multinomial distribution (sum of probabilities <= 0)');
      for (let c = 0; c < cats; c++) cum[c] = r32(cum[c]! / sum);
      cum[cats - 1] = 1;
      for (let j = 0; j < numSamples; j++) {
        const u = gen.nextFloat53();
        let lo = 0;
        let hi = cats;
        while (hi - lo > 0) {
          const mid = lo + ((hi - lo) >> 1);
          if (cum[mid]! < u) lo = mid + 1;
          else hi = mid;
        }
        out[r * numSamples + j] = lo;
      }
    }
    return fromHost(out, outShape, { dtype: 'int32', backend: input.backend }, 'multinomial');
  }
  // A backend without synchronous reads: the same draws, the search done on the device as
  // a count of the normalised cumulative weights below each draw (the draw rounded up to
  // float32 compares as the double would with float32 weights).
  const us = new Float64Array(rows * numSamples);
  const f32 = input.dtype === 'float32';
  for (let i = 0; i < us.length; i++) {
    const u = gen.nextFloat53();
    us[i] = f32 ? ceilToFloat32(u) : u;
  }
  return noGrad(() =>
    tidy(() => {
      const w = input.detach().reshape([rows, cats]);
      const cum = w.cumsum(1);
      const norm = cum.div(cum.narrow(1, cats - 1, 1));
      const u = fromHost(us, [rows, numSamples, 1], { dtype: input.dtype, backend: input.backend });
      const below = norm
        .narrow(1, 0, cats - 1)
        .unsqueeze(1)
        .lt(u);
      return below.sum(2).to('int32').reshape(outShape);
    }),
  );
}

/** The smallest float32 at or above x (x in [0, 1)). */
function ceilToFloat32(x: number): number {
  const r = Math.fround(x);
  if (r >= x) return r;
  const b = new Float32Array([r]);
  const i = new Uint32Array(b.buffer);
  i[0]! += 1;
  return b[0]!;
}
