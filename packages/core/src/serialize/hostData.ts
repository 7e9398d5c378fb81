/**
 * Tensor bytes of other frameworks' files (PyTorch's .pt, safetensors) as the host arrays
 * stepwise's tensors are made from, and the shared steps of turning checked descriptions
 * into tensors. Only what converts exactly: float32/float64/int32/bool as they are, the
 * narrower integers widened to int32, int64 narrowed to int32 when every value fits
 * (stepwise's integer dtype, as PyTorch's int64 for indices and labels). float16, bfloat16
 * and the rest have no stepwise dtype and are refused by the formats' loaders.
 */
import type { Backend } from '../backend.js';
import type { DType, TypedArray } from '../dtype.js';
import { fromHost } from '../ops/creation.js';
import { checkDTypeSupported } from '../ops/util.js';
import type { Tensor } from '../tensor.js';
import { checkTensorSize } from '../tensorSize.js';
import { CheckpointError, hostIsLittleEndian, swapBytes } from './checkpointFormat.js';

/** The element types read from files (the stepwise dtype each becomes: `TARGET`). */
export type SourceDType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const SOURCE_BYTES: Record<SourceDType, number> = {
  float32: 4,
  float64: 8,
  int64: 8,
  int32: 4,
  int16: 2,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export const TARGET: Record<SourceDType, DType> = {
  float32: 'float32',
  float64: 'float64',
  int64: 'int32',
  int32: 'int32',
  int16: 'int32',
  int8: 'int32',
  uint8: 'int32',
  bool: 'bool',
};

/** Where an int64 value does not fit int32: its index and value. */
export interface Overflow {
  index: number;
  value: bigint;
}

/**
 * The host array of `bytes` (little-endian elements of `source`) in the stepwise dtype
 * `TARGET[source]`, or the first int64 value outside int32. On little-endian hosts an
 * aligned float32/float64/int32 range is viewed in place (no copy: the backend's `write`
 * makes the one copy); otherwise it is copied once.
 */
export function hostArray(bytes: Uint8Array, source: SourceDType): TypedArray | Overflow {
  const width = SOURCE_BYTES[source];
  const n = bytes.length / width;
  const Ctor =
    source === 'float32'
      ? Float32Array
      : source === 'float64'
        ? Float64Array
        : source === 'int32'
          ? Int32Array
          : undefined;
  if (Ctor) {
    if (hostIsLittleEndian && bytes.byteOffset % width === 0 && bytes.buffer instanceof ArrayBuffer)
      return new Ctor(bytes.buffer, bytes.byteOffset, n);
    const out = new Ctor(n);
    const raw = new Uint8Array(out.buffer);
    raw.set(bytes);
    if (!hostIsLittleEndian) swapBytes(raw, width);
    return out;
  }
  if (source === 'bool') return bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Int32Array(n);
  switch (source) {
    case 'uint8':
      out.set(bytes);
      break;
    case 'int8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'int16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(2 * i, true);
      break;
    case 'int64':
      for (let i = 0; i < n; i++) {
        const lo = view.getUint32(8 * i, true);
        const hi = view.getInt32(8 * i + 4, true);
        if (hi === 0 ? lo >= 2 ** 31 : hi !== -1 || lo < 2 ** 31)
          return { index: i, value: view.getBigInt64(8 * i, true) };
        out[i] = lo | 0;
      }
      break;
  }
  return out;
}

/** The words of an int64 overflow error: `the int64 tensor at <where> holds ...`. */
export function overflowMessage(where: string, o: Overflow): string {
  return `the int64 tensor ${where} holds ${o.value} (element ${o.index}), outside int32, stepwise's integer dtype (-2147483648 to 2147483647)`;
}

/**
 * Checks, before anything is allocated, that `backend` takes a tensor of `dtype` and
 * `shape` (`what` names it in the error, e.g. `at obj.w`).
 */
export function checkLoadable(backend: Backend, dtype: DType, shape: readonly number[], what: string): void {
  try {
    checkDTypeSupported(backend, dtype);
    checkTensorSize(shape, dtype, backend, 'load');
  } catch (err) {
    throw new CheckpointError(
      `torch.load: the ${dtype} tensor ${what} [${shape.join(', ')}] cannot be loaded onto '${backend.name}': ${(err as Error).message.replace(/^load: /, '')}`,
    );
  }
}

/** Makes tensors with `make` in order, disposing those made when one fails. */
export function allocateAll<T>(items: readonly T[], make: (item: T, index: number) => Tensor): Tensor[] {
  const made: Tensor[] = [];
  try {
    for (let i = 0; i < items.length; i++) made.push(make(items[i]!, i));
  } catch (err) {
    for (const t of made) t.dispose();
    throw err;
  }
  return made;
}

/** A 1-D tensor of `host` on `backend`. */
export function tensorOf(host: TypedArray, dtype: DType, backend: Backend): Tensor {
  return fromHost(host, [host.length], { dtype, backend });
}
