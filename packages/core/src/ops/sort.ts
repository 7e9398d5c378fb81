/**
 * Sorting and selection along a dim: `sort`, `argsort`, `topk`, `kthvalue`, `median`,
 * `mode`, with PyTorch's gradients (the output gradient goes back to the selected
 * positions) and NaN order (NaN sorts above +inf; descending puts NaNs first).
 *
 * Every op here first finds the *positions* to select (an int32 tensor), then gathers the
 * values on the backend. Positions are found in one of two ways:
 * - on a backend that reads synchronously (cpu-js, wasm-simd), on the host: one read of the
 *   input, a stable comparison sort per slice (O(n log n)), one upload of the positions;
 * - on a backend with its own sort (`Backend.sortRows`: webgpu's bitonic network), there;
 * - on any other, without reading anything back, by ranking: element i's place is
 *   the number of elements that sort before it, ties broken by position (so the order is
 *   stable), computed with broadcast comparisons and one sum per block of rows, then one
 *   `scatter` of the positions to their places. That is O(n²) work per slice (in blocks of at
 *   most 2^22 comparisons, so memory stays bounded): fine for the rows of a batch, slow for
 *   one slice of a million elements.
 * Both give the same stable order, so `stable: false` (PyTorch's default) returns a stable
 * sort too, which PyTorch allows.
 */
import { recordOp } from '../autograd/graph.js';
import { isFloat } from '../dtype.js';
import { noGrad, tidy } from '../engine.js';
import { shapeStr, ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { fromHost } from './creation.js';
import { where } from './elementwise.js';
import { arangeIndex } from './indexing.js';
import { slice } from './shape.js';
import { alloc, normDim, numelOf } from './util.js';

/** PyTorch's named tuple `(values, indices)`. */
export interface ValuesIndices {
  /** The values. */
  values: Tensor;
  /** Their indices along the dimension (int32). */
  indices: Tensor;
}

/** `sort`/`argsort` options (PyTorch's keyword arguments). */
export interface SortOptions {
  /** The dimension (default -1, the last). */
  dim?: number;
  /** Sort in descending order (PyTorch's `descending`). */
  descending?: boolean;
  /** Accepted for PyTorch's spelling; the sort is always stable here. */
  stable?: boolean;
}

/** `topk` options (PyTorch's keyword arguments after `k`). */
export interface TopkOptions {
  /** The dimension (default -1, the last). */
  dim?: number;
  /** Return the largest (true) or smallest elements (PyTorch's `largest`). */
  largest?: boolean;
  /** Return the elements sorted (PyTorch's `sorted`). */
  sorted?: boolean;
}

/** Comparisons per block of the ranking path (bounds its temporary memory). */
const RANK_BLOCK = 1 << 22;

/** [outer, n, inner] around dim `d` (a 0-dim tensor is one slice of one element). */
function geometry(x: Tensor, d: number): { outer: number; n: number; inner: number } {
  if (x.dim() === 0) return { outer: 1, n: 1, inner: 1 };
  return {
    outer: numelOf(x.shape.slice(0, d)),
    n: x.shape[d]!,
    inner: numelOf(x.shape.slice(d + 1)),
  };
}

/** A stable comparison of positions a, b by `keys[a]`, `keys[b]`; NaN sorts above everything. */
function comparator(keys: Float64Array, descending: boolean): (a: number, b: number) => number {
  const dir = descending ? -1 : 1;
  return (a, b) => {
    const va = keys[a]!;
    const vb = keys[b]!;
    const na = Number.isNaN(va);
    const nb = Number.isNaN(vb);
    if (na || nb) return na === nb ? a - b : (na ? 1 : -1) * dir;
    if (va < vb) return -dir;
    if (va > vb) return dir;
    return a - b;
  };
}

/** The sorting positions, computed on the host (backends with synchronous reads). */
function hostSortIndices(x: Tensor, d: number, descending: boolean): Tensor {
  const { outer, n, inner } = geometry(x, d);
  const data = x.backend.readSync!(x.storage);
  const out = new Int32Array(x.numel());
  const keys = new Float64Array(n);
  const order = new Array<number>(n);
  const cmp = comparator(keys, descending);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        keys[j] = data[base + j * inner]!;
        order[j] = j;
      }
      order.sort(cmp);
      for (let j = 0; j < n; j++) out[base + j * inner] = order[j]!;
    }
  }
  return fromHost(out, x.shape, { dtype: 'int32', backend: x.backend });
}

/** `x` with dim `d` moved last and the rest folded: a contiguous [rows, n]. */
function rowsOf(x: Tensor, d: number): Tensor {
  const n = x.dim() === 0 ? 1 : x.shape[d]!;
  const moved = x.dim() === 0 ? x.reshape([1]) : x.movedim(d, -1);
  return moved.reshape([x.numel() === 0 ? 0 : x.numel() / Math.max(n, 1), n]);
}

/** The inverse of `rowsOf` for a [rows, k] result: back to x's layout with `k` at dim `d`. */
function fromRows(r: Tensor, x: Tensor, d: number): Tensor {
  if (x.dim() === 0) return r.reshape([]);
  const shape = [...x.shape];
  shape.splice(d, 1);
  return r
    .reshape([...shape, r.shape[1]!])
    .movedim(-1, d)
    .contiguous();
}

/**
 * Calls `block(rows, i0, i1)` over blocks of a [rows, n] problem whose pairwise comparisons
 * (rows × (i1 - i0) × n) fit in RANK_BLOCK; `block` returns a [rows, i1 - i0] int32 piece
 * that is written into the result.
 */
function byBlocks(x2: Tensor, block: (rows: Tensor, i0: number, count: number) => Tensor): Tensor {
  const [R, n] = x2.shape as [number, number];
  const out = alloc([R, n], 'int32', x2.backend);
  if (R === 0 || n === 0) return out;
  const iBlock = Math.max(1, Math.min(n, Math.floor(RANK_BLOCK / n)));
  const rBlock = Math.max(1, Math.floor(RANK_BLOCK / (n * iBlock)));
  for (let r0 = 0; r0 < R; r0 += rBlock) {
    const rc = Math.min(rBlock, R - r0);
    for (let i0 = 0; i0 < n; i0 += iBlock) {
      const ic = Math.min(iBlock, n - i0);
      tidy(() => {
        const piece = block(slice(x2, 0, r0, rc, 1), i0, ic);
        const dst = slice(slice(out, 0, r0, rc, 1), 1, i0, ic, 1);
        out.backend.copyToView(piece.storage, dst._strided());
      });
    }
  }
  return out;
}

/** The sorting positions without reading back: ranks by comparison, then one scatter. */
function rankedSortIndices(x: Tensor, d: number, descending: boolean): Tensor {
  return tidy(() => {
    const x2 = rowsOf(x, d);
    const [R, n] = x2.shape as [number, number];
    const nan = isFloat(x.dtype);
    const jPos = arangeIndex(0, n, x.backend).reshape([1, 1, n]);
    const ranks = byBlocks(x2, (rows, i0, ic) => {
      const xi = slice(rows, 1, i0, ic, 1).unsqueeze(-1);
      const xj = rows.unsqueeze(1);
      let before = descending ? xj.gt(xi) : xj.lt(xi);
      let tie = xj.eq(xi);
      if (nan) {
        const ni = xi.ne(xi);
        const nj = xj.ne(xj);
        before = before.logicalOr(
          descending ? nj.logicalAnd(ni.logicalNot()) : ni.logicalAnd(nj.logicalNot()),
        );
        tie = tie.logicalOr(ni.logicalAnd(nj));
      }
      const iPos = arangeIndex(i0, ic, x.backend).reshape([1, ic, 1]);
      return before.logicalOr(tie.logicalAnd(jPos.lt(iPos))).sum(-1);
    });
    const positions = arangeIndex(0, n, x.backend).reshape([1, n]).expand([R, n]).contiguous();
    const idx = alloc([R, n], 'int32', x.backend);
    x.backend.scatter(idx.storage, ranks.storage, positions.storage, R, n, 1);
    return fromRows(idx, x, d);
  });
}

/** The sorting positions by the backend's own sort (`Backend.sortRows`); null where it has none for x. */
function backendSortIndices(x: Tensor, d: number, descending: boolean): Tensor | null {
  const sortRows = x.backend.sortRows;
  if (!sortRows || x.numel() === 0) return null;
  return tidy(() => {
    const x2 = rowsOf(x, d).contiguous();
    const [R, n] = x2.shape as [number, number];
    const idx = alloc([R, n], 'int32', x.backend);
    if (!sortRows.call(x.backend, x2.storage, R, n, descending, idx.storage)) return null;
    return fromRows(idx, x, d);
  });
}

/** int32 positions along `d` that sort each slice of `x` (stable; NaN above +inf). No autograd. */
export function sortIndices(x: Tensor, d: number, descending: boolean): Tensor {
  return noGrad(() =>
    x.backend.syncReads && x.backend.readSync
      ? hostSortIndices(x, d, descending)
      : (backendSortIndices(x, d, descending) ?? rankedSortIndices(x, d, descending)),
  );
}

/** `x`'s elements at `idx` along `d` (idx has x's rank); no autograd. */
function gatherRaw(x: Tensor, d: number, idx: Tensor): Tensor {
  const { outer, n, inner } = geometry(x, d);
  const out = alloc(idx.shape, x.dtype, x.backend);
  if (idx.numel() > 0) x.backend.gather(x.storage, idx.storage, out.storage, outer, n, inner);
  return out;
}

/**
 * The selected values (`idx` has x's rank, `shape` is the result's: keepdim or not), with
 * PyTorch's value-selecting backward: the gradient is added at the selected positions.
 */
function selected(x: Tensor, d: number, idx: Tensor, shape: readonly number[], name: string): Tensor {
  const raw = gatherRaw(x, d, idx);
  const values = raw._view(shape);
  raw.dispose();
  if (!isFloat(x.dtype)) return values;
  return recordOp(
    values,
    name,
    [x],
    (g) => {
      const { outer, n, inner } = geometry(x, d);
      const gx = alloc(x.shape, g.dtype, g.backend);
      const gi = g.reshape(idx.shape);
      if (idx.numel() > 0) g.backend.scatterAdd(gx.storage, idx.storage, gi.storage, outer, n, inner);
      return [gx];
    },
    [idx],
  );
}

function dimOf(x: Tensor, dim: number, op: string): number {
  if (typeof dim !== 'number') throw new TypeError(`${op}(): dim must be an integer, got ${String(dim)}`);
  const d = normDim(dim, x.dim());
  return x.dim() === 0 ? 0 : d;
}

function sortArgs(
  op: string,
  dimOrOpts: number | SortOptions | undefined,
  descending: boolean | undefined,
): { dim: number; descending: boolean; stableGiven: boolean } {
  if (typeof dimOrOpts === 'object' && dimOrOpts !== null) {
    if (descending !== undefined)
      throw new TypeError(`${op}(): pass descending inside the options object, not after it`);
    for (const k of Object.keys(dimOrOpts)) {
      if (!['dim', 'descending', 'stable'].includes(k))
        throw new TypeError(`${op}(): unknown option '${k}' (expected dim, descending, stable)`);
    }
    return {
      dim: dimOrOpts.dim ?? -1,
      descending: dimOrOpts.descending ?? false,
      stableGiven: dimOrOpts.stable !== undefined,
    };
  }
  return { dim: dimOrOpts ?? -1, descending: descending ?? false, stableGiven: false };
}

/**
 * `torch.sort(t, dim=-1, descending=False, stable=False)`: `{ values, indices }`. Also
 * `sort({ dim, descending, stable })`. Always stable (see the file comment).
 */
export function sort(t: Tensor, dimOrOpts?: number | SortOptions, descending?: boolean): ValuesIndices {
  const a = sortArgs('sort', dimOrOpts, descending);
  const d = dimOf(t, a.dim, 'sort');
  const indices = sortIndices(t, d, a.descending);
  const values = selected(t, d, indices, t.shape, a.stableGiven ? 'SortBackward1' : 'SortBackward0');
  return { values, indices };
}

/** `torch.argsort(t, dim=-1, descending=False, stable=False)`: the `indices` of `sort`. */
export function argsort(t: Tensor, dimOrOpts?: number | SortOptions, descending?: boolean): Tensor {
  const a = sortArgs('argsort', dimOrOpts, descending);
  return sortIndices(t, dimOf(t, a.dim, 'argsort'), a.descending);
}

/** The first `k` of the sorting positions along `d` (contiguous int32). */
function firstK(x: Tensor, d: number, k: number, descending: boolean): Tensor {
  return noGrad(() =>
    tidy(() => {
      const all = sortIndices(x, d, descending);
      if (x.dim() === 0) return all;
      return slice(all, d, 0, k, 1).contiguous();
    }),
  );
}

/**
 * `torch.topk(t, k, dim=-1, largest=True, sorted=True)`: the `k` largest (smallest) along
 * `dim`, `{ values, indices }`, in order (also when `sorted` is false, which PyTorch allows).
 * Also `topk(k, { dim, largest, sorted })`.
 */
export function topk(
  t: Tensor,
  k: number,
  dimOrOpts: number | TopkOptions = -1,
  largest = true,
  sorted = true,
): ValuesIndices {
  let dim = -1;
  if (typeof dimOrOpts === 'object' && dimOrOpts !== null) {
    for (const key of Object.keys(dimOrOpts)) {
      if (!['dim', 'largest', 'sorted'].includes(key))
        throw new TypeError(`topk(): unknown option '${key}' (expected dim, largest, sorted)`);
    }
    dim = dimOrOpts.dim ?? -1;
    largest = dimOrOpts.largest ?? true;
    sorted = dimOrOpts.sorted ?? true;
  } else dim = dimOrOpts;
  void sorted;
  const d = dimOf(t, dim, 'topk');
  const { n } = geometry(t, d);
  if (!Number.isInteger(k) || k < 0 || k > n) {
    throw new RangeError(
      `topk(): selected index k out of range: k = ${k}, but dimension ${d} of the input ${shapeStr(t.shape)} has size ${n}`,
    );
  }
  const indices = firstK(t, d, k, largest);
  const values = selected(t, d, indices, indices.shape, 'TopkBackward0');
  return { values, indices };
}

/** The position tensor `idx` (x's rank, size 1 at `d`) as the result of a reduction over `d`. */
function reduced(t: Tensor, d: number, idx: Tensor, keepdim: boolean, name: string): ValuesIndices {
  const shape = t.dim() === 0 ? [] : keepdim ? idx.shape : t.shape.filter((_, i) => i !== d);
  const values = selected(t, d, idx, shape, name);
  const indices = idx._view(shape);
  return { values, indices };
}

/** `torch.kthvalue(t, k, dim=-1, keepdim=False)`: the k-th smallest (1-based), `{ values, indices }`. */
export function kthvalue(t: Tensor, k: number, dim = -1, keepdim = false): ValuesIndices {
  const d = dimOf(t, dim, 'kthvalue');
  const { n } = geometry(t, d);
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(
      `kthvalue(): selected number k out of range for dimension ${d}: k = ${k}, but the input ${shapeStr(t.shape)} has ${n} elements there`,
    );
  }
  const idx = noGrad(() =>
    tidy(() => {
      const all = sortIndices(t, d, false);
      return t.dim() === 0 ? all.reshape([]) : slice(all, d, k - 1, 1, 1).contiguous();
    }),
  );
  return reduced(t, d, idx, keepdim, 'KthvalueBackward0');
}

/**
 * Positions (size 1 at `d`) of the lower median of each slice; a slice with NaN gives its
 * first NaN, as PyTorch's `median`.
 */
function medianIndex(t: Tensor, d: number): Tensor {
  const { n } = geometry(t, d);
  const half = Math.floor((n - 1) / 2);
  return noGrad(() =>
    tidy(() => {
      const sorted = sortIndices(t, d, false);
      if (t.dim() === 0) return sorted.reshape([]);
      if (!isFloat(t.dtype)) return slice(sorted, d, half, 1, 1).contiguous();
      // NaNs sort last: with m of them, the first is at n - m.
      const nans = t.ne(t).sum(d, true);
      const has = nans.gt(0).to('int32');
      const pos = has
        .mul(n - half)
        .sub(has.mul(nans))
        .add(half);
      return gatherRaw(sorted, d, pos);
    }),
  );
}

function checkNotEmpty(t: Tensor, op: string, d?: number): void {
  if (t.numel() === 0 || (d !== undefined && t.dim() > 0 && t.shape[d] === 0)) {
    throw new ValueError(
      `${op}(): cannot select from an empty ${d === undefined ? 'tensor' : `dimension ${d}`} (input shape ${shapeStr(t.shape)})`,
    );
  }
}

/**
 * `torch.median(t)`: the lower median of all elements (NaN if any is NaN), a 0-dim tensor;
 * the gradient is shared evenly among the elements equal to it, as PyTorch's.
 * `torch.median(t, dim, keepdim=False)`: `{ values, indices }` per slice.
 */
export function median(t: Tensor): Tensor;
export function median(t: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
export function median(t: Tensor, dim?: number, keepdim = false): Tensor | ValuesIndices {
  if (dim === undefined || dim === null) {
    checkNotEmpty(t, 'median');
    const flat = t.reshape([t.numel()]);
    const idx = medianIndex(flat, 0);
    const raw = gatherRaw(flat, 0, idx);
    const out = raw._view([]);
    raw.dispose();
    if (!isFloat(t.dtype)) return out;
    return recordOp(
      out,
      'MedianBackward0',
      [t],
      (g) =>
        tidy(() => {
          const mask = t.eq(out).logicalOr(t.ne(t).logicalAnd(out.ne(out)));
          return [where(mask, g.div(mask.sum()), 0)];
        }),
      [t, out],
    );
  }
  const d = dimOf(t, dim, 'median');
  checkNotEmpty(t, 'median', d);
  return reduced(t, d, medianIndex(t, d), keepdim, 'MedianBackward1');
}

/** Mode positions on the host: PyTorch's CPU loop over each slice sorted by value. */
function hostModeIndex(t: Tensor, d: number): Tensor {
  const { outer, n, inner } = geometry(t, d);
  const data = t.backend.readSync!(t.storage);
  const out = new Int32Array(outer * inner);
  const keys = new Float64Array(n);
  const order = new Array<number>(n);
  const cmp = comparator(keys, false);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * n * inner + i;
      for (let j = 0; j < n; j++) {
        keys[j] = data[base + j * inner]!;
        order[j] = j;
      }
      order.sort(cmp);
      let best = 0;
      let bestFreq = 0;
      let freq = 0;
      for (let j = 0; j < n; j++) {
        freq++;
        if (j === n - 1 || keys[order[j]!] !== keys[order[j + 1]!]) {
          if (freq > bestFreq) {
            bestFreq = freq;
            best = order[j]!;
          }
          freq = 0;
        }
      }
      out[o * inner + i] = best;
    }
  }
  const shape = t.dim() === 0 ? [] : t.shape.map((s, k) => (k === d ? 1 : s));
  return fromHost(out, shape, { dtype: 'int32', backend: t.backend });
}

/** Mode positions without reading back: counts by comparison, then reductions. */
function rankedModeIndex(t: Tensor, d: number): Tensor {
  return tidy(() => {
    const x2 = rowsOf(t, d);
    const n = x2.shape[1]!;
    const counts = byBlocks(x2, (rows, i0, ic) =>
      slice(rows, 1, i0, ic, 1).unsqueeze(-1).eq(rows.unsqueeze(1)).sum(-1),
    );
    const most = counts.amax(-1, true);
    const big = isFloat(t.dtype) ? Number.POSITIVE_INFINITY : 2147483647;
    const value = where(counts.eq(most), x2, big).amin(-1, true);
    let isMode = x2.eq(value);
    if (isFloat(t.dtype)) isMode = isMode.logicalOr(x2.ne(x2).logicalAnd(value.ne(value)));
    const pos = arangeIndex(0, n, t.backend).reshape([1, n]);
    // The last occurrence, as PyTorch's loop reports (its sort keeps equal values in order).
    const idx = where(isMode, pos, -1).amax(-1, true).maximum(0);
    return fromRows(idx, t, d);
  });
}

/**
 * `torch.mode(t, dim=-1, keepdim=False)`: the most frequent value of each slice (the
 * smallest among equally frequent ones) and the position of its last occurrence,
 * `{ values, indices }`. PyTorch's CPU kernel sorts each slice with an unstable sort, so
 * its index among repeats is only guaranteed for slices shorter than 16; stepwise always
 * reports the last occurrence.
 */
export function mode(t: Tensor, dim = -1, keepdim = false): ValuesIndices {
  const d = dimOf(t, dim, 'mode');
  checkNotEmpty(t, 'mode', d);
  const idx = noGrad(() =>
    t.backend.syncReads && t.backend.readSync ? hostModeIndex(t, d) : rankedModeIndex(t, d),
  );
  return reduced(t, d, idx, keepdim, 'ModeBackward0');
}
