/** Reductions along dims, softmax and friends, with PyTorch's backward formulas. */
import { recordOp } from '../autograd/graph.js';
import type { ReduceOp } from '../backend.js';
import { type DType, isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import { DTypeError, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { where } from './elementwise.js';
import { alloc, normDim, numelOf } from './util.js';

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

/** One kernel call reducing axis `d` of `t`; the result has size 1 at `d`. */
function reduceAxis(op: ReduceOp, t: Tensor, d: number, dtype: DType): Tensor {
  const outer = numelOf(t.shape.slice(0, d));
  const len = t.shape[d]!;
  const inner = numelOf(t.shape.slice(d + 1));
  const shape = [...t.shape];
  shape[d] = 1;
  const out = alloc(shape, dtype, t.backend);
  t.backend.reduce(op, t.storage, outer, len, inner, out.storage);
  return out;
}

/** Reduces every dim in `dims` (no autograd); the result has `keepdim` shape. */
function reduceDims(op: 'sum' | 'max' | 'min', t: Tensor, dims: readonly number[], dtype: DType): Tensor {
  const contiguousRun = dims.every((d, i) => i === 0 || d === dims[i - 1]! + 1);
  if (dims.length > 0 && contiguousRun) {
    // Reduce a run of adjacent dims in one pass by seeing them as one axis.
    const first = dims[0]!;
    const last = dims[dims.length - 1]!;
    const folded = t._view([
      ...t.shape.slice(0, first),
      numelOf(t.shape.slice(first, last + 1)),
      ...t.shape.slice(last + 1),
    ]);
    const r = reduceAxis(op, folded, first, dtype);
    folded.dispose();
    const out = r._view(keptShape(t.shape, dims));
    r.dispose();
    return out;
  }
  let cur = t;
  for (const d of [...dims].reverse()) {
    const next = reduceAxis(op, cur, d, dtype);
    if (cur !== t) cur.dispose();
    cur = next;
  }
  if (cur === t) return t._view(t.shape);
  return cur;
}

function finish(r: Tensor, shape: readonly number[]): Tensor {
  const out = r._view(shape);
  r.dispose();
  return out;
}

/** Broadcasts a reduced gradient back over the input's shape. */
function expandBack(g: Tensor, input: Tensor, dims: readonly number[]): Tensor {
  return g.reshape(keptShape(input.shape, dims)).expand(input.shape);
}

/** `torch.sum(t, dim?, keepdim=false)`; integers and bools sum to int32. */
export function sum(t: Tensor, dim: Dims, keepdim: boolean): Tensor {
  const dims = normDims(t, dim);
  const dtype = isFloat(t.dtype) ? t.dtype : 'int32';
  const x = t.dtype === 'bool' ? t.to('int32') : t;
  const out = finish(reduceDims('sum', x, dims, dtype), outShape(t.shape, dims, keepdim));
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
      const s = finish(reduceDims('sum', t, dims, t.dtype), outShape(t.shape, dims, keepdim));
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
  const out = finish(reduceDims(op, t, dims, t.dtype), []);
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

/** The p-norm of all elements (`torch.linalg.vector_norm` over everything), composed of ops. */
export function norm(t: Tensor, p: number): Tensor {
  checkFloat(t, 'norm');
  if (p === Number.POSITIVE_INFINITY) return t.abs().amax();
  if (p === 2) return t.square().sum().sqrt();
  if (p === 1) return t.abs().sum();
  return t
    .abs()
    .pow(p)
    .sum()
    .pow(1 / p);
}
