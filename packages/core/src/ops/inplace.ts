/**
 * In-place ops (`add_`, `fill_`, `copy_`, ...). They compute out of place and then write
 * the result into the tensor's storage: no backend kernel ever has to support an output
 * aliasing an input (WebGPU forbids binding one buffer for reading and writing at once).
 */
import { needsGrad, recordOp } from '../autograd/graph.js';
import { isGradEnabled, noGrad, tidy } from '../engine.js';
import { AutogradError, DTypeError, ShapeError, shapeStr } from '../errors.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toBackend, toDType } from './convert.js';
import { contiguousStrides, sameShape, sumToShape } from './util.js';

function checkLeaf(t: Tensor): void {
  if (isGradEnabled() && t.isLeaf && t.requiresGrad) {
    throw new AutogradError('a leaf Variable that requires grad is being used in an in-place operation.');
  }
}

const categoryRank = { bool: 0, int32: 1, float32: 2, float64: 2 } as const;

/** Writes `result` into `t` (same shape; cast down within a category), then adopts its graph node. */
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
  const src = result.dtype === t.dtype ? result : toDType(result, t.dtype);
  t.backend.copy(
    { storage: src.storage, shape: t.shape, strides: contiguousStrides(t.shape), offset: 0 },
    t.storage,
  );
  t._bumpVersion();
  if (src.gradFn) t._setGradFn(src.gradFn);
  if (src !== result) src.dispose();
  result.dispose();
  return t;
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
  t.backend.fill(t.storage, value);
  t._bumpVersion();
  if (t.requiresGrad && isGradEnabled()) recordOp(t, name, [t], (g) => [g.mul(0)]);
  return t;
}

/** `copy_(src)`: src broadcast to this shape, cast to this dtype, moved from its backend. */
export function copyFrom<T extends Tensor>(t: T, src: Tensor): T {
  checkLeaf(t);
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
