/**
 * PyTorch's `x[...]` and `x[...] = v`: `x.index(...items)` and `x.indexPut_(items, v)`.
 *
 * Lowering, in two passes as PyTorch's own:
 * 1. Basic items, left to right, make a view: an integer is `select` (dropping the dim), a
 *    slice string is a strided `slice`, `null` is `unsqueeze`, `'...'` skips dims. Integers
 *    are applied here even when advanced items are present, as PyTorch does (numpy would
 *    treat them as advanced).
 * 2. Advanced items (int32 tensors, number arrays, bool masks as their `nonzero()`) are
 *    broadcast together; their dims go where PyTorch puts them (in place when the advanced
 *    items are adjacent, first otherwise). Every selected element's flat position in the
 *    view is computed as an int32 tensor on the backend, so reading is one `indexSelect`
 *    and writing one `scatter` (`indexAdd` when accumulating), both with backward.
 */
import { recordOp } from '../autograd/graph.js';
import { noGrad, tidy } from '../engine.js';
import { DTypeError, ShapeError, shapeStr, ValueError } from '../errors.js';
import { rowMajorStrides } from '../layout.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toDType } from './convert.js';
import { fromHost } from './creation.js';
import { arangeIndex } from './indexing.js';
import * as inplace from './inplace.js';
import { alias, select, slice, unsqueeze } from './shape.js';
import { alloc, broadcastShapes, numelOf, sumToShape } from './util.js';

/** A nested array of numbers (advanced integer index) or booleans (mask), as Python lists. */
export type NestedIndexArray = readonly (number | boolean | NestedIndexArray)[];

/** One item of `x.index(...)`: see API.md, "Views, indexing and assignment". */
export type IndexItem = number | string | null | Tensor | NestedIndexArray;

interface Advanced {
  /** The dim of the basic view this index applies to. */
  readonly dim: number;
  /** int32, any shape (values not yet checked). */
  readonly index: Tensor;
}

/** A Python slice `start:stop:step` over a dim of `size`: the first index, the count and the step. */
function parseSlice(text: string, size: number): { start: number; count: number; step: number } {
  const m = /^\s*([+-]?\d+)?\s*:\s*([+-]?\d+)?\s*(?::\s*([+-]?\d+)?\s*)?$/.exec(text);
  if (!m) {
    throw new ValueError(
      `index: '${text}' is not a slice; use Python's syntax ('1:3', '::2', '-1:', ':') or '...'`,
    );
  }
  const step = m[3] === undefined ? 1 : Number(m[3]);
  if (step <= 0) {
    throw new ValueError(
      `index: step must be greater than zero (got '${text}'); PyTorch has no negative steps, use flip()`,
    );
  }
  const clampTo = (v: number) => Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  const start = m[1] === undefined ? 0 : clampTo(Number(m[1]));
  const stop = m[2] === undefined ? size : clampTo(Number(m[2]));
  return { start, count: Math.max(0, Math.ceil((stop - start) / step)), step };
}

/** How many dims of the input an item consumes. */
function dimsOf(item: IndexItem): number {
  if (item === null || item === '...') return 0;
  if (item instanceof Tensor) return item.dtype === 'bool' ? item.dim() : 1;
  if (Array.isArray(item) && isBoolArray(item)) return nestedShape(item).length;
  return 1;
}

function isBoolArray(a: NestedIndexArray): boolean {
  let v: unknown = a;
  while (Array.isArray(v)) {
    if (v.length === 0) return false;
    v = v[0];
  }
  return typeof v === 'boolean';
}

function nestedShape(a: NestedIndexArray): number[] {
  const shape: number[] = [];
  let v: unknown = a;
  while (Array.isArray(v)) {
    shape.push(v.length);
    v = v[0];
  }
  return shape;
}

/** A number/boolean nested array as an int32 (or bool) tensor on `like`'s backend. */
function arrayIndex(a: NestedIndexArray, like: Tensor): Tensor {
  const shape = nestedShape(a);
  const flat = (a as unknown[]).flat(Number.POSITIVE_INFINITY) as (number | boolean)[];
  if (flat.length !== numelOf(shape)) throw new ShapeError(`index: a nested index array must be rectangular`);
  const bool = isBoolArray(a);
  if (!bool && flat.some((v) => !Number.isInteger(v))) {
    throw new DTypeError('index: an index array must hold integers (or booleans, a mask)');
  }
  return fromHost(flat.map(Number), shape, { dtype: bool ? 'bool' : 'int32', backend: like.backend });
}

/** Pass 1: the view that the basic items select, and the advanced items left for pass 2. */
function basic(x: Tensor, items: readonly IndexItem[]): { view: Tensor; advanced: Advanced[] } {
  const ellipses = items.filter((i) => i === '...').length;
  if (ellipses > 1) throw new ValueError("index: an index can only have a single ellipsis ('...')");
  const consumed = items.reduce((n: number, i) => n + dimsOf(i), 0);
  if (consumed > x.dim()) {
    throw new RangeError(
      `too many indices for tensor of dimension ${x.dim()} (got ${consumed}; shape ${shapeStr(x.shape)})`,
    );
  }
  let view = x;
  let d = 0;
  const advanced: Advanced[] = [];
  for (const item of items) {
    if (item === null) view = unsqueeze(view, d++);
    else if (item === '...') d += x.dim() - consumed;
    else if (typeof item === 'number') {
      const size = view.shape[d]!;
      if (!Number.isInteger(item) || item < -size || item >= size) {
        throw new RangeError(
          `index ${item} is out of bounds for dimension ${d} with size ${size} (shape ${shapeStr(view.shape)})`,
        );
      }
      view = select(view, d, item);
    } else if (typeof item === 'string') {
      const { start, count, step } = parseSlice(item, view.shape[d]!);
      // A whole-dim slice selects nothing: no view, so `x.indexPut_([':', i], v)` writes x itself.
      if (start !== 0 || count !== view.shape[d] || step !== 1) view = slice(view, d, start, count, step);
      d++;
    } else {
      const index = item instanceof Tensor ? item : arrayIndex(item, view);
      if (index.dtype === 'bool') {
        for (const [k, t] of maskIndices(index, view, d).entries()) advanced.push({ dim: d + k, index: t });
        d += index.dim();
      } else {
        if (index.dtype !== 'int32') {
          throw new DTypeError(
            `tensors used as indices must be int32 (PyTorch's long) or bool tensors, got ${index.dtype}`,
          );
        }
        advanced.push({ dim: d++, index });
      }
    }
  }
  return { view, advanced };
}

/** A bool mask over dims `d..` of `view` as one int32 index per masked dim (PyTorch's `nonzero`). */
function maskIndices(mask: Tensor, view: Tensor, d: number): Tensor[] {
  mask.shape.forEach((n, k) => {
    if (n !== view.shape[d + k]) {
      throw new ShapeError(
        `The shape of the mask ${shapeStr(mask.shape)} at index ${k} does not match the shape of the indexed tensor ${shapeStr(view.shape)} at index ${d + k}`,
      );
    }
  });
  if (!mask.backend.syncReads) {
    throw new ValueError(
      `index: a bool mask needs its values on the host (the result's size depends on them), and the '${mask.backend.name}' backend cannot read synchronously; use torch.where(mask, x, y) or index with int32 indices`,
    );
  }
  const values = mask.dataSync();
  const strides = rowMajorStrides(mask.shape);
  const picks: number[][] = mask.shape.map(() => []);
  for (let i = 0; i < values.length; i++) {
    if (!values[i]) continue;
    for (let k = 0; k < strides.length; k++) picks[k]!.push(Math.floor(i / strides[k]!) % mask.shape[k]!);
  }
  if (mask.dim() === 0) return [];
  return picks.map((p) => fromHost(p, [p.length], { dtype: 'int32', backend: view.backend }));
}

/** Checks index values on the host where the backend reads synchronously (webgpu's kernels clamp instead). */
function checkRange(index: Tensor, size: number, dim: number): void {
  if (!index.backend.syncReads) return;
  const data = index.dataSync();
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < -size || v >= size) {
      throw new RangeError(`index ${v} is out of bounds for dimension ${dim} with size ${size}`);
    }
  }
}

/** The result layout of pass 2 and every selected element's flat (row-major) position in the view. */
interface Selection {
  readonly shape: number[];
  /** int32 of `shape`. */
  readonly positions: Tensor;
}

/** Pass 2: where the advanced items' dims go, and the flat position of each selected element. */
function selection(view: Tensor, advanced: readonly Advanced[]): Selection {
  const strides = rowMajorStrides(view.shape);
  const broadcast = advanced.reduce<number[]>((s, a) => broadcastShapes(s, a.index.shape), []);
  const dims = advanced.map((a) => a.dim);
  const adjacent = dims.every((d, i) => i === 0 || d === dims[i - 1]! + 1);
  const rest = view.shape.map((_, d) => d).filter((d) => !dims.includes(d));
  const lead = adjacent ? rest.filter((d) => d < dims[0]!) : [];
  const trail = rest.filter((d) => !lead.includes(d));
  const shape = [...lead.map((d) => view.shape[d]!), ...broadcast, ...trail.map((d) => view.shape[d]!)];
  const rank = shape.length;
  const at = lead.length;
  // Each term is shaped with 1s except along its own result dims; broadcasting adds them up.
  const terms: Tensor[] = [];
  const placed = (t: Tensor, first: number) =>
    t.reshape([...Array(first).fill(1), ...t.shape, ...Array(rank - first - t.dim()).fill(1)]);
  for (const { dim, index } of advanced) {
    checkRange(index, view.shape[dim]!, dim);
    const size = view.shape[dim]!;
    const wrapped = index.add(index.lt(0).int().mul(size));
    terms.push(placed(wrapped.mul(strides[dim]!), at + broadcast.length - index.dim()));
  }
  const restDims = [...lead, ...trail];
  restDims.forEach((d, k) => {
    const pos = k < lead.length ? k : at + broadcast.length + (k - lead.length);
    terms.push(placed(arangeIndex(0, view.shape[d]!, view.backend).mul(strides[d]!), pos));
  });
  let positions = terms.reduce((a, b) => a.add(b));
  if (positions.shape.length !== rank || positions.shape.some((n, i) => n !== shape[i])) {
    positions = positions.expand(shape).contiguous();
  }
  return { shape, positions };
}

/** `x.index(...items)`: PyTorch's `x[items]`. Basic items give a view; advanced ones a copy. */
export function index(x: Tensor, items: readonly IndexItem[]): Tensor {
  const { view, advanced } = basic(x, items);
  if (!advanced.length) {
    if (view !== x) return view;
    // Only whole-dim slices and ellipses: a view of all of x, named as PyTorch names it.
    const sliced = x.dim() > 0 && items.some((i) => typeof i === 'string' && i !== '...');
    return sliced ? slice(x, 0, 0, x.shape[0]!, 1) : alias(x);
  }
  const { shape, positions } = noGrad(() => tidy(() => selection(view, advanced)));
  const flat = positions.reshape([-1]);
  const out = alloc(shape, view.dtype, view.backend);
  view.backend.indexSelect(view.storage, flat.storage, out.storage, 1, view.numel(), 1);
  return recordOp(
    out,
    'IndexBackward0',
    [view],
    (g) => {
      const gx = alloc(view.shape, g.dtype, g.backend);
      g.backend.indexAdd(gx.storage, flat.storage, g.contiguous().storage, 1, view.numel(), 1);
      return [gx];
    },
    [flat],
  );
}

/**
 * `x.indexPut_(items, value, { accumulate })`: PyTorch's `x[items] = value` (`+=` with
 * `accumulate`, duplicates adding up). `value` broadcasts to the indexed shape and is cast
 * to x's dtype. Basic items write through the view; advanced ones scatter.
 */
export function indexPut_<T extends Tensor>(
  x: T,
  items: readonly IndexItem[],
  value: TensorOrScalar,
  accumulate = false,
): T {
  return putAt(x, items, value, accumulate, 'IndexPutBackward0');
}

/** `indexPut_` whose advanced form records `name` (indexFill_, indexCopy_, indexAdd_ are PyTorch nodes of their own). */
export function putAt<T extends Tensor>(
  x: T,
  items: readonly IndexItem[],
  value: TensorOrScalar,
  accumulate: boolean,
  name: string,
): T {
  const { view, advanced } = basic(x, items);
  if (!advanced.length) {
    if (accumulate) view.add_(value);
    else if (typeof value === 'number') view.fill_(value);
    else view.copy_(value);
    return x;
  }
  const { shape, positions } = noGrad(() => tidy(() => selection(view, advanced)));
  const flat = positions.reshape([-1]);
  inplace.apply(view, 'index_put_', (cur) => put(cur, flat, shape, value, accumulate, name), value);
  return x;
}

/** Out of place: a copy of `cur` with `value` (broadcast to `shape`) written (or added) at `flat`. */
function put(
  cur: Tensor,
  flat: Tensor,
  shape: readonly number[],
  value: TensorOrScalar,
  accumulate: boolean,
  name: string,
): Tensor {
  const v =
    value instanceof Tensor ? value : fromHost([value], [], { dtype: cur.dtype, backend: cur.backend });
  if (!broadcastsTo(v.shape, shape)) {
    throw new ShapeError(
      `shape mismatch: value tensor of shape ${shapeStr(v.shape)} cannot be broadcast to indexing result of shape ${shapeStr(shape)}`,
    );
  }
  const src = noGrad(() => {
    const cast = v.dtype === cur.dtype ? v : toDType(v, cur.dtype);
    const fitted =
      cast.dim() > shape.length ? cast.reshape(cast.shape.slice(cast.dim() - shape.length)) : cast;
    return fitted.expand(shape).contiguous();
  });
  const out = alloc(cur.shape, cur.dtype, cur.backend);
  const b = cur.backend;
  b.copy(cur._strided(), out.storage);
  if (accumulate) b.indexAdd(out.storage, flat.storage, src.storage, 1, cur.numel(), 1);
  else b.scatter(out.storage, flat.storage, src.storage, 1, cur.numel(), 1);
  const inputs = value instanceof Tensor ? [cur, value] : [cur];
  return recordOp(
    out,
    name,
    inputs,
    (g, needs) => {
      let gSelf: Tensor | null = null;
      if (needs[0]) {
        gSelf = g.clone();
        if (!accumulate) {
          const zeros = alloc([flat.numel()], g.dtype, g.backend);
          g.backend.scatter(gSelf.storage, flat.storage, zeros.storage, 1, cur.numel(), 1);
        }
      }
      let gValue: Tensor | null = null;
      if (needs[1] && value instanceof Tensor) {
        const picked = alloc(shape, g.dtype, g.backend);
        g.backend.indexSelect(g.contiguous().storage, flat.storage, picked.storage, 1, cur.numel(), 1);
        gValue = sumToShape(picked, value.shape);
      }
      return [gSelf, gValue];
    },
    [flat],
  );
}

/** True when `from` broadcasts to `to` (extra leading dims of `from` must be 1, as PyTorch's setitem allows). */
function broadcastsTo(from: readonly number[], to: readonly number[]): boolean {
  const extra = Math.max(0, from.length - to.length);
  if (from.slice(0, extra).some((n) => n !== 1)) return false;
  const rest = from.slice(extra);
  const lead = to.length - rest.length;
  return rest.every((n, i) => n === 1 || n === to[lead + i]);
}
