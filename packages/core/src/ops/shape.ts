/** Shape ops: views that share storage, and the copies that stand in for strided views. */
import { recordOp } from '../autograd/graph.js';
import type { View } from '../backend.js';
import { ShapeError, shapeStr, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { arangeIndex } from './indexing.js';
import {
  alloc,
  broadcastView,
  checkSameBackend,
  contiguousStrides,
  normDim,
  numelOf,
  sumToShape,
} from './util.js';

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

function viewAs(t: Tensor, shape: readonly number[], name: string): Tensor {
  const out = t._view(shape);
  return recordOp(out, name, [t], (g) => [g.reshape(t.shape)]);
}

/** `reshape` / `view`: always a view here (every tensor is contiguous). */
export function reshape(t: Tensor, shape: readonly number[], _which: 'reshape' | 'view'): Tensor {
  return viewAs(t, inferShape(shape, t.numel()), 'ViewBackward0');
}

export function flatten(t: Tensor, startDim = 0, endDim = -1): Tensor {
  if (t.dim() === 0) return viewAs(t, [1], 'ViewBackward0');
  const s = normDim(startDim, t.dim());
  const e = normDim(endDim, t.dim());
  if (s > e)
    throw new ShapeError(
      `flatten() has invalid args: start_dim (${startDim}) cannot come after end_dim (${endDim})`,
    );
  const shape = [...t.shape.slice(0, s), numelOf(t.shape.slice(s, e + 1)), ...t.shape.slice(e + 1)];
  return viewAs(t, shape, 'ViewBackward0');
}

export function squeeze(t: Tensor, dim?: number): Tensor {
  if (dim === undefined)
    return viewAs(
      t,
      t.shape.filter((d) => d !== 1),
      'SqueezeBackward0',
    );
  if (t.dim() === 0) return viewAs(t, [], 'SqueezeBackward1');
  const d = normDim(dim, t.dim());
  const shape = t.shape[d] === 1 ? t.shape.filter((_, i) => i !== d) : [...t.shape];
  return viewAs(t, shape, 'SqueezeBackward1');
}

export function unsqueeze(t: Tensor, dim: number): Tensor {
  const d = normDim(dim, t.dim() + 1);
  const shape = [...t.shape];
  shape.splice(d, 0, 1);
  return viewAs(t, shape, 'UnsqueezeBackward0');
}

/** Materialises a strided view of `t` as a new contiguous tensor. */
function gatherView(t: Tensor, view: View, shape: readonly number[]): Tensor {
  const out = alloc(shape, t.dtype, t.backend);
  t.backend.copy(view, out.storage);
  return out;
}

export function permute(t: Tensor, dims: readonly number[]): Tensor {
  if (dims.length !== t.dim()) {
    throw new ShapeError(
      `permute(): number of dimensions in the tensor input does not match the length of the desired ordering of dimensions i.e. input.dim() = ${t.dim()} is not equal to len(dims) = ${dims.length}`,
    );
  }
  const nd = dims.map((d) => normDim(d, t.dim()));
  if (new Set(nd).size !== nd.length) throw new ShapeError(`permute(): repeated dim in ${shapeStr(dims)}`);
  const strides = contiguousStrides(t.shape);
  const shape = nd.map((d) => t.shape[d]!);
  const out = gatherView(
    t,
    { storage: t.storage, shape, strides: nd.map((d) => strides[d]!), offset: 0 },
    shape,
  );
  const inverse = new Array<number>(nd.length);
  nd.forEach((d, i) => {
    inverse[d] = i;
  });
  return recordOp(out, 'PermuteBackward0', [t], (g) => [permute(g, inverse)]);
}

export function transpose(t: Tensor, dim0: number, dim1: number): Tensor {
  if (t.dim() === 0) return viewAs(t, [], 'TransposeBackward0');
  const a = normDim(dim0, t.dim());
  const b = normDim(dim1, t.dim());
  const dims = t.shape.map((_, i) => i);
  dims[a] = b;
  dims[b] = a;
  const out = permuteRaw(t, dims);
  return recordOp(out, 'TransposeBackward0', [t], (g) => [transpose(g, a, b)]);
}

/** `t.T`: all dims reversed. */
export function reverseDims(t: Tensor): Tensor {
  if (t.dim() < 2) return viewAs(t, t.shape, 'PermuteBackward0');
  const dims = t.shape.map((_, i) => t.dim() - 1 - i);
  const out = permuteRaw(t, dims);
  return recordOp(out, 'PermuteBackward0', [t], (g) => [reverseDims(g)]);
}

function permuteRaw(t: Tensor, dims: readonly number[]): Tensor {
  const strides = contiguousStrides(t.shape);
  const shape = dims.map((d) => t.shape[d]!);
  return gatherView(
    t,
    { storage: t.storage, shape, strides: dims.map((d) => strides[d]!), offset: 0 },
    shape,
  );
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
  const out = gatherView(t, broadcastView(t, shape), shape);
  return recordOp(out, 'ExpandBackward0', [t], (g) => [sumToShape(g, t.shape)]);
}

/** `narrow(dim, start, length)`: a copy of the slice (PyTorch's is a view). */
export function narrow(t: Tensor, dim: number, start: number, length: number): Tensor {
  if (t.dim() === 0) throw new ShapeError('narrow() cannot be applied to a 0-dim tensor.');
  const d = normDim(dim, t.dim());
  const size = t.shape[d]!;
  if (start < -size || start > size) {
    throw new RangeError(
      `start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`,
    );
  }
  const s = start < 0 ? start + size : start;
  if (length < 0 || s + length > size) {
    throw new RangeError(`start (${s}) + length (${length}) exceeds dimension size (${size}).`);
  }
  const strides = contiguousStrides(t.shape);
  const shape = [...t.shape];
  shape[d] = length;
  const out = gatherView(t, { storage: t.storage, shape, strides, offset: s * strides[d]! }, shape);
  return recordOp(out, 'SliceBackward0', [t], (g) => [placeSlice(g, t.shape, d, s)]);
}

/** Zeros of `shape` with `g` written at `start` along `dim` (the adjoint of narrow). */
function placeSlice(g: Tensor, shape: readonly number[], dim: number, start: number): Tensor {
  const out = alloc(shape, g.dtype, g.backend);
  const index = arangeIndex(start, g.shape[dim]!, g.backend);
  const outer = numelOf(shape.slice(0, dim));
  const inner = numelOf(shape.slice(dim + 1));
  g.backend.indexAdd(out.storage, index.storage, g.storage, outer, shape[dim]!, inner);
  index.dispose();
  return out;
}

export function clone(t: Tensor): Tensor {
  const out = alloc(t.shape, t.dtype, t.backend);
  t.backend.copy(
    { storage: t.storage, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
    out.storage,
  );
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
