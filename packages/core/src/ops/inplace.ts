/**
 * In-place ops (`add_`, `fill_`, `copy_`, ...). They compute out of place and then write
 * the result into the tensor's storage: no backend kernel ever has to support an output
 * aliasing an input (WebGPU forbids binding one buffer for reading and writing at once).
 */
import { type GradNode, needsGrad, nodeFor, recordOp } from '../autograd/graph.js';
import { isGradEnabled, noGrad, tidy } from '../engine.js';
import { AutogradError, DTypeError, ShapeError, shapeStr, ValueError } from '../errors.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toBackend, toDType } from './convert.js';
import { alloc, sameShape, sumToShape, viewOf } from './util.js';

function checkLeaf(t: Tensor): void {
  if (!isGradEnabled()) return;
  if (t.isLeaf && t.requiresGrad) {
    throw new AutogradError('a leaf Variable that requires grad is being used in an in-place operation.');
  }
  const base = t._base;
  if (base?.isLeaf && base.requiresGrad) {
    throw new AutogradError(
      'a view of a leaf Variable that requires grad is being used in an in-place operation.',
    );
  }
}

/** PyTorch refuses writes where two elements share memory (an `expand`ed view): the result would depend on the order. */
function checkNoOverlap(t: Tensor, op: string): void {
  if (t.shape.some((n, d) => n > 1 && t._strides[d] === 0)) {
    throw new ValueError(
      `unsupported operation: more than one element of the written-to tensor refers to a single memory location (shape ${shapeStr(t.shape)}, strides ${shapeStr(t._strides)}, in ${op}). Please clone() the tensor before performing the operation.`,
    );
  }
}

const categoryRank = { bool: 0, int32: 1, float32: 2, float64: 2 } as const;

/** Stores the contiguous `src` (t's shape and dtype) into t's elements: in place, or through a view into its base. */
function store(t: Tensor, src: Tensor): void {
  if (t._whole) t.backend.copy(viewOf(src), t.storage);
  else t.backend.copyToView(src.storage, t._strided());
  t._bumpVersion();
}

/** Writes `result` into `t` (same shape; cast down within a category), then adopts its history. */
function writeInto<T extends Tensor>(t: T, result: Tensor, op: string): T {
  if (!sameShape(result.shape, t.shape)) {
    throw new ShapeError(
      `output with shape ${shapeStr(t.shape)} doesn't match the broadcast shape ${shapeStr(result.shape)} (in ${op})`,
    );
  }
  if (categoryRank[result.dtype] > categoryRank[t.dtype]) {
    throw new DTypeError(
      `result type ${result.dtype} can't be cast to the desired output type ${t.dtype} (in ${op})`,
    );
  }
  checkNoOverlap(t, op);
  const src = result.dtype === t.dtype ? result : toDType(result, t.dtype);
  store(t, src);
  const base = t._base;
  if (base && isGradEnabled() && (base.requiresGrad || src.requiresGrad)) copySlices(t, base, src);
  else if (src.gradFn) t._setGradFn(src.gradFn);
  if (src !== result) src.dispose();
  // A result its own backward saved (exp, tanh, sqrt, ... save their output) stays for it.
  if (result._savedBy === 0) result.dispose();
  return t;
}

/**
 * PyTorch's `CopySlices`: after an in-place op wrote `src` into the view `v` of `base`, the
 * base's history becomes "the old base with v's region replaced by src" (gradient: the
 * incoming one with the region zeroed to the old base, the region itself to src), and v's
 * history becomes that region of the new base. Views of the base made before the write
 * keep their old history (PyTorch regenerates it; the values they read are current).
 */
function copySlices(v: Tensor, base: Tensor, src: Tensor): void {
  const { shape, _strides: strides, _offset: offset } = v;
  const region = (whole: Tensor) => whole._asStrided(shape, strides, offset);
  recordOp(base, 'CopySlices', [base, src], (g, needs) => {
    const gc = g.clone();
    const gSrc = needs[1] ? region(gc).clone() : null;
    if (needs[0]) region(gc).zero_();
    return [needs[0] ? gc : null, gSrc];
  });
  v._setGradFn(viewHistory(v, base));
  v._viewVersion = v._version;
}

/**
 * The history of view `v` as the region of `base`'s current history (PyTorch's
 * `AsStridedBackward0`): after an in-place write into the base or any of its views, a view
 * regenerates its history with this on its next use, as PyTorch does.
 */
export function viewHistory(v: Tensor, base: Tensor): GradNode {
  const { shape, _strides: strides, _offset: offset } = v;
  return nodeFor('AsStridedBackward0', [base], (g) => {
    const gb = alloc(base.shape, g.dtype, g.backend);
    g.backend.copyToView(g.contiguous().storage, gb._asStrided(shape, strides, offset)._strided());
    return [gb];
  });
}

/** Runs `compute(t)` out of place and stores the result in `t`. */
export function apply<T extends Tensor>(
  t: T,
  op: string,
  compute: (t: Tensor) => Tensor,
  other?: TensorOrScalar,
): T {
  checkLeaf(t);
  if (other instanceof Tensor && other.backend !== t.backend) {
    throw new AutogradError(
      `${op}: the other tensor is on backend '${other.backend.name}', this one on '${t.backend.name}'`,
    );
  }
  // When autograd records this op, its backward may read the old value of `t` (mul_, div_,
  // clamp_): it gets a private copy, so the write below does not invalidate what it saved.
  const tracked = needsGrad(t, ...(other instanceof Tensor ? [other] : []));
  return writeInto(t, compute(tracked ? t.clone() : t), op);
}

/** `fill_`/`zero_`: the gradient to whatever the tensor held before is zero. */
export function fill<T extends Tensor>(t: T, value: number, name: 'FillBackward0' | 'ZeroBackward0'): T {
  checkLeaf(t);
  if (!t._whole) {
    const src = alloc(t.shape, t.dtype, t.backend);
    if (value !== 0) t.backend.fill(src.storage, value);
    return writeInto(t, src, name === 'ZeroBackward0' ? 'zero_' : 'fill_');
  }
  t.backend.fill(t.storage, value);
  t._bumpVersion();
  if (t.requiresGrad && isGradEnabled()) recordOp(t, name, [t], (g) => [g.mul(0)]);
  return t;
}

/** `copy_(src)`: src broadcast to this shape, cast to this dtype, moved from its backend. */
export function copyFrom<T extends Tensor>(t: T, src: Tensor): T {
  checkLeaf(t);
  if (t._base) {
    // A view: src's history reaches the base through CopySlices (writeInto).
    return tidy(() => {
      const moved = src.backend === t.backend ? src : toBackend(src, t.backend);
      const expanded = sameShape(moved.shape, t.shape) ? moved : moved.expand(t.shape);
      return writeInto(
        t,
        expanded.dtype === t.dtype ? expanded.clone() : toDType(expanded, t.dtype),
        'copy_',
      );
    });
  }
  const value = noGrad(() =>
    tidy(() => {
      const moved = src.backend === t.backend ? src : toBackend(src, t.backend);
      const expanded = sameShape(moved.shape, t.shape) ? moved : moved.expand(t.shape);
      return expanded.dtype === t.dtype ? expanded.clone() : toDType(expanded, t.dtype);
    }),
  );
  writeInto(t, value, 'copy_');
  // PyTorch's CopyBackwards: nothing flows to the overwritten value, src gets the gradient.
  const srcBackend = src.backend;
  const srcDType = src.dtype;
  return recordOp(t, 'CopyBackwards', [t, src], (g, needs) => [
    needs[0] ? g.mul(0) : null,
    needs[1] ? sumToShape(toBackend(toDType(g, srcDType), srcBackend), src.shape) : null,
  ]) as T;
}
