/**
 * Writing by index, PyTorch's family: `scatter(_)`, `scatterAdd(_)`, `indexFill_`,
 * `indexCopy_`, `indexAdd_`, `maskedFill(_)`, plus the reads `maskedSelect` and `take`.
 *
 * `scatter`/`scatterAdd` lower to one flat `scatter`/`indexAdd` kernel call over every
 * element's row-major position (computed on the backend from the index), so an index
 * smaller than the input in any dim needs no special kernel. The `index*` ops are
 * `indexPut_` with an advanced index at `dim` (subscript.ts); the mask ops are `where` and
 * boolean indexing.
 */
import { recordOp, renameNode } from '../autograd/graph.js';
import { noGrad, tidy } from '../engine.js';
import { DTypeError, ShapeError, shapeStr } from '../errors.js';
import { rowMajorStrides } from '../layout.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toDType } from './convert.js';
import { fromHost } from './creation.js';
import { where } from './elementwise.js';
import { arangeIndex } from './indexing.js';
import * as inplace from './inplace.js';
import { placeInto } from './shape.js';
import { putAt, index as subscript } from './subscript.js';
import { alloc, broadcastShapes, checkSameBackend, normDim, numelOf } from './util.js';

/** Checks scatter's shape rules and the index values; returns the normalised dim. */
function checkScatter(op: string, x: Tensor, dim: number, index: Tensor, src: Tensor | null): number {
  if (index.dtype !== 'int32') {
    throw new DTypeError(`${op}(): Expected dtype int32 for index (PyTorch's int64), but got ${index.dtype}`);
  }
  checkSameBackend(op, x, index, ...(src ? [src] : []));
  const d = normDim(dim, x.dim());
  if (index.dim() !== x.dim() && !(index.dim() <= 1 && x.dim() <= 1)) {
    throw new ShapeError(
      `${op}(): Index tensor must have the same number of dimensions as self tensor (index ${shapeStr(index.shape)}, self ${shapeStr(x.shape)})`,
    );
  }
  index.shape.forEach((n, k) => {
    if (k !== d && n > (x.shape[k] ?? 1)) {
      throw new ShapeError(
        `${op}(): Size does not match at dimension ${k}: expected index ${shapeStr(index.shape)} to be no larger than self ${shapeStr(x.shape)} apart from dimension ${d}`,
      );
    }
    if (src && n > (src.shape[k] ?? 1)) {
      throw new ShapeError(
        `${op}(): Size does not match at dimension ${k}: expected index ${shapeStr(index.shape)} to be no larger than src ${shapeStr(src.shape)}`,
      );
    }
  });
  if (index.backend.syncReads) {
    const size = x.shape[d] ?? 1;
    const data = index.dataSync();
    for (let i = 0; i < data.length; i++) {
      const v = data[i]!;
      if (v < 0 || v >= size) {
        throw new RangeError(`${op}(): index ${v} is out of bounds for dimension ${d} with size ${size}`);
      }
    }
  }
  return d;
}

/** Each index element's row-major position in x: its own coordinates, with `index` along `dim`. */
function positions(x: Tensor, d: number, index: Tensor): Tensor {
  return noGrad(() =>
    tidy(() => {
      const strides = rowMajorStrides(x.shape);
      const rank = index.dim();
      let p = index.mul(strides[d] ?? 1);
      for (let k = 0; k < rank; k++) {
        if (k === d) continue;
        const shape = index.shape.map((n, j) => (j === k ? n : 1));
        p = p.add(arangeIndex(0, index.shape[k]!, x.backend).mul(strides[k]!).reshape(shape));
      }
      return p.contiguous().reshape([-1]);
    }),
  );
}

/** `src` cut to `index`'s shape (the elements scatter reads), contiguous, in x's dtype. */
function sourceFor(x: Tensor, index: Tensor, src: TensorOrScalar): Tensor {
  return noGrad(() => {
    if (typeof src === 'number') {
      const t = alloc(index.shape, x.dtype, x.backend);
      x.backend.fill(t.storage, src);
      return t;
    }
    let s = src.dtype === x.dtype ? src : toDType(src, x.dtype);
    if (s.dim() === 0) s = s.reshape([1]);
    for (let k = 0; k < index.dim(); k++)
      if (s.shape[k] !== index.shape[k]) s = s.narrow(k, 0, index.shape[k]!);
    return s.contiguous();
  });
}

/** Out-of-place scatter (`add`: scatterAdd). */
function scatterOut(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar, add: boolean): Tensor {
  const op = add ? 'scatter_add' : 'scatter';
  const d = checkScatter(op, x, dim, index, src instanceof Tensor ? src : null);
  const pos = positions(x, d, index);
  const values = sourceFor(x, index, src);
  const n = x.numel();
  const out = alloc(x.shape, x.dtype, x.backend);
  const b = x.backend;
  b.copy(x._strided(), out.storage);
  if (add) b.indexAdd(out.storage, pos.storage, values.storage, 1, n, 1);
  else b.scatter(out.storage, pos.storage, values.storage, 1, n, 1);
  if (values !== src) values.dispose();
  const inputs = src instanceof Tensor ? [x, src] : [x];
  return recordOp(
    out,
    add ? 'ScatterAddBackward0' : src instanceof Tensor ? 'ScatterBackward0' : 'ScatterBackward1',
    inputs,
    (g, needs) => {
      const gc = g.contiguous();
      let gx: Tensor | null = null;
      if (needs[0]) {
        gx = g.clone();
        if (!add) b.scatter(gx.storage, pos.storage, alloc([pos.numel()], g.dtype, b).storage, 1, n, 1);
      }
      let gs: Tensor | null = null;
      if (needs[1] && src instanceof Tensor) {
        const picked = alloc(index.shape, g.dtype, b);
        b.indexSelect(gc.storage, pos.storage, picked.storage, 1, n, 1);
        gs = sameShapeAs(picked, src.shape)
          ? picked
          : placeInto(picked, src.shape, (whole) => cut(whole, index.shape));
      }
      return [gx, gs];
    },
    [pos],
  );
}

function sameShapeAs(t: Tensor, shape: readonly number[]): boolean {
  return t.dim() === shape.length && t.shape.every((n, i) => n === shape[i]);
}

/** The leading corner of `t` of `shape` (a view). */
function cut(t: Tensor, shape: readonly number[]): Tensor {
  let v = t;
  shape.forEach((n, k) => {
    if (v.shape[k] !== n) v = v.narrow(k, 0, n);
  });
  return v;
}

/** `torch.scatter(x, dim, index, src)`: x with src's elements written at `index` along `dim`. */
export function scatter(x: Tensor, dim: number, index: Tensor, src: TensorOrScalar): Tensor {
  return scatterOut(x, dim, index, src, false);
}

/** `torch.scatter_add(x, dim, index, src)`: x with src's elements added at `index` along `dim`. */
export function scatterAdd(x: Tensor, dim: number, index: Tensor, src: Tensor): Tensor {
  return scatterOut(x, dim, index, src, true);
}

export function scatter_<T extends Tensor>(x: T, dim: number, index: Tensor, src: TensorOrScalar): T {
  return inplace.apply(x, 'scatter_', (t) => scatterOut(t, dim, index, src, false), src);
}

export function scatterAdd_<T extends Tensor>(x: T, dim: number, index: Tensor, src: Tensor): T {
  return inplace.apply(x, 'scatter_add_', (t) => scatterOut(t, dim, index, src, true), src);
}

/** The index items that put a 1-D `index` at `dim`: `[':', ..., index]`. */
function atDim(x: Tensor, dim: number, index: Tensor, op: string): (string | Tensor)[] {
  if (index.dim() > 1) {
    throw new ShapeError(`${op}(): Index is supposed to be a vector, got shape ${shapeStr(index.shape)}`);
  }
  const d = x.dim() === 0 ? 0 : normDim(dim, x.dim());
  return [...Array<string>(d).fill(':'), index.dim() === 0 ? index.reshape([1]) : index];
}

/** `x.indexFill_(dim, index, value)`: every entry of `index` along `dim` set to `value`. */
export function indexFill_<T extends Tensor>(x: T, dim: number, index: Tensor, value: TensorOrScalar): T {
  if (value instanceof Tensor && value.dim() !== 0) {
    throw new ShapeError(
      `index_fill_ only supports a 0-dimensional value tensor, but got tensor with ${value.dim()} dimension(s)`,
    );
  }
  return putAt(x, atDim(x, dim, index, 'index_fill_'), value, false, 'IndexFillBackward0');
}

/** `x.indexCopy_(dim, index, source)`: `source`'s slices along `dim` written at `index`. */
export function indexCopy_<T extends Tensor>(x: T, dim: number, index: Tensor, source: Tensor): T {
  const d = x.dim() === 0 ? 0 : normDim(dim, x.dim());
  const expected = x.shape.map((n, k) => (k === d ? index.numel() : n));
  if (!sameShapeAs(source, expected)) {
    throw new ShapeError(
      `index_copy_(): source ${shapeStr(source.shape)} must have self's shape ${shapeStr(x.shape)} with dimension ${d} of size ${index.numel()} (the index's length)`,
    );
  }
  return putAt(x, atDim(x, dim, index, 'index_copy_'), source, false, 'IndexCopyBackward0');
}

/** `x.indexAdd_(dim, index, source, { alpha })`: `alpha · source`'s slices added at `index` (repeats add up). */
export function indexAdd_<T extends Tensor>(
  x: T,
  dim: number,
  index: Tensor,
  source: Tensor,
  opts: { alpha?: number } = {},
): T {
  const scaled = opts.alpha === undefined || opts.alpha === 1 ? source : source.mul(opts.alpha);
  return putAt(x, atDim(x, dim, index, 'index_add_'), scaled, true, 'IndexAddBackward0');
}

function checkMask(mask: Tensor, op: string): void {
  if (mask.dtype !== 'bool') {
    throw new DTypeError(`${op} only supports boolean masks, but got mask with dtype ${mask.dtype}`);
  }
}

/** `x.maskedFill(mask, value)`: `value` where `mask` is true (mask broadcasts). */
export function maskedFill(x: Tensor, mask: Tensor, value: TensorOrScalar): Tensor {
  checkMask(mask, 'masked_fill');
  if (value instanceof Tensor && value.dim() !== 0) {
    throw new ShapeError(
      `masked_fill only supports a 0-dimensional value tensor, but got tensor with ${value.dim()} dimension(s)`,
    );
  }
  const v =
    value instanceof Tensor
      ? value.dtype === x.dtype
        ? value
        : value.to(x.dtype)
      : fromHost([value], [], { dtype: x.dtype, backend: x.backend });
  return renameNode(where(mask, v, x), 'MaskedFillBackward0');
}

export function maskedFill_<T extends Tensor>(x: T, mask: Tensor, value: TensorOrScalar): T {
  return inplace.apply(x, 'masked_fill_', (t) => maskedFill(t, mask, value), value);
}

/** `x.maskedSelect(mask)`: the elements where `mask` (broadcast with x) is true, as a 1-D tensor. */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  checkMask(mask, 'masked_select');
  const shape = broadcastShapes(x.shape, mask.shape);
  const xb = numelOf(shape) === x.numel() && x.dim() === shape.length ? x : x.expand(shape);
  const mb = mask.dim() === shape.length && mask.numel() === numelOf(shape) ? mask : mask.expand(shape);
  return renameNode(subscript(xb, [mb]), 'MaskedSelectBackward0');
}

/** `x.take(index)`: x's elements at flat (row-major) positions, shaped like `index`. */
export function take(x: Tensor, index: Tensor): Tensor {
  return renameNode(subscript(x.reshape([-1]), [index]), 'TakeBackward0');
}
