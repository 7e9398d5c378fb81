/** dtype conversion and moving tensors between backends (`t.to(...)`). */
import { recordOp } from '../autograd/graph.js';
import type { Backend } from '../backend.js';
import { type DType, isFloat } from '../dtype.js';
import { BackendError } from '../errors.js';
import { resolveBackend } from '../registry.js';
import type { Tensor } from '../tensor.js';
import { alloc, allocOut } from './util.js';

/** `t.to(dtype)`: a converted copy (the tensor itself when the dtype already matches). */
export function toDType(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = allocOut(t.shape, dtype, t.backend);
  t.backend.cast(t.storage, out.storage);
  if (!isFloat(dtype)) return out;
  const from = t.dtype;
  return recordOp(out, 'ToCopyBackward0', [t], (g) => [toDType(g, from)]);
}

/**
 * `t.to(backend)`: a copy on another backend. Needs a synchronous read of the source
 * (cpu-js, wasm-simd); from webgpu use `await t.toAsync(backend)`.
 */
export function toBackend(t: Tensor, target: string | Backend): Tensor {
  const b = resolveBackend(target);
  if (b === t.backend) return t;
  if (!t.backend.syncReads || !t.backend.readSync) {
    throw new BackendError(
      `cannot move a tensor off the '${t.backend.name}' backend synchronously; use \`await t.toAsync('${b.name}')\``,
    );
  }
  return upload(t, b, t.backend.readSync(t.storage));
}

/** `t.to(backend)` for every backend, webgpu included. */
export async function toBackendAsync(t: Tensor, target: string | Backend): Promise<Tensor> {
  const b = resolveBackend(target);
  if (b === t.backend) return t;
  return upload(t, b, await t.backend.read(t.storage));
}

function upload(t: Tensor, b: Backend, data: Parameters<Backend['write']>[1]): Tensor {
  const out = alloc(t.shape, t.dtype, b);
  b.write(out.storage, data);
  const from = t.backend;
  return recordOp(out, 'ToCopyBackward0', [t], (g) => [toBackend(g, from)]);
}
