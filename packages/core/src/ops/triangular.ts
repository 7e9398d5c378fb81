/** Triangles and diagonals of matrices: `tril`, `triu`, `diag` (copies, as in PyTorch). */
import { recordOp } from '../autograd/graph.js';
import { noGrad } from '../engine.js';
import { ShapeError, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { where } from './elementwise.js';
import { arangeIndex } from './indexing.js';
import { clone, diagonal, placeInto } from './shape.js';
import { alloc } from './util.js';

function checkOffset(op: string, k: number): void {
  if (!Number.isInteger(k)) throw new TypeError(`${op}(): diagonal must be an integer, got ${String(k)}`);
}

/** Bool [rows, cols]: true where col - row <= k (lower) or >= k (upper). No autograd. */
function triangleMask(rows: number, cols: number, k: number, lower: boolean, t: Tensor): Tensor {
  return noGrad(() => {
    const r = arangeIndex(0, rows, t.backend).reshape([rows, 1]);
    const c = arangeIndex(0, cols, t.backend).reshape([1, cols]);
    const offset = c.sub(r);
    return lower ? offset.le(k) : offset.ge(k);
  });
}

function triangle(t: Tensor, k: number, lower: boolean): Tensor {
  const op = lower ? 'tril' : 'triu';
  checkOffset(op, k);
  if (t.dim() < 2) {
    throw new ShapeError(
      `${op}: input tensor must have at least 2 dimensions, but got shape ${shapeStr(t.shape)}`,
    );
  }
  const mask = triangleMask(t.shape[t.dim() - 2]!, t.shape[t.dim() - 1]!, k, lower, t);
  const zero = alloc([], t.dtype, t.backend);
  const out = noGrad(() => where(mask, t, zero));
  zero.dispose();
  return recordOp(out, lower ? 'TrilBackward0' : 'TriuBackward0', [t], (g) => [where(mask, g, 0)], [mask]);
}

/** `torch.tril(t, diagonal=0)`: the lower triangle of the last two dims (on and below `diagonal`), zeros elsewhere. */
export function tril(t: Tensor, k = 0): Tensor {
  return triangle(t, k, true);
}

/** `torch.triu(t, diagonal=0)`: the upper triangle of the last two dims (on and above `diagonal`), zeros elsewhere. */
export function triu(t: Tensor, k = 0): Tensor {
  return triangle(t, k, false);
}

/**
 * `torch.diag(t, diagonal=0)`: a vector becomes a square matrix with it on the `diagonal`-th
 * diagonal; a matrix gives (a copy of) its `diagonal`-th diagonal.
 */
export function diag(t: Tensor, k = 0): Tensor {
  checkOffset('diag', k);
  if (t.dim() === 1) {
    const n = t.shape[0]! + Math.abs(k);
    const out = alloc([n, n], t.dtype, t.backend);
    const view = noGrad(() => diagonal(out, k, 0, 1));
    t.backend.copyToView(t.storage, view._strided());
    view.dispose();
    return recordOp(out, 'DiagBackward0', [t], (g) => [noGrad(() => clone(diagonal(g, k, 0, 1)))]);
  }
  if (t.dim() !== 2)
    throw new ShapeError(`diag(): matrix or a vector expected, got shape ${shapeStr(t.shape)}`);
  const out = noGrad(() => clone(diagonal(t, k, 0, 1)));
  return recordOp(out, 'DiagBackward0', [t], (g) => [
    placeInto(g, t.shape, (whole) => diagonal(whole, k, 0, 1)),
  ]);
}
