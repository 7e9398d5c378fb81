/** Creation functions: `torch.tensor`, `zeros`, `arange`, `rand`, ... */
import type { Backend } from '../backend.js';
import {
  assertDType,
  type DType,
  getDefaultDtype,
  isFloat,
  type TypedArray,
  typedArrayFor,
} from '../dtype.js';
import { AutogradError, ValueError } from '../errors.js';
import { type Generator, generatorOf } from '../generator.js';
import { resolveBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { checkTensorSize } from '../tensorSize.js';
import { intRangeValues, normalValues, permutationValues, uniformValues } from './sampling.js';
import { alloc, checkDTypeSupported } from './util.js';

/** Options of every creation function. */
export interface TensorOptions {
  /** The data type (PyTorch's `dtype`). */
  dtype?: DType;
  /** Record operations on the tensor for autograd (PyTorch's `requires_grad`). */
  requiresGrad?: boolean;
  /** A registered backend name or a Backend; the default backend otherwise. */
  backend?: string | Backend;
}

/** Options of the random creation functions: `TensorOptions` and the generator to draw from. */
export interface RandomOptions extends TensorOptions {
  /** The `torch.Generator` to draw from; the default generator (`torch.manualSeed`) otherwise. */
  generator?: Generator | null;
}

/** A number, a boolean, or (nested) arrays of them, as `torch.tensor` takes. */
export type NestedArray = number | boolean | readonly NestedArray[];
/** Data `torch.tensor` accepts: nested arrays, a typed array, or an array of typed arrays. */
export type TensorData = NestedArray | TypedArray | readonly TypedArray[];
/** A shape: one size or an array of sizes. */
export type ShapeLike = number | readonly number[];

/** A shape argument as an array (checked by `checkNew`/`planNew` before anything is allocated). */
function shapeOf(s: ShapeLike): number[] {
  return typeof s === 'number' ? [s] : [...s];
}

/**
 * PyTorch's size arguments: the sizes as separate numbers (`zeros(2, 3)`) or as one array
 * (`zeros([2, 3])`), then the options object if any (`randn(784, 10, { requiresGrad: true })`).
 */
export type SizeArgs<O extends TensorOptions = TensorOptions> =
  | readonly [...sizes: number[], opts: O]
  | readonly number[]
  | readonly [shape: readonly number[], opts?: O];

/** Splits `SizeArgs` into a shape and options; anything else is an error naming it, never a cut. */
export function sizeArgs(args: readonly unknown[], what: string): { shape: number[]; opts: TensorOptions } {
  const last = args[args.length - 1];
  const hasOpts = last !== null && typeof last === 'object' && !Array.isArray(last);
  const sizes = hasOpts ? args.slice(0, -1) : args;
  const opts = (hasOpts ? last : {}) as TensorOptions;
  if (sizes.length === 1 && Array.isArray(sizes[0])) return { shape: [...(sizes[0] as number[])], opts };
  const bad = sizes.findIndex((d) => typeof d !== 'number');
  if (sizes.length === 0 || bad >= 0) {
    const got = sizes.length === 0 ? 'no size' : `${describeArg(sizes[bad])} at argument ${bad + 1}`;
    throw new TypeError(
      `${what}(): the size must be numbers (${what}(2, 3)) or one array of numbers (${what}([2, 3])), optionally followed by an options object; got ${got}`,
    );
  }
  return { shape: sizes as number[], opts };
}

function describeArg(v: unknown): string {
  if (Array.isArray(v)) return `an array [${v.join(', ')}]`;
  return v === null ? 'null' : `${typeof v} ${String(v)}`;
}

/** The options argument must be an options object: a stray number is a size that would be lost. */
function checkOptions(opts: unknown, what: string): void {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) {
    throw new TypeError(
      `${what}(): expected an options object ({ dtype, requiresGrad, backend }) after the size, got ${describeArg(opts)}; pass every size in the size argument`,
    );
  }
}

/**
 * Everything that can refuse a new tensor, checked before anything is allocated, so a
 * refused creation leaves `torch.memory()` as it was: the backend stores the dtype, the
 * size fits (core's limit and the backend's `maxTensorBytes`), and `requiresGrad` is asked
 * only of a float dtype (the error `requiresGrad_` gives, PyTorch's wording).
 */
function checkNew(
  shape: readonly number[],
  dtype: DType,
  backend: Backend,
  opts: TensorOptions,
  what: string,
): number {
  checkOptions(opts, what);
  const n = checkTensorSize(shape, dtype, backend, what);
  checkDTypeSupported(backend, dtype);
  if (opts.requiresGrad && !isFloat(dtype)) {
    throw new AutogradError(`only Tensors of floating point dtype can require gradients (got ${dtype})`);
  }
  return n;
}

/** `checkNew` for the creation functions that fill a host array first: before that array exists. */
function planNew(
  shape: readonly number[],
  opts: TensorOptions,
  what: string,
  dflt: DType = getDefaultDtype(),
): number {
  checkOptions(opts, what);
  const dtype = opts.dtype ? assertDType(opts.dtype) : dflt;
  return checkNew(shape, dtype, resolveBackend(opts.backend), opts, what);
}

function finish(t: Tensor, opts: TensorOptions | undefined): Tensor {
  if (opts?.requiresGrad) t.requiresGrad_(true);
  return t;
}

/** A tensor of `shape` filled from a host array of `dtype` (copied). `what` names the caller in errors. */
export function fromHost(
  data: ArrayLike<number>,
  shape: readonly number[],
  opts: TensorOptions = {},
  what = 'tensor',
): Tensor {
  const dtype = opts.dtype ? assertDType(opts.dtype) : getDefaultDtype();
  const backend = resolveBackend(opts.backend);
  checkNew(shape, dtype, backend, opts, what);
  const t = alloc(shape, dtype, backend);
  // `write` copies, so host data already of the dtype's own array kind goes as it is (no
  // second host copy: `torch.load` of a large checkpoint needs one less).
  // (Not a SharedArrayBuffer view, which another thread could change mid-write.)
  const own =
    dtype !== 'bool' &&
    Object.getPrototypeOf(data) === Object.getPrototypeOf(typedArrayFor(dtype, 0)) &&
    (data as TypedArray).buffer instanceof ArrayBuffer;
  const arr = own ? (data as TypedArray) : typedArrayFor(dtype, data.length);
  if (dtype === 'bool') for (let i = 0; i < data.length; i++) arr[i] = data[i] ? 1 : 0;
  else if (!own) arr.set(data as ArrayLike<number>);
  backend.write(t.storage, arr);
  return finish(t, opts);
}

function inferDType(data: TensorData): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  let v: unknown = data;
  while (Array.isArray(v) && v.length > 0) v = v[0];
  if (v instanceof Float64Array) return 'float64';
  if (v instanceof Int32Array) return 'int32';
  return typeof v === 'boolean' ? 'bool' : getDefaultDtype();
}

function flattenNested(data: TensorData): { flat: number[]; shape: number[] } {
  const shape: number[] = [];
  let v: unknown = data;
  while (Array.isArray(v) || ArrayBuffer.isView(v)) {
    const arr = v as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    v = arr[0];
  }
  const flat: number[] = [];
  const walk = (x: unknown, d: number): void => {
    if (d === shape.length) {
      if (typeof x === 'number') flat.push(x);
      else if (typeof x === 'boolean') flat.push(x ? 1 : 0);
      else
        throw new TypeError(
          `tensor(): expected numbers or booleans, found ${x === null ? 'null' : typeof x}`,
        );
      return;
    }
    if (!(Array.isArray(x) || ArrayBuffer.isView(x))) {
      throw new ValueError(`tensor(): expected a sequence at dim ${d}, found a ${typeof x}`);
    }
    const arr = x as ArrayLike<unknown>;
    if (arr.length !== shape[d]) {
      throw new ValueError(`expected sequence of length ${shape[d]} at dim ${d} (got ${arr.length})`);
    }
    for (let i = 0; i < arr.length; i++) walk(arr[i], d + 1);
  };
  walk(data, 0);
  return { flat, shape };
}

/**
 * `torch.tensor(data)`: numbers give the default float dtype, float32 unless
 * `setDefaultDtype` says otherwise (integers too, unless `dtype` says otherwise), booleans give bool, a Float64Array gives float64, an Int32Array int32.
 */
export function tensor(data: TensorData, opts: TensorOptions = {}): Tensor {
  checkOptions(opts, 'tensor');
  const dtype = opts.dtype ? assertDType(opts.dtype) : inferDType(data);
  if (ArrayBuffer.isView(data) && !(data instanceof DataView)) {
    return fromHost(data as TypedArray, [(data as TypedArray).length], { ...opts, dtype });
  }
  const { flat, shape } = flattenNested(data);
  return fromHost(flat, shape, { ...opts, dtype });
}

/** `torch.full(shape, value)`. */
export function full(shape: ShapeLike, value: number | boolean, opts: TensorOptions = {}): Tensor {
  return filled(shape, value, opts, 'full');
}

/** `full`, with `what` naming the public function in errors. */
function filled(shape: ShapeLike, value: number | boolean, opts: TensorOptions, what: string): Tensor {
  const dtype = opts.dtype
    ? assertDType(opts.dtype)
    : typeof value === 'boolean'
      ? 'bool'
      : getDefaultDtype();
  const backend = resolveBackend(opts.backend);
  const s = shapeOf(shape);
  checkNew(s, dtype, backend, opts, what);
  const t = alloc(s, dtype, backend);
  const v = Number(value);
  if (v !== 0) backend.fill(t.storage, v);
  return finish(t, opts);
}

/** `torch.zeros(*size)`: `zeros(2, 3)`, `zeros([2, 3])`, `zeros(2, 3, { dtype })`. */
export function zeros(...args: SizeArgs): Tensor {
  const { shape, opts } = sizeArgs(args, 'zeros');
  return filled(shape, 0, opts, 'zeros');
}

/** `torch.ones(*size)`: `ones(2, 3)`, `ones([2, 3])`, `ones(2, 3, { dtype })`. */
export function ones(...args: SizeArgs): Tensor {
  const { shape, opts } = sizeArgs(args, 'ones');
  return filled(shape, 1, opts, 'ones');
}

function likeOpts(t: Tensor, opts: TensorOptions): TensorOptions {
  return { dtype: t.dtype, backend: t.backend, ...opts };
}

/**
 * Zeros with the shape (and, unless `opts` says otherwise, dtype and backend) of `t`: PyTorch's `zeros_like`.
 */
export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return filled(t.shape, 0, likeOpts(t, opts), 'zerosLike');
}

/**
 * Ones with the shape (and, unless `opts` says otherwise, dtype and backend) of `t`: PyTorch's `ones_like`.
 */
export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return filled(t.shape, 1, likeOpts(t, opts), 'onesLike');
}

/**
 * `value` everywhere, with the shape (and, unless `opts` says otherwise, dtype and backend) of `t`: PyTorch's
 * `full_like`.
 */
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return filled(t.shape, value, likeOpts(t, opts), 'fullLike');
}

/**
 * `torch.arange(end)` / `arange(start, end, step=1)`. Integer arguments without a dtype give
 * int32 (PyTorch's int64), so the result indexes (`logits.index(torch.arange(n), y)`);
 * any fractional argument gives the default float dtype (float32 unless set).
 */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (opts.dtype === undefined && [start, end, step].every(Number.isInteger))
    opts = { ...opts, dtype: 'int32' };
  if (step === 0) throw new ValueError('arange(): step must be nonzero');
  if ((end - start) / step < 0) {
    throw new ValueError(
      `arange(): upper bound and larger bound inconsistent with step sign (start ${start}, end ${end}, step ${step})`,
    );
  }
  const n = Math.ceil((end - start) / step);
  planNew([n], opts, 'arange');
  const data = new Float64Array(n);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return fromHost(data, [n], opts, 'arange');
}

/**
 * `torch.linspace(start, end, steps)`, symmetric from both ends as PyTorch computes it, in
 * the dtype's own arithmetic (float32 values are rounded after every operation, as
 * PyTorch's float32 kernel computes them).
 */
export function linspace(start: number, end: number, steps: number, opts: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) {
    throw new ValueError(`linspace(): number of steps must be non-negative, got ${steps}`);
  }
  planNew([steps], opts, 'linspace');
  const r = (opts.dtype ?? getDefaultDtype()) === 'float32' ? Math.fround : (x: number) => x;
  const data = new Float64Array(steps);
  if (steps === 1) data[0] = start;
  else if (steps > 1) {
    const s = r(start);
    const e = r(end);
    const step = r(r(e - s) / (steps - 1));
    const half = Math.floor(steps / 2);
    for (let i = 0; i < steps; i++)
      data[i] = i < half ? r(s + r(step * i)) : r(e - r(step * (steps - i - 1)));
  }
  return fromHost(data, [steps], opts, 'linspace');
}

/** `torch.eye(n, m=n)`. */
export function eye(n: number, m: number | TensorOptions = n, opts: TensorOptions = {}): Tensor {
  if (typeof m === 'object') [m, opts] = [n, m];
  planNew([n, m], opts, 'eye');
  const data = new Float64Array(n * m);
  for (let i = 0; i < Math.min(n, m); i++) data[i * m + i] = 1;
  return fromHost(data, [n, m], opts, 'eye');
}

/** A host array of draws as a new tensor of `shape` (the dtype defaults to the default float dtype). */
function drawn(data: Float64Array, shape: readonly number[], opts: TensorOptions, what: string): Tensor {
  const { generator: _g, ...rest } = opts as RandomOptions;
  return fromHost(data, shape, rest, what);
}

/** The float dtype a random creation function fills (`planNew` has checked it). */
function floatDType(opts: TensorOptions): DType {
  return opts.dtype ? assertDType(opts.dtype) : getDefaultDtype();
}

/**
 * `torch.rand(*size, generator=None)`: uniform [0, 1), PyTorch's values for the same seed
 * (24 random bits per float32 value, 53 per float64). `rand(2, 3, { generator })`.
 */
export function rand(...args: SizeArgs<RandomOptions>): Tensor {
  const { shape: s, opts } = sizeArgs(args, 'rand');
  const n = planNew(s, opts, 'rand');
  const gen = generatorOf(opts as RandomOptions, 'rand');
  return drawn(uniformValues(gen, n, floatDType(opts)), s, opts, 'rand');
}

/**
 * `torch.normal(mean, std, size)` with numbers: PyTorch's CPU `normal_` (see
 * `ops/sampling.ts`). The forms with tensor `mean`/`std` are in `ops/random.ts`.
 */
export function normalNumbers(mean: number, std: number, shape: ShapeLike, opts: RandomOptions = {}): Tensor {
  if (!(std >= 0)) throw new ValueError(`normal expects std >= 0.0, but found std ${std}`);
  const s = shapeOf(shape);
  const n = planNew(s, opts, 'normal');
  const gen = generatorOf(opts, 'normal');
  return drawn(normalValues(gen, n, floatDType(opts), mean, std), s, opts, 'normal');
}

/** `torch.randn(*size, generator=None)`: standard normal, PyTorch's values for the same seed. */
export function randn(...args: SizeArgs<RandomOptions>): Tensor {
  const { shape, opts } = sizeArgs(args, 'randn');
  return normalNumbers(0, 1, shape, opts as RandomOptions);
}

/**
 * `torch.randint(low=0, high, size)`: integers in [low, high), int32 unless `dtype` says
 * otherwise; PyTorch's values for the same seed. `randint(10, [3])` or `randint(2, 10, [3])`.
 */
export function randint(high: number, shape: ShapeLike, opts?: RandomOptions): Tensor;
export function randint(low: number, high: number, shape: ShapeLike, opts?: RandomOptions): Tensor;
export function randint(
  low: number,
  high: number | ShapeLike,
  shape?: ShapeLike | RandomOptions,
  opts: RandomOptions = {},
): Tensor {
  if (typeof high !== 'number') {
    [low, high, shape, opts] = [0, low, high, (shape as RandomOptions | undefined) ?? {}];
  }
  if (!Number.isInteger(low) || !Number.isInteger(high)) {
    throw new TypeError(`randint(): low and high must be integers, got low=${low}, high=${high}`);
  }
  if (!(high > low))
    throw new ValueError(`random_ expects 'from' to be less than 'to', but got from=${low} >= to=${high}`);
  const s = shapeOf(shape as ShapeLike);
  const n = planNew(s, opts, 'randint', 'int32');
  const gen = generatorOf(opts, 'randint');
  return drawn(intRangeValues(gen, n, low, high), s, { dtype: 'int32', ...opts }, 'randint');
}

/** `torch.randperm(n)`: a random permutation of 0..n-1 (int32), PyTorch's for the same seed. */
export function randperm(n: number, opts: RandomOptions = {}): Tensor {
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`randperm(): n must be non-negative, got ${n}`);
  planNew([n], opts, 'randperm', 'int32');
  const gen = generatorOf(opts, 'randperm');
  return drawn(permutationValues(gen, n), [n], { dtype: 'int32', ...opts }, 'randperm');
}

function likeRandom(t: Tensor, opts: RandomOptions): RandomOptions {
  return { dtype: t.dtype, backend: t.backend, ...opts };
}

/** `torch.rand_like(t)`: `rand` of t's shape, dtype and backend. */
export function randLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return rand(t.shape, likeRandom(t, opts));
}

/** `torch.randn_like(t)`: `randn` of t's shape, dtype and backend. */
export function randnLike(t: Tensor, opts: RandomOptions = {}): Tensor {
  return randn(t.shape, likeRandom(t, opts));
}

/** `torch.randint_like(t, low=0, high)`: `randint` of t's shape, dtype and backend. */
export function randintLike(
  t: Tensor,
  low: number,
  high?: number | RandomOptions,
  opts: RandomOptions = {},
): Tensor {
  if (typeof high !== 'number') [low, high, opts] = [0, low, high ?? {}];
  return randint(low, high, t.shape, likeRandom(t, opts));
}
