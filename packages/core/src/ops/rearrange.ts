/**
 * Shape ops that copy (as in PyTorch): `flip`, `roll`, `repeat`, `tile`; and `unflatten`,
 * a view. flip and roll gather along each dim they move (`indexSelect` with positions built
 * on the host, one kernel per dim); repeat is one strided copy of an expanded view.
 */
import { recordOp } from '../autograd/graph.js';
import { noGrad } from '../engine.js';
import { ShapeError, shapeStr } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { fromHost } from './creation.js';
import { flatArgs, reshape } from './shape.js';
import { alloc, normDim, numelOf } from './util.js';

/** Sizes as separate numbers or one array: `f(2, 3)`, `f([2, 3])`. */
export type SizesArg = readonly (number | readonly number[])[];

function checkInts(op: string, what: string, list: readonly number[]): void {
  for (const v of list) {
    if (!Number.isInteger(v)) throw new TypeError(`${op}(): ${what} must be integers, got ${shapeStr(list)}`);
  }
}

/**
 * `x` with positions `map(j)` taken along each listed dim (no autograd): one
 * `indexSelect` per dim, each reading the previous result.
 */
function remap(x: Tensor, dims: readonly number[], map: (d: number, j: number) => number): Tensor {
  return noGrad(() => {
    let cur = x;
    for (const d of dims) {
      const n = cur.shape[d]!;
      const pos = new Int32Array(n);
      for (let j = 0; j < n; j++) pos[j] = map(d, j);
      const index = fromHost(pos, [n], { dtype: 'int32', backend: x.backend });
      const outer = numelOf(cur.shape.slice(0, d));
      const inner = numelOf(cur.shape.slice(d + 1));
      const out = alloc(cur.shape, x.dtype, x.backend);
      if (out.numel() > 0) x.backend.indexSelect(cur.storage, index.storage, out.storage, outer, n, inner);
      index.dispose();
      if (cur !== x) cur.dispose();
      cur = out;
    }
    return cur === x ? x.clone() : cur;
  });
}

function dimList(op: string, t: Tensor, dims: readonly number[]): number[] {
  checkInts(op, 'dims', dims);
  const nd = dims.map((d) => normDim(d, t.dim()));
  if (new Set(nd).size !== nd.length)
    throw new ShapeError(`${op}(): dim ${shapeStr(dims)} appears multiple times in the list of dims`);
  return t.dim() === 0 ? [] : nd;
}

/** `torch.flip(t, dims)`: the order of elements reversed along each of `dims` (a copy). */
export function flip(t: Tensor, ...dims: SizesArg): Tensor {
  const nd = dimList('flip', t, flatArgs(dims));
  const out = remap(t, nd, (d, j) => t.shape[d]! - 1 - j);
  return recordOp(out, 'FlipBackward0', [t], (g) => [flip(g, nd)]);
}

/**
 * `torch.roll(t, shifts, dims?)`: elements shifted along each dim, wrapping around; without
 * `dims` the tensor is rolled as if flattened.
 */
export function roll(
  t: Tensor,
  shifts: number | readonly number[],
  dims?: number | readonly number[] | null,
): Tensor {
  const s = typeof shifts === 'number' ? [shifts] : [...shifts];
  checkInts('roll', 'shifts', s);
  if (dims === undefined || dims === null || (Array.isArray(dims) && dims.length === 0)) {
    if (s.length !== 1)
      throw new ShapeError(`roll(): shifts ${shapeStr(s)} must have one entry when no dims are given`);
    const n = t.numel();
    const out = noGrad(() => {
      const flat = t.reshape([n]);
      const rolled = remap(flat, [0], (_, j) => (((j - s[0]!) % n) + n) % n);
      return rolled.reshape(t.shape);
    });
    return recordOp(out, 'RollBackward0', [t], (g) => [roll(g, -s[0]!)]);
  }
  const dl = typeof dims === 'number' ? [dims] : [...dims];
  if (dl.length !== s.length) {
    throw new ShapeError(`roll(): shifts and dimensions must align. shifts: ${s.length}, dims: ${dl.length}`);
  }
  const nd = dimList('roll', t, dl);
  const shiftOf = new Map(nd.map((d, i) => [d, s[i]!]));
  const out = remap(t, nd, (d, j) => {
    const n = t.shape[d]!;
    return (((j - shiftOf.get(d)!) % n) + n) % n;
  });
  return recordOp(out, 'RollBackward0', [t], (g) => [
    roll(
      g,
      s.map((v) => -v),
      nd,
    ),
  ]);
}

/**
 * `t.repeat(*sizes)`: the tensor tiled `sizes[i]` times along each dim (a copy); `sizes` may
 * have more entries than `t` has dims (new leading dims).
 */
export function repeat(t: Tensor, ...sizes: SizesArg): Tensor {
  const reps = flatArgs(sizes);
  checkInts('repeat', 'sizes', reps);
  if (reps.length < t.dim()) {
    throw new ShapeError(
      `Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor (repeat ${shapeStr(reps)}, tensor ${shapeStr(t.shape)})`,
    );
  }
  if (reps.some((r) => r < 0))
    throw new ShapeError(`repeat(): sizes must be non-negative, got ${shapeStr(reps)}`);
  const lead = reps.length - t.dim();
  const base = [...Array<number>(lead).fill(1), ...t.shape];
  const outShape = base.map((s, i) => s * reps[i]!);
  // [r0, s0, r1, s1, ...]: stride 0 on the repeat dims, the input's strides on the others.
  const v = t._strided();
  const strides = [...Array<number>(lead).fill(0), ...v.strides];
  const interleaved = base.flatMap((s, i) => [reps[i]!, s]);
  const interStrides = strides.flatMap((st) => [0, st]);
  const out = alloc(outShape, t.dtype, t.backend);
  if (out.numel() > 0) {
    t.backend.copy(
      { storage: v.storage, shape: interleaved, strides: interStrides, offset: v.offset },
      out.storage,
    );
  }
  return recordOp(out, 'RepeatBackward0', [t], (g) => {
    const repDims = base.map((_, i) => 2 * i);
    return [g.reshape(interleaved).sum(repDims).reshape(t.shape)];
  });
}

/** `torch.tile(t, dims)`: `repeat` with `dims` padded with leading 1s to `t`'s rank. */
export function tile(t: Tensor, ...sizes: SizesArg): Tensor {
  const reps = flatArgs(sizes);
  const padded = [...Array<number>(Math.max(0, t.dim() - reps.length)).fill(1), ...reps];
  return repeat(t, padded);
}

/** `t.unflatten(dim, sizes)`: dim `dim` split into `sizes` (one may be -1); a view. */
export function unflatten(t: Tensor, dim: number, sizes: readonly number[]): Tensor {
  const d = normDim(dim, t.dim());
  const list = [...sizes];
  checkInts('unflatten', 'sizes', list);
  if (list.length === 0) throw new ShapeError('unflatten: sizes must be non-empty');
  const size = t.shape[d]!;
  const free = list.indexOf(-1);
  if (list.some((v, i) => v < -1 || (v === -1 && i !== free))) {
    throw new ShapeError(`unflatten: sizes ${shapeStr(list)} must be non-negative, with at most one -1`);
  }
  const known = list.reduce((a, v) => (v === -1 ? a : a * v), 1);
  if (free >= 0) {
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(
        `unflatten: Provided sizes ${shapeStr(list)} don't multiply up to the size of dim ${dim} (${size}) in the input tensor`,
      );
    }
    list[free] = size / known;
  } else if (known !== size) {
    throw new ShapeError(
      `unflatten: Provided sizes ${shapeStr(list)} don't multiply up to the size of dim ${dim} (${size}) in the input tensor`,
    );
  }
  return reshape(t, [...t.shape.slice(0, d), ...list, ...t.shape.slice(d + 1)], 'view');
}
