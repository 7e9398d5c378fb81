/** Reductions along dims, softmax and friends, with PyTorch's backward formulas. */
import { recordOp } from '../autograd/graph.js';
import type { ReduceOp } from '../backend.js';
import { type DType, isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import { DTypeError, shapeStr, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { exclusiveProducts } from './cumulative.js';
import { where } from './elementwise.js';
import { alloc, allocOut, normDim, numelOf } from './util.js';

type Dims = number | readonly number[] | null | undefined;

/** Normalised, sorted, de-duplicated dims; all dims when `dim` is null/undefined/[]. */
function normDims(t: Tensor, dim: Dims): number[] {
  if (dim === null || dim === undefined) return t.shape.map((_, i) => i);
  const list = typeof dim === 'number' ? [dim] : [...dim];
  if (list.length === 0) return t.shape.map((_, i) => i);
  const out = [...new Set(list.map((d) => normDim(d, t.dim())))].sort((a, b) => a - b);
  if (out.length !== list.length)
    throw new ValueError(`dim ${JSON.stringify(dim)} appears multiple times in the list of dims`);
  return t.dim() === 0 ? [] : out;
}

function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function outShape(shape: readonly number[], dims: readonly number[], keepdim: boolean): number[] {
  return keepdim ? keptShape(shape, dims) : shape.filter((_, i) => !dims.includes(i));
}

/**
 * One kernel call reducing `t` seen as `[outer, len, inner]` into a new tensor of `shape`
 * (`outer * inner` elements). The kernels write every output when `len > 0`; an empty
 * reduction is the zero-filled result.
 */
function reduceRaw(
  op: ReduceOp,
  t: Tensor,
  outer: number,
  len: number,
  inner: number,
  dtype: DType,
  shape: readonly number[],
): Tensor {
  const backend = t.backend;
  const out = len > 0 ? allocOut(shape, dtype, backend) : alloc(shape, dtype, backend);
  backend.reduce(op, t.storage, outer, len, inner, out.storage);
  return out;
}

/** Product of `shape[from..to)`. */
function span(shape: readonly number[], from: number, to: number): number {
  let n = 1;
  for (let i = from; i < to; i++) n *= shape[i]!;
  return n;
}

/** One kernel call reducing axis `d` of `t`; the result has size 1 at `d`. */
function reduceAxis(op: ReduceOp, t: Tensor, d: number, dtype: DType): Tensor {
  const shape = [...t.shape];
  shape[d] = 1;
  return reduceRaw(
    op,
    t,
    span(t.shape, 0, d),
    t.shape[d]!,
    span(t.shape, d + 1, t.shape.length),
    dtype,
    shape,
  );
}

/**
 * Reduces every dim in `dims` (no autograd). The result has `shape` when given (the
 * reduced shape with or without kept dims: the same elements in the same order), else the
 * `keepdim` shape.
 */
function reduceDims(
  op: 'sum' | 'max' | 'min',
  t: Tensor,
  dims: readonly number[],
  dtype: DType,
  shape?: readonly number[],
): Tensor {
  let contiguousRun = true;
  for (let i = 1; i < dims.length; i++) if (dims[i] !== dims[i - 1]! + 1) contiguousRun = false;
  if (dims.length > 0 && contiguousRun) {
    // A run of adjacent dims is one axis of the row-major elements: one pass, straight
    // into the result's shape.
    const first = dims[0]!;
    const last = dims[dims.length - 1]!;
    const n = t.shape.length;
    return reduceRaw(
      op,
      t,
      span(t.shape, 0, first),
      span(t.shape, first, last + 1),
      span(t.shape, last + 1, n),
      dtype,
      shape ?? keptShape(t.shape, dims),
    );
  }
  let cur = t;
  for (const d of [...dims].reverse()) {
    const next = reduceAxis(op, cur, d, dtype);
    if (cur !== t) cur.dispose();
    cur = next;
  }
  if (cur === t) cur = t._view(t.shape);
  return shape ? finish(cur, shape) : cur;
}

function finish(r: Tensor, shape: readonly number[]): Tensor {
  const out = r._view(shape);
  r.dispose();
  return out;
}

/** Broadcasts a reduced gradient back over the input's shape. */
function expandBack(g: Tensor, input: Tensor, dims: readonly number[]): Tensor {
  // A 0-dim gradient (a full reduction) expands as it is: the leading dims it gains are
  // the kept size-1 dims, so the reshape to them would be a view for nothing.
  if (g.dim() === 0) return g.expand(input.shape);
  return g.reshape(keptShape(input.shape, dims)).expand(input.shape);
}

/** `torch.sum(t, dim?, keepdim=false)`; integers and bools sum to int32. */
export function sum(t: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const dims = normDims(t, dim);
  const dtype = isFloat(t.dtype) ? t.dtype : 'int32';
  const x = t.dtype === 'bool' ? t.to('int32') : t;
  const out = reduceDims('sum', x, dims, dtype, outShape(t.shape, dims, keepdim));
  const name = dim === null || dim === undefined ? 'SumBackward0' : 'SumBackward1';
  return recordOp(out, name, [t], (g) => [expandBack(g, t, dims)]);
}

/** `torch.mean`: floats only, as PyTorch. */
export function mean(t: Tensor, dim: Dims, keepdim: boolean): Tensor {
  if (!isFloat(t.dtype)) {
    throw new DTypeError(
      `mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: ${t.dtype}`,
    );
  }
  const dims = normDims(t, dim);
  const n = numelOf(dims.map((d) => t.shape[d]!));
  const out = noGrad(() =>
    tidy(() => {
      const s = reduceDims('sum', t, dims, t.dtype, outShape(t.shape, dims, keepdim));
      return s.div(n);
    }),
  );
  const name = dim === null || dim === undefined ? 'MeanBackward0' : 'MeanBackward1';
  return recordOp(out, name, [t], (g) => [expandBack(g.div(n), t, dims)]);
}

function checkNonEmpty(t: Tensor, op: string): void {
  if (t.numel() === 0) {
    throw new ValueError(
      `${op}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.`,
    );
  }
}

/** `t.max()` / `t.min()` over everything; the gradient is shared evenly among ties, as PyTorch. */
export function maxAll(t: Tensor, op: 'max' | 'min'): Tensor {
  checkNonEmpty(t, op);
  const dims = normDims(t, null);
  const out = reduceDims(op, t, dims, t.dtype, []);
  return recordOp(
    out,
    op === 'max' ? 'MaxBackward1' : 'MinBackward1',
    [t],
    (g) => {
      const mask = t.eq(out);
      return [where(mask, g.div(mask.sum()), 0)];
    },
    [t, out],
  );
}

/** `torch.amax`/`amin`: values only, gradient shared among ties per slice. */
export function amax(t: Tensor, op: 'max' | 'min', dim: Dims, keepdim: boolean): Tensor {
  checkNonEmpty(t, op === 'max' ? 'amax' : 'amin');
  const dims = normDims(t, dim);
  const kept = reduceDims(op, t, dims, t.dtype);
  const out = kept._view(outShape(t.shape, dims, keepdim));
  return recordOp(
    out,
    op === 'max' ? 'AmaxBackward0' : 'AminBackward0',
    [t],
    (g) => {
      const mask = t.eq(kept);
      const count = mask.sum(dims, true);
      return [where(mask, g.reshape(kept.shape).div(count), 0)];
    },
    [t, kept],
  );
}

/** `t.max(dim)`/`t.min(dim)`: `{ values, indices }`; the gradient goes to the chosen index. */
export function maxDim(
  t: Tensor,
  op: 'max' | 'min',
  dim: number,
  keepdim: boolean,
): { values: Tensor; indices: Tensor } {
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  if (t.dim() > 0 && t.shape[d] === 0) {
    throw new ValueError(`${op}(): Expected reduction dim ${d} to have non-zero size.`);
  }
  const src = t.dim() === 0 ? t._view([1]) : t;
  const values = reduceAxis(op, src, d, t.dtype);
  const indices = reduceAxis(op === 'max' ? 'argmax' : 'argmin', src, d, 'int32');
  if (src !== t) src.dispose();
  const shape = t.dim() === 0 ? [] : outShape(t.shape, [d], keepdim);
  const v = finish(values, shape);
  const idx = indices._view(shape);
  recordOp(
    v,
    op === 'max' ? 'MaxBackward0' : 'MinBackward0',
    [t],
    (g) => {
      if (t.dim() === 0) return [g];
      const gx = alloc(t.shape, g.dtype, g.backend);
      const outer = numelOf(t.shape.slice(0, d));
      const inner = numelOf(t.shape.slice(d + 1));
      g.backend.scatterAdd(gx.storage, indices.storage, g.storage, outer, t.shape[d]!, inner);
      return [gx];
    },
    [indices],
  );
  return { values: v, indices: idx };
}

/** `argmax`/`argmin` (int32; over the flattened tensor when `dim` is null). */
export function argReduce(
  t: Tensor,
  op: 'argmax' | 'argmin',
  dim: number | null | undefined,
  keepdim: boolean,
): Tensor {
  if (dim === null || dim === undefined) {
    checkNonEmpty(t, op);
    const flat = t._view([t.numel()]);
    const r = reduceAxis(op, flat, 0, 'int32');
    flat.dispose();
    return finish(r, keepdim ? t.shape.map(() => 1) : []);
  }
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  const src = t.dim() === 0 ? t._view([1]) : t;
  const r = reduceAxis(op, src, d, 'int32');
  if (src !== t) src.dispose();
  return finish(r, t.dim() === 0 ? [] : outShape(t.shape, [d], keepdim));
}

function checkFloat(t: Tensor, op: string): void {
  if (!isFloat(t.dtype))
    throw new DTypeError(`${op}(): expected a floating point tensor, got dtype ${t.dtype}`);
}

/** Max over `dims` with infinities replaced by 0, for numerically stable exp-sums. */
function stableShift(t: Tensor, dims: readonly number[]): Tensor {
  const m = reduceDims('max', t, dims, t.dtype);
  const finite = m.abs().lt(Number.POSITIVE_INFINITY);
  return where(finite, m, 0);
}

/** `torch.logsumexp(t, dim, keepdim=false)`. */
export function logsumexp(t: Tensor, dim: number | readonly number[], keepdim: boolean): Tensor {
  checkFloat(t, 'logsumexp');
  const dims = normDims(t, dim);
  const out = noGrad(() =>
    tidy(() => {
      const m = stableShift(t, dims);
      const s = reduceDims('sum', t.sub(m).exp(), dims, t.dtype);
      return s
        .log()
        .add(m)
        .reshape(outShape(t.shape, dims, keepdim));
    }),
  );
  return recordOp(
    out,
    'LogsumexpBackward0',
    [t],
    (g) => [g.reshape(keptShape(t.shape, dims)).mul(t.sub(out.reshape(keptShape(t.shape, dims))).exp())],
    [t, out],
  );
}

/** `torch.softmax(t, dim)`. */
export function softmax(t: Tensor, dim: number): Tensor {
  checkFloat(t, 'softmax');
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  const dims = t.dim() === 0 ? [] : [d];
  const out = noGrad(() =>
    tidy(() => {
      const e = t.sub(stableShift(t, dims)).exp();
      return e.div(reduceDims('sum', e, dims, t.dtype));
    }),
  );
  return recordOp(
    out,
    'SoftmaxBackward0',
    [t],
    (g) => {
      const gy = g.mul(out);
      return [gy.sub(out.mul(reduceDims('sum', gy, dims, t.dtype)))];
    },
    [out],
  );
}

/** `torch.log_softmax(t, dim)`. */
export function logSoftmax(t: Tensor, dim: number): Tensor {
  checkFloat(t, 'log_softmax');
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  const dims = t.dim() === 0 ? [] : [d];
  const out = noGrad(() =>
    tidy(() => {
      const shifted = t.sub(stableShift(t, dims));
      return shifted.sub(reduceDims('sum', shifted.exp(), dims, t.dtype).log());
    }),
  );
  return recordOp(
    out,
    'LogSoftmaxBackward0',
    [t],
    (g) => [g.sub(out.exp().mul(reduceDims('sum', g, dims, t.dtype)))],
    [out],
  );
}

/** A norm order: a number (`Infinity`, `-Infinity`, 0 and fractional ones included) or `'fro'` (2). */
export type NormOrd = number | 'fro';

function normOrd(ord: NormOrd, op: string): number {
  if (ord === 'fro') return 2;
  if (typeof ord !== 'number' || Number.isNaN(ord)) {
    throw new ValueError(
      `${op}(): the order must be a number (Infinity, -Infinity, 0 and fractions included) or 'fro', got ${String(ord)}`,
    );
  }
  return ord;
}

/**
 * The vector p-norm over `dim` (all dims when null/undefined/[]): PyTorch's
 * `torch.linalg.vector_norm` and `Tensor.norm(p, dim, keepdim)`, composed of kernels, with
 * PyTorch's `norm_backward` (zero slices and zero elements give a zero gradient, ±inf
 * shares it evenly among the elements at the norm, p = 0 has none).
 */
export function vectorNorm(
  t: Tensor,
  ord: NormOrd,
  dim: Dims,
  keepdim: boolean,
  op: 'norm' | 'linalg.vector_norm' = 'linalg.vector_norm',
): Tensor {
  checkFloat(t, op);
  const p = normOrd(ord, op);
  const dims = normDims(t, dim);
  if (Math.abs(p) === Number.POSITIVE_INFINITY && t.numel() === 0) {
    throw new ValueError(
      `${op}(): cannot compute the ${p}-norm of an empty tensor (shape ${shapeStr(t.shape)})`,
    );
  }
  const kept = keptShape(t.shape, dims);
  const out = noGrad(() =>
    tidy(() => {
      let r: Tensor;
      if (p === Number.POSITIVE_INFINITY) r = reduceDims('max', t.abs(), dims, t.dtype);
      else if (p === Number.NEGATIVE_INFINITY) r = reduceDims('min', t.abs(), dims, t.dtype);
      else if (p === 0) r = reduceDims('sum', t.ne(0).to(t.dtype), dims, t.dtype);
      else if (p === 1) r = reduceDims('sum', t.abs(), dims, t.dtype);
      else if (p === 2) r = reduceDims('sum', t.square(), dims, t.dtype).sqrt();
      else r = reduceDims('sum', t.abs().pow(p), dims, t.dtype).pow(1 / p);
      return r.reshape(outShape(t.shape, dims, keepdim));
    }),
  );
  const name = op === 'norm' ? 'NormBackward1' : 'LinalgVectorNormBackward0';
  return recordOp(
    out,
    name,
    [t],
    (g) =>
      tidy(() => {
        const gk = g.reshape(kept);
        const nk = out.reshape(kept);
        if (p === 0) return [t.mul(0)];
        if (p === 1) return [t.sign().mul(gk)];
        if (p === 2) return [where(nk.eq(0), 0, t.div(nk)).mul(gk)];
        if (Math.abs(p) === Number.POSITIVE_INFINITY) {
          const a = t.abs();
          const mask = a.eq(nk).logicalOr(a.ne(a));
          return [where(mask, t.sign().mul(gk.div(mask.sum(dims, true))), 0)];
        }
        if (p < 1) {
          const scaled = where(t.eq(0), 0, t.sign().mul(t.abs().pow(p - 1)));
          return [scaled.mul(gk).mul(nk.pow(1 - p))];
        }
        const scaled = p < 2 ? t.sign().mul(t.abs().pow(p - 1)) : t.mul(t.abs().pow(p - 2));
        return [scaled.mul(where(nk.eq(0), 0, gk.div(nk.pow(p - 1))))];
      }),
    [t, out],
  );
}

/** `x.norm(p, dim?, keepdim?)` (PyTorch's `Tensor.norm` with a number or 'fro' order). */
export function norm(t: Tensor, p: NormOrd = 2, dim?: Dims, keepdim = false): Tensor {
  return vectorNorm(t, p, dim, keepdim, 'norm');
}

/** `torch.prod(t)` / `t.prod(dim, keepdim)`; integers and bools multiply to int32. */
export function prod(t: Tensor, dim?: number | null, keepdim = false): Tensor {
  const all = dim === null || dim === undefined;
  const dtype = isFloat(t.dtype) ? t.dtype : 'int32';
  const x = t.dtype === dtype ? t : t.to(dtype);
  if (x.dim() === 0) {
    const out = x._view([]);
    return recordOp(out, all ? 'ProdBackward0' : 'ProdBackward1', [x], (g) => [g]);
  }
  const src = all ? x._view([x.numel()]) : x;
  const d = dim === null || dim === undefined ? 0 : normDim(dim, x.dim());
  const r = reduceAxis('prod', src, d, dtype);
  const shape = all ? (keepdim ? x.shape.map(() => 1) : []) : outShape(x.shape, [d], keepdim);
  const out = finish(r, shape);
  return recordOp(
    out,
    all ? 'ProdBackward0' : 'ProdBackward1',
    [x],
    (g) =>
      tidy(() => {
        // The product of all the others, exact where some are zero (PyTorch's
        // prod_safe_zeros_backward): exclusive products from the left times from the right.
        const s = all ? x.reshape([x.numel()]) : x;
        const others = exclusiveProducts(s, d);
        const gk = g.reshape(keptShape(s.shape, [d]));
        return [others.mul(gk).reshape(x.shape)];
      }),
    [x],
  );
}

/** Dims of std/var: a dim, a list, or null/undefined for all. */
export interface VarianceOptions {
  /** Subtracted from the element count in the divisor (PyTorch's `correction`, default 1). */
  correction?: number;
  /** The older spelling: true is correction 1, false correction 0. */
  unbiased?: boolean;
  /** Keep the reduced dimensions with size 1 (PyTorch's `keepdim`). */
  keepdim?: boolean;
}

/**
 * Resolves PyTorch's overloads of std/var: `()`, `(unbiased)`, `(dim, unbiased, keepdim)`,
 * `(dim, { correction, unbiased, keepdim })`.
 */
export function varianceArgs(
  op: string,
  dimOrUnbiased?: Dims | boolean,
  opts?: boolean | VarianceOptions,
  keepdim?: boolean,
): { dim: Dims; correction: number; keepdim: boolean } {
  if (typeof dimOrUnbiased === 'boolean') {
    if (opts !== undefined || keepdim !== undefined)
      throw new TypeError(`${op}(unbiased): no further arguments are taken after unbiased`);
    return { dim: null, correction: dimOrUnbiased ? 1 : 0, keepdim: false };
  }
  let correction = 1;
  let keep = keepdim ?? false;
  if (typeof opts === 'boolean') correction = opts ? 1 : 0;
  else if (opts !== undefined) {
    if (typeof opts !== 'object' || opts === null)
      throw new TypeError(`${op}(): expected unbiased (a boolean) or an options object, got ${String(opts)}`);
    for (const k of Object.keys(opts)) {
      if (!['correction', 'unbiased', 'keepdim'].includes(k))
        throw new TypeError(`${op}(): unknown option '${k}' (expected correction, unbiased, keepdim)`);
    }
    if (opts.correction !== undefined && opts.unbiased !== undefined)
      throw new TypeError(`${op}(): pass either correction or unbiased, not both`);
    if (opts.unbiased !== undefined) correction = opts.unbiased ? 1 : 0;
    if (opts.correction !== undefined) {
      if (typeof opts.correction !== 'number' || !Number.isFinite(opts.correction))
        throw new TypeError(`${op}(): correction must be a finite number, got ${String(opts.correction)}`);
      correction = opts.correction;
    }
    if (opts.keepdim !== undefined) keep = opts.keepdim;
  }
  return { dim: dimOrUnbiased ?? null, correction, keepdim: keep };
}

/**
 * `torch.var` / `torch.std` over `dim` with `correction` (the divisor is
 * max(0, N - correction), so N <= correction gives inf or NaN, as PyTorch). std's gradient
 * is 0 where std is 0 (PyTorch masks it).
 */
export function variance(
  t: Tensor,
  which: 'var' | 'std',
  dim: Dims,
  correction: number,
  keepdim: boolean,
): Tensor {
  checkFloat(t, which);
  const dims = normDims(t, dim);
  const n = numelOf(dims.map((d) => t.shape[d]!));
  const dof = Math.max(0, n - correction);
  const kept = keptShape(t.shape, dims);
  const v = noGrad(() =>
    tidy(() => {
      const m = reduceDims('sum', t, dims, t.dtype).div(n);
      const r = reduceDims('sum', t.sub(m).square(), dims, t.dtype).div(dof);
      return (which === 'std' ? r.sqrt() : r).reshape(outShape(t.shape, dims, keepdim));
    }),
  );
  return recordOp(
    v,
    which === 'std' ? 'StdBackward0' : 'VarBackward0',
    [t],
    (g) =>
      tidy(() => {
        let gk = g.reshape(kept);
        if (which === 'std') {
          const sk = v.reshape(kept);
          gk = where(sk.eq(0), 0, gk.div(sk.mul(2)));
        }
        const diff = t.sub(reduceDims('sum', t, dims, t.dtype).div(n));
        return [diff.mul(gk).mul(2 / dof)];
      }),
    [t, v],
  );
}

/** `torch.all` / `torch.any` (everything, or over `dim`); bool results. */
export function allAny(t: Tensor, which: 'all' | 'any', dim: Dims, keepdim: boolean): Tensor {
  const dims = normDims(t, dim);
  const n = numelOf(dims.map((d) => t.shape[d]!));
  return noGrad(() =>
    tidy(() => {
      const nz = (t.dtype === 'bool' ? t : t.ne(0)).to('int32');
      const count = reduceDims('sum', nz, dims, 'int32').reshape(outShape(t.shape, dims, keepdim));
      return which === 'all' ? count.eq(n) : count.gt(0);
    }),
  );
}

type DimOrUnbiased = number | readonly number[] | null | boolean;

/**
 * `torch.std(t)`, `std(t, unbiased)`, `std(t, dim, unbiased = true, keepdim = false)`,
 * `std(t, dim, { correction = 1, unbiased, keepdim })`: the standard deviation.
 */
export function std(
  t: Tensor,
  dim?: DimOrUnbiased,
  opts?: boolean | VarianceOptions,
  keepdim?: boolean,
): Tensor {
  const a = varianceArgs('std', dim, opts, keepdim);
  return variance(t, 'std', a.dim, a.correction, a.keepdim);
}

/** `torch.var`, with the argument forms of `std`. (Exported from the package as `var`.) */
export function varOf(
  t: Tensor,
  dim?: DimOrUnbiased,
  opts?: boolean | VarianceOptions,
  keepdim?: boolean,
): Tensor {
  const a = varianceArgs('var', dim, opts, keepdim);
  return variance(t, 'var', a.dim, a.correction, a.keepdim);
}

/** `torch.std_mean`: `[std, mean]` over the same dims, with `std`'s arguments. */
export function stdMean(
  t: Tensor,
  dim?: DimOrUnbiased,
  opts?: boolean | VarianceOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  const a = varianceArgs('std_mean', dim, opts, keepdim);
  return [variance(t, 'std', a.dim, a.correction, a.keepdim), mean(t, a.dim, a.keepdim)];
}

/** `torch.var_mean`: `[var, mean]` over the same dims, with `var`'s arguments. */
export function varMean(
  t: Tensor,
  dim?: DimOrUnbiased,
  opts?: boolean | VarianceOptions,
  keepdim?: boolean,
): [Tensor, Tensor] {
  const a = varianceArgs('var_mean', dim, opts, keepdim);
  return [variance(t, 'var', a.dim, a.correction, a.keepdim), mean(t, a.dim, a.keepdim)];
}

/** `torch.all(t)`, `all(t, dim, keepdim = false)` (dim may be a list): a bool tensor. */
export function all(t: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  return allAny(t, 'all', dim, keepdim);
}

/** `torch.any(t)`, `any(t, dim, keepdim = false)` (dim may be a list): a bool tensor. */
export function any(t: Tensor, dim?: number | readonly number[] | null, keepdim = false): Tensor {
  return allAny(t, 'any', dim, keepdim);
}
