/** Shape ops: views that share storage, and the copies that stand in for strided views. */
import { type BackwardFn, recordOp } from '../autograd/graph.js';
import { noGrad } from '../engine.js';
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import { viewStrides } from '../layout.js';
import type { Tensor } from '../tensor.js';
import { arangeIndex } from './indexing.js';
import { alloc, allocOut, checkSameBackend, normDim, numelOf, sumToShape } from './util.js';

export { normDim } from './util.js';

/** Accepts `f(2, 3)` and `f([2, 3])`. */
export function flatArgs(args: readonly (number | readonly number[])[]): number[] {
  return args.length === 1 && Array.isArray(args[0]) ? [...(args[0] as number[])] : (args as number[]);
}

/** Resolves one -1 and checks the element count, with PyTorch's message. */
function inferShape(shape: readonly number[], numel: number): number[] {
  const out = [...shape];
  const free = out.indexOf(-1);
  if (out.some((d, i) => !Number.isInteger(d) || d < -1 || (d === -1 && i !== free))) {
    throw new ShapeError(
      `invalid shape ${shapeStr(shape)}: sizes must be non-negative integers, with at most one -1`,
    );
  }
  if (free >= 0) {
    const rest = out.reduce((a, d, i) => (i === free ? a : a * d), 1);
    if (rest === 0 || numel % rest !== 0) {
      throw new ShapeError(`shape '${shapeStr(shape)}' is invalid for input of size ${numel}`);
    }
    out[free] = numel / rest;
  }
  if (numelOf(out) !== numel)
    throw new ShapeError(`shape '${shapeStr(shape)}' is invalid for input of size ${numel}`);
  return out;
}

/**
 * A view of `t`'s storage with its own shape, strides and offset; a differentiable view
 * remembers its base (PyTorch's `._base`) so in-place ops on it reach the base's history.
 */
function makeView(
  t: Tensor,
  shape: readonly number[],
  strides: readonly number[],
  offset: number,
  name: string,
  backward: BackwardFn,
): Tensor {
  const out = t._asStrided(shape, strides, offset);
  out._base = t._base ?? (t._whole ? t : null);
  out._viewVersion = out._version;
  return recordOp(out, name, [t], backward);
}

function viewAs(t: Tensor, shape: readonly number[], name: string): Tensor {
  const strides = viewStrides(t.shape, t._strides, shape);
  if (!strides) {
    throw new ShapeError(
      `view size is not compatible with input tensor's size and stride (at least one dimension spans across two contiguous subspaces): shape ${shapeStr(t.shape)}, strides ${shapeStr(t._strides)}, requested ${shapeStr(shape)}. Use .reshape(...) instead.`,
    );
  }
  return makeView(t, shape, strides, t._offset, name, (g) => [g.reshape(t.shape)]);
}

/** `view` (a view, or an error when the strides do not allow one) / `reshape` (a view when they do, else a copy). */
export function reshape(t: Tensor, shape: readonly number[], which: 'reshape' | 'view'): Tensor {
  const target = inferShape(shape, t.numel());
  if (which === 'reshape' && !viewStrides(t.shape, t._strides, target)) {
    return viewAs(clone(t), target, 'ViewBackward0');
  }
  return viewAs(t, target, 'ViewBackward0');
}

export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  if (t.dim() === 0) return reshape(t, [1], 'reshape');
  const s = normDim(startDim, t.dim());
  const e = normDim(endDim, t.dim());
  if (s > e)
    throw new ShapeError(
      `flatten() has invalid args: start_dim (${startDim}) cannot come after end_dim (${endDim})`,
    );
  if (s === e) return t;
  const shape = [...t.shape.slice(0, s), numelOf(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return reshape(t, shape, 'reshape');
}

/** Drops the size-1 dims in `drop` (a view; the strides of the others are kept). */
function dropDims(t: Tensor, drop: (d: number) => boolean, name: string): Tensor {
  const keep = t.shape.map((_, d) => !drop(d));
  return makeView(
    t,
    t.shape.filter((_, d) => keep[d]),
    t._strides.filter((_, d) => keep[d]),
    t._offset,
    name,
    (g) => [g.reshape(t.shape)],
  );
}

export function squeeze(t: Tensor, dim?: number): Tensor {
  if (dim === undefined) return dropDims(t, (d) => t.shape[d] === 1, 'SqueezeBackward0');
  if (t.dim() === 0) return dropDims(t, () => false, 'SqueezeBackward1');
  const nd = normDim(dim, t.dim());
  return dropDims(t, (d) => d === nd && t.shape[d] === 1, 'SqueezeBackward1');
}

export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normDim(dim, t.dim() + 1);
  const shape = [...t.shape];
  const strides = [...t._strides];
  shape.splice(d, 0, 1);
  strides.splice(d, 0, d < t.dim() ? t._strides[d]! * t.shape[d]! : 1);
  return makeView(t, shape, strides, t._offset, 'UnsqueezeBackward0', (g) => [g.reshape(t.shape)]);
}

function checkPermutation(t: Tensor, dims: readonly number[]): number[] {
  if (dims.length !== t.dim()) {
    throw new ShapeError(
      `permute(): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${t.dim()} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const nd = dims.map((d) => normDim(d, t.dim()));
  if (new Set(nd).size !== nd.length) throw new ShapeError(`permute(): repeated dim in ${shapeStr(dims)}`);
  return nd;
}

/** The view of `t` with its dims in the order `dims` (already checked). */
function permuted(t: Tensor, dims: readonly number[], name: string, backward: BackwardFn): Tensor {
  return makeView(
    t,
    dims.map((d) => t.shape[d]!),
    dims.map((d) => t._strides[d]!),
    t._offset,
    name,
    backward,
  );
}

export function permute(t: Tensor, dims: readonly number[]): Tensor {
  const nd = checkPermutation(t, dims);
  const inverse = new Array<number>(nd.length);
  nd.forEach((d, i) => {
    inverse[d] = i;
  });
  return permuted(t, nd, 'PermuteBackward0', (g) => [permute(g, inverse)]);
}

export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  if (t.dim() === 0) return permuted(t, [], 'TransposeBackward0', (g) => [g]);
  const a = normDim(dim0, t.dim());
  const b = normDim(dim1, t.dim());
  const dims = t.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  return permuted(t, dims, 'TransposeBackward0', (g) => [transpose(g, a, b)]);
}

/** `t.T`: all dims reversed. */
export function reverseDims(t: Tensor): Tensor {
  const dims = t.shape.map((_, i) => t.dim() - 1 - i);
  return permuted(t, dims, 'PermuteBackward0', (g) => [reverseDims(g)]);
}

/** `movedim(source, destination)`: the dims in `source` moved to `destination`, the others in order. */
export function movedim(t: Tensor, source: readonly number[], destination: readonly number[]): Tensor {
  if (source.length !== destination.length) {
    throw new ShapeError(
      `movedim: Invalid source or destination dims: source (${shapeStr(source)} dims) should contain the same number of dims as destination (${shapeStr(destination)} dims)`,
    );
  }
  const n = t.dim();
  const src = source.map((d) => normDim(d, n));
  const dst = destination.map((d) => normDim(d, n));
  if (new Set(src).size !== src.length)
    throw new ShapeError(`movedim: repeated dim in source (${shapeStr(source)})`);
  if (new Set(dst).size !== dst.length)
    throw new ShapeError(`movedim: repeated dim in destination (${shapeStr(destination)})`);
  const order = new Array<number>(n).fill(-1);
  src.forEach((s, i) => {
    order[dst[i]!] = s;
  });
  const rest = t.shape.map((_, i) => i).filter((d) => !src.includes(d));
  for (let i = 0, k = 0; i < n; i++) if (order[i] === -1) order[i] = rest[k++]!;
  return permute(t, order);
}

export function expand(t: Tensor, sizes: readonly number[]): Tensor {
  if (sizes.length < t.dim()) {
    throw new ShapeError(
      `expand: the number of sizes provided (${sizes.length}) must be greater or equal to the number of dimensions in the tensor (${t.dim()})`,
    );
  }
  const lead = sizes.length - t.dim();
  const shape = sizes.map((s, i) => {
    const own = i >= lead ? t.shape[i - lead]! : 1;
    const target = s === -1 ? own : s;
    if (i < lead && s === -1)
      throw new ShapeError(`expand: -1 is not allowed in a leading, non-existing dimension (${i})`);
    if (own !== 1 && own !== target) {
      throw new ShapeError(
        `The expanded size of the tensor (${target}) must match the existing size (${own}) at non-singleton dimension ${i}.  Target sizes: ${shapeStr(sizes)}.  Tensor sizes: ${shapeStr(t.shape)}`,
      );
    }
    return target;
  });
  const strides = shape.map((n, i) =>
    i < lead || (t.shape[i - lead] === 1 && n !== 1) ? 0 : t._strides[i - lead]!,
  );
  return makeView(t, shape, strides, t._offset, 'ExpandBackward0', (g) => [sumToShape(g, t.shape)]);
}

/** Checks a `start` along a dim of `size` (negative counts from the end) and returns it non-negative. */
function checkStart(start: number, size: number): number {
  if (!Number.isInteger(start) || start < -size || start > size) {
    throw new RangeError(
      `start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`,
    );
  }
  return start < 0 ? start + size : start;
}

/** `narrow(dim, start, length)`: a view of `length` entries of `dim` from `start`. */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  if (t.dim() === 0) throw new ShapeError('narrow() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, t.dim());
  const size = t.shape[d]!;
  const s = checkStart(start, size);
  if (!Number.isInteger(length) || length < 0 || s + length > size) {
    throw new RangeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  return slice(t, d, s, length, 1);
}

/**
 * The view of `count` entries of dim `d` from `start` every `step` (already checked): what
 * `narrow`, `chunk`, `split` and slice indices lower to. Backward places the gradient back.
 */
export function slice(t: Tensor, d: number, start: number, count: number, step: number): Tensor {
  const shape = [...t.shape];
  const strides = [...t._strides];
  shape[d] = count;
  strides[d] = t._strides[d]! * step;
  return makeView(t, shape, strides, t._offset + start * t._strides[d]!, 'SliceBackward0', (g) => [
    placeInto(g, t.shape, (whole) => slice(whole, d, start, count, step)),
  ]);
}

/**
 * Zeros of `shape` with `g` written into the region that `region` picks out of them (the
 * adjoint of every view op that selects elements: slices, select, diagonal).
 */
export function placeInto(g: Tensor, shape: readonly number[], region: (whole: Tensor) => Tensor): Tensor {
  const out = alloc(shape, g.dtype, g.backend);
  const r = noGrad(() => region(out));
  g.backend.copyToView(g.storage, r._strided());
  r.dispose();
  return out;
}

/** A view of all of `t` (PyTorch's `x[...]`, `AliasBackward0`). */
export function alias(t: Tensor): Tensor {
  return makeView(t, t.shape, t._strides, t._offset, 'AliasBackward0', (g) => [g]);
}

/** `select(dim, index)`: the view at `index` of `dim`, without that dim (PyTorch's `x[i]` along a dim). */
export function select(t: Tensor, dim: number, index: number): Tensor {
  if (t.dim() === 0) throw new ShapeError('select() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, t.dim());
  const size = t.shape[d]!;
  if (!Number.isInteger(index) || index < -size || index >= size) {
    throw new RangeError(
      `select(): index ${index} out of range for tensor of size ${shapeStr(t.shape)} at dimension ${d}`,
    );
  }
  const i = index < 0 ? index + size : index;
  const keep = (_: unknown, k: number) => k !== d;
  return makeView(
    t,
    t.shape.filter(keep),
    t._strides.filter(keep),
    t._offset + i * t._strides[d]!,
    'SelectBackward0',
    (g) => [placeInto(g, t.shape, (whole) => select(whole, d, i))],
  );
}

/** `diagonal(offset, dim1, dim2)`: a view of the diagonal, appended as the last dim. */
export function diagonal(t: Tensor, offset = 0, dim1 = 0, dim2 = 1): Tensor {
  const a = normDim(dim1, t.dim());
  const b = normDim(dim2, t.dim());
  if (a === b) throw new ShapeError(`diagonal dimensions cannot be identical ${dim1}, ${dim2}`);
  const len = Math.max(
    0,
    offset >= 0 ? Math.min(t.shape[a]!, t.shape[b]! - offset) : Math.min(t.shape[a]! + offset, t.shape[b]!),
  );
  const first = len === 0 ? 0 : offset >= 0 ? offset * t._strides[b]! : -offset * t._strides[a]!;
  const keep = (_: unknown, k: number) => k !== a && k !== b;
  return makeView(
    t,
    [...t.shape.filter(keep), len],
    [...t._strides.filter(keep), t._strides[a]! + t._strides[b]!],
    t._offset + first,
    'DiagonalBackward0',
    (g) => [placeInto(g, t.shape, (whole) => diagonal(whole, offset, a, b))],
  );
}

/** `unfold(dim, size, step)`: every window of `size` along `dim`, `step` apart, as a new last dim (a view). */
export function unfold(t: Tensor, dim: number, size: number, step: number): Tensor {
  const d = t.dim() === 0 ? 0 : normDim(dim, t.dim());
  const len = t.dim() === 0 ? 1 : t.shape[d]!;
  if (!Number.isInteger(size) || size < 0 || size > len) {
    throw new RangeError(`maximum size for tensor at dimension ${d} is ${len} but size is ${size}`);
  }
  if (!Number.isInteger(step) || step <= 0) throw new RangeError(`step is ${step} but must be > 0`);
  const count = Math.floor((len - size) / step) + 1;
  const shape = t.dim() === 0 ? [size] : [...t.shape];
  const strides = t.dim() === 0 ? [1] : [...t._strides];
  const inner = t.dim() === 0 ? 1 : t._strides[d]!;
  if (t.dim() > 0) {
    shape[d] = count;
    strides[d] = step * inner;
    shape.push(size);
    strides.push(inner);
  }
  return makeView(t, shape, strides, t._offset, 'UnfoldBackward0', (g) => {
    // Windows may overlap: accumulate each window's gradient into place.
    const out = alloc(t.shape, g.dtype, g.backend);
    for (let w = 0; w < count; w++) {
      const win = t.dim() === 0 ? g : movedim(select(g, d, w), [-1], [d]);
      const dst = t.dim() === 0 ? out : slice(out, d, w * step, size, 1);
      dst.add_(win);
    }
    return [out];
  });
}

/** `unbind(dim)`: every index of `dim`, each a view without that dim. */
export function unbind(t: Tensor, dim = 0): Tensor[] {
  const d = normDim(dim, t.dim());
  return Array.from({ length: t.shape[d]! }, (_, i) => select(t, d, i));
}

/** `split(sizes, dim)`: pieces of `size` along `dim` (the last may be shorter), or of the listed sizes; views. */
export function split(t: Tensor, sizes: number | readonly number[], dim = 0): Tensor[] {
  const d = normDim(dim, t.dim());
  const len = t.shape[d]!;
  let list: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 0 || (sizes === 0 && len !== 0)) {
      throw new RangeError(`split_size can only be 0 if dimension size is 0, but got split_size ${sizes}`);
    }
    list = [];
    for (let at = 0; at < len; at += sizes) list.push(Math.min(sizes, len - at));
    if (len === 0) list.push(0);
  } else {
    list = [...sizes];
    const total = list.reduce((a, b) => a + b, 0);
    if (list.some((n) => !Number.isInteger(n) || n < 0) || total !== len) {
      throw new ShapeError(
        `split_with_sizes expects split_sizes to sum exactly to ${len} (input tensor's size at dimension ${d}), but got split_sizes=${shapeStr(list)}`,
      );
    }
  }
  let at = 0;
  return list.map((n) => {
    const piece = slice(t, d, at, n, 1);
    at += n;
    return piece;
  });
}

/** `chunk(chunks, dim)`: `chunks` pieces (fewer when the size runs out), each ceil(size / chunks) long; views. */
export function chunk(t: Tensor, chunks: number, dim = 0): Tensor[] {
  if (!Number.isInteger(chunks) || chunks <= 0) {
    throw new RangeError(`chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  }
  const d = normDim(dim, t.dim());
  const len = t.shape[d]!;
  const each = Math.ceil(len / chunks);
  return each === 0 ? split(t, Array(chunks).fill(0) as number[], d) : split(t, each, d);
}

/** A copy in a new storage, row-major (`clone()`, and `contiguous()` of a non-contiguous tensor). */
export function clone(t: Tensor): Tensor {
  const out = allocOut(t.shape, t.dtype, t.backend);
  t.backend.copy(t._strided(), out.storage);
  return recordOp(out, 'CloneBackward0', [t], (g) => [g]);
}

function checkCat(tensors: readonly Tensor[], dim: number, op: string): number {
  if (tensors.length === 0) throw new ValueError(`${op}(): expected a non-empty list of Tensors`);
  const first = tensors[0]!;
  checkSameBackend(op, ...tensors);
  const d = normDim(dim, first.dim());
  tensors.forEach((t, i) => {
    if (t.dtype !== first.dtype) {
      throw new TypeError(
        `${op}(): expected all tensors to have dtype ${first.dtype}, but tensor ${i} has ${t.dtype}`,
      );
    }
    if (t.dim() !== first.dim() || t.shape.some((s, j) => j !== d && s !== first.shape[j])) {
      throw new ShapeError(
        `Sizes of tensors must match except in dimension ${d}. Expected ${shapeStr(first.shape)} but got ${shapeStr(t.shape)} for tensor number ${i} in the list.`,
      );
    }
  });
  return d;
}

/** Concatenates along `dim` without recording a graph node. */
function rawCat(tensors: readonly Tensor[], d: number): Tensor {
  const first = tensors[0]!;
  const shape = [...first.shape];
  shape[d] = tensors.reduce((a, t) => a + t.shape[d]!, 0);
  const out = alloc(shape, first.dtype, first.backend);
  const outer = numelOf(shape.slice(0, d));
  const inner = numelOf(shape.slice(d + 1));
  let offset = 0;
  for (const t of tensors) {
    const len = t.shape[d]!;
    if (len > 0) {
      const index = arangeIndex(offset, len, first.backend);
      first.backend.indexAdd(out.storage, index.storage, t.storage, outer, shape[d]!, inner);
      index.dispose();
    }
    offset += len;
  }
  return out;
}

/** `torch.cat(tensors, dim=0)`. */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = [...tensors];
  const d = checkCat(list, dim, 'cat');
  const out = rawCat(list, d);
  const sizes = list.map((t) => t.shape[d]!);
  return recordOp(out, 'CatBackward0', list, (g, needs) => {
    let offset = 0;
    return sizes.map((len, i) => {
      const r = needs[i] ? narrow(g, d, offset, len) : null;
      offset += len;
      return r;
    });
  });
}

/** `torch.stack(tensors, dim=0)`. */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  const list = [...tensors];
  if (list.length === 0) throw new ValueError('stack expects a non-empty TensorList');
  const first = list[0]!;
  const d = normDim(dim, first.dim() + 1);
  list.forEach((t, i) => {
    if (t.dim() !== first.dim() || t.shape.some((s, j) => s !== first.shape[j])) {
      throw new ShapeError(
        `stack expects each tensor to be equal size, but got ${shapeStr(first.shape)} at entry 0 and ${shapeStr(t.shape)} at entry ${i}`,
      );
    }
  });
  const shape = [...first.shape];
  shape.splice(d, 0, 1);
  const views = list.map((t) => t._view(shape));
  checkCat(views, d, 'stack');
  const out = rawCat(views, d);
  for (const v of views) v.dispose();
  return recordOp(out, 'StackBackward0', list, (g, needs) =>
    list.map((_, i) => (needs[i] ? squeeze(narrow(g, d, i, 1), d) : null)),
  );
}
