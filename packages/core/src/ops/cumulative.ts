/**
 * Cumulative sums and products along a dim (PyTorch's `cumsum`, `cumprod`), composed of
 * existing kernels: a scan is ceil(log2 n) passes of one strided binary op and one strided
 * write (Hillis–Steele), O(n log n) work and no new backend kernel. Each output is a
 * tree of at most log2(n) roundings, where PyTorch's CPU loop accumulates sequentially (in
 * double for float32): the results agree to a few ulps of the running sums' magnitudes.
 */
import { recordOp } from '../autograd/graph.js';
import { type DType, isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import type { Tensor } from '../tensor.js';
import { where } from './elementwise.js';
import { clone, slice } from './shape.js';
import { alloc, normDim } from './util.js';

/** Inclusive scan of `x` along `d`, from the end when `reverse` (no autograd; a new contiguous tensor). */
export function scan(x: Tensor, d: number, op: 'add' | 'mul', reverse = false): Tensor {
  return noGrad(() => {
    const n = x.shape[d] ?? 1;
    let y = clone(x);
    for (let k = 1; k < n; k *= 2) {
      const next = clone(y);
      const cur = y;
      const s = tidy(() => {
        const hi = slice(cur, d, k, n - k, 1);
        const lo = slice(cur, d, 0, n - k, 1);
        return op === 'add' ? hi.add(lo) : hi.mul(lo);
      });
      const dst = slice(next, d, reverse ? 0 : k, n - k, 1);
      next.backend.copyToView(s.storage, dst._strided());
      dst.dispose();
      s.dispose();
      y.dispose();
      y = next;
    }
    return y;
  });
}

/**
 * `x` moved one step along `d` (towards the end, or the start when `reverse`), the vacated
 * entry set to `fill`: the exclusive form of a scan's input (no autograd).
 */
function shifted(x: Tensor, d: number, fill: number, reverse: boolean): Tensor {
  return noGrad(() => {
    const n = x.shape[d]!;
    const out = alloc(x.shape, x.dtype, x.backend);
    if (fill !== 0) out.backend.fill(out.storage, fill);
    if (n > 1) {
      const src = slice(x, d, reverse ? 1 : 0, n - 1, 1);
      const dst = slice(out, d, reverse ? 0 : 1, n - 1, 1);
      out.backend.copyToView(src.storage, dst._strided());
      src.dispose();
      dst.dispose();
    }
    return out;
  });
}

/**
 * For every element, the product of all the others along `d`, exact when some are zero:
 * the exclusive products from the left times those from the right (PyTorch's
 * `prod_safe_zeros_backward`). No autograd.
 */
export function exclusiveProducts(x: Tensor, d: number): Tensor {
  return noGrad(() =>
    tidy(() => {
      const left = scan(shifted(x, d, 1, false), d, 'mul');
      const right = scan(shifted(x, d, 1, true), d, 'mul', true);
      return left.mul(right);
    }),
  );
}

/** The dtype a cumulative op produces: floats keep theirs, integers and bools give int32 (PyTorch's int64). */
function scanDType(t: Tensor): DType {
  return isFloat(t.dtype) ? t.dtype : 'int32';
}

function prepare(t: Tensor, dim: number, op: string): { x: Tensor; d: number } {
  if (typeof dim !== 'number') throw new TypeError(`${op}(): dim must be an integer, got ${String(dim)}`);
  const d = normDim(dim, t.dim());
  const dtype = scanDType(t);
  return { x: t.dtype === dtype ? t : t.to(dtype), d };
}

/** `torch.cumsum(t, dim)`: running sums along `dim`. */
export function cumsum(t: Tensor, dim: number): Tensor {
  const { x, d } = prepare(t, dim, 'cumsum');
  const src = x.dim() === 0 ? x._view([1]) : x;
  const r = scan(src, d, 'add');
  const out = x.dim() === 0 ? r._view([]) : r;
  if (out !== r) r.dispose();
  return recordOp(out, 'CumsumBackward0', [x], (g) => {
    if (x.dim() === 0) return [g];
    return [scan(g, d, 'add', true)];
  });
}

/**
 * `torch.cumprod(t, dim)`: running products along `dim`. The gradient is PyTorch's: where
 * the input has zeros, positions before a slice's first zero use sum(g·out)/x from the end,
 * the first zero gets the products that skip it, and positions after it get zero.
 */
export function cumprod(t: Tensor, dim: number): Tensor {
  const { x, d } = prepare(t, dim, 'cumprod');
  const src = x.dim() === 0 ? x._view([1]) : x;
  const r = scan(src, d, 'mul');
  const out = x.dim() === 0 ? r._view([]) : r;
  if (out !== r) r.dispose();
  return recordOp(
    out,
    'CumprodBackward0',
    [x],
    (g) => {
      if (x.dim() === 0) return [g];
      return tidy(() => {
        const isZero = x.eq(0);
        const zeros = scan(isZero.to('int32'), d, 'add');
        const before = zeros.eq(0);
        const firstZero = isZero.logicalAnd(zeros.eq(1));
        const a = scan(g.mul(out), d, 'add', true).div(where(before, x, 1));
        const skipFirst = scan(where(firstZero, 1, x), d, 'mul');
        const b = scan(g.mul(skipFirst), d, 'add', true);
        return [where(before, a, where(firstZero, b, 0))];
      });
    },
    [x, out],
  );
}
