/** Shape, stride and argument helpers shared by the ops. */
import type { Backend, View } from '../backend.js';
import type { DType } from '../dtype.js';
import { BackendError, DTypeError, ShapeError, shapeStr } from '../errors.js';
import { Tensor } from '../tensor.js';

export function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export { rowMajorStrides as contiguousStrides } from '../layout.js';

/** `t` as the strided view of its storage that it is (kernels that take `View`s read it in place). */
export function viewOf(t: Tensor): View {
  return t._strided();
}

/** A view of `t` broadcast to `shape` (stride 0 on broadcast dims), read in place. */
export function broadcastView(t: Tensor, shape: readonly number[]): View {
  const v = t._strided();
  const lead = shape.length - t.shape.length;
  const strides = shape.map((d, i) => {
    const j = i - lead;
    if (j < 0) return 0;
    return t.shape[j] === 1 && d !== 1 ? 0 : v.strides[j]!;
  });
  return { storage: v.storage, shape, strides, offset: v.offset };
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  if (a === b) return true;
  const n = a.length;
  if (n !== b.length) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** PyTorch's broadcasting rule, with its error message plus both shapes. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  if (sameShape(a, b)) return [...a];
  const n = Math.max(a.length, b.length);
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const da = a[a.length - n + i] ?? 1;
    const db = b[b.length - n + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(
        `The size of tensor a (${da}) must match the size of tensor b (${db}) at non-singleton dimension ${i}: shapes ${shapeStr(a)} and ${shapeStr(b)} cannot be broadcast`,
      );
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Normalises a possibly negative dim, with PyTorch's range error. */
export function normDim(dim: number, ndim: number): number {
  const n = Math.max(ndim, 1);
  if (!Number.isInteger(dim) || dim < -n || dim >= n) {
    throw new RangeError(
      `Dimension out of range (expected to be in range of [${-n}, ${n - 1}], but got ${dim})`,
    );
  }
  return dim < 0 ? dim + n : dim;
}

/** `checkSameBackend` for the two operands of a binary op (no rest array). */
export function checkSameBackend2(op: string, a: Tensor, b: Tensor): Backend {
  const backend = a.backend;
  if (b.backend !== backend) return checkSameBackend(op, a, b);
  return backend;
}

export function checkSameBackend(op: string, ...ts: readonly Tensor[]): Backend {
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) {
      throw new BackendError(
        `Expected all tensors to be on the same backend, but found at least two: '${b.name}' and '${t.backend.name}' (in ${op}); move one with t.to('${b.name}')`,
      );
    }
  }
  return b;
}

export function checkDTypeSupported(b: Backend, dtype: DType): void {
  if (!b.dtypes.includes(dtype)) {
    throw new DTypeError(
      `the '${b.name}' backend does not support dtype ${dtype} (it supports ${b.dtypes.join(', ')})${dtype === 'float64' ? `: ${b.name} has no float64` : ''}`,
    );
  }
}

/** Allocates a result tensor, zero-filled, after checking the backend stores the dtype. */
export function alloc(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
  checkDTypeSupported(backend, dtype);
  return Tensor.empty(shape, dtype, backend);
}

/**
 * `alloc` without the zero fill (`Backend.empty`): only for a result that the kernel called
 * next writes in full, every element, whatever the values.
 */
export function allocOut(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
  checkDTypeSupported(backend, dtype);
  return Tensor.uninit(shape, dtype, backend);
}

/** Sums `g` down to `shape` (undoing broadcasting), for backward of broadcasting ops. */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.shape.length - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.shape.length; i++) {
    const j = i - lead;
    if (j < 0 || (shape[j] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  let r = dims.length ? g.sum(dims, true) : g;
  if (lead > 0 || !sameShape(r.shape, shape)) r = r.reshape(shape);
  return r;
}
