import type {
  Backend,
  BinaryOp,
  Conv2dGeometry,
  DType,
  FusedProgram,
  FusedTensorArgs,
  MatmulOptions,
  Pool2dGeometry,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
  View,
} from '@stepwise/core';
import { OutOfMemoryError } from '@stepwise/core';
import { EMPTY, newArray } from './arrays.js';
import { binaryKernel, binaryRun, isArithmetic, normaliseBool, scalarF32 } from './kernels/binary.js';
import { conv2dBackwardInputKernel, conv2dBackwardWeightKernel, conv2dKernel } from './kernels/conv2d.js';
import { copyKernel, copyToViewKernel } from './kernels/copy.js';
import { FusedCache } from './kernels/fused.js';
import {
  gatherKernel,
  indexAddKernel,
  indexSelectKernel,
  scatterAddKernel,
  scatterKernel,
} from './kernels/indexing.js';
import { matmulKernel } from './kernels/matmul.js';
import { maxPool2dBackwardKernel, maxPool2dKernel } from './kernels/maxPool2d.js';
import { reduceKernel } from './kernels/reduce.js';
import { reluF32, unaryKernel } from './kernels/unary.js';
import { whereKernel } from './kernels/where.js';
import {
  conv2dBackwardInputWinograd,
  conv2dBackwardWeightWinograd,
  conv2dWinograd,
  winogradFits,
} from './kernels/winograd.js';
import { CpuStorage, dataOf } from './storage.js';

/** The most elements one cpu-js storage holds (core's bound too; see `alloc`). */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * The pool of freed arrays (see `free`): at most this many bytes in all, and no array
 * larger than POOL_MAX_ARRAY bytes (those go back to the engine at once).
 */
const POOL_MAX_BYTES = 64 * 1024 * 1024;
const POOL_MAX_ARRAY = 16 * 1024 * 1024;

/**
 * The cpu-js backend: PyTorch's CPU device played by plain TypeScript loops over typed
 * arrays. Synchronous: every kernel has finished when it returns.
 */
export class CpuJsBackend implements Backend {
  readonly name: string = 'cpu-js';
  readonly dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
  readonly syncReads = true;

  private bytes = 0;
  /**
   * Freed arrays by dtype and length, handed out again by `alloc` (zero-filled) and `empty`
   * (as they are): a training loop frees and allocates the same sizes every step, and a
   * new typed array costs a zeroed allocation plus garbage-collector work per step.
   */
  private readonly pool: Record<DType, Map<number, TypedArray[]>> = {
    float32: new Map(),
    float64: new Map(),
    int32: new Map(),
    bool: new Map(),
  };
  private pooledBytes = 0;
  private fusedCache = new FusedCache();
  /** Holds the scalar of `binaryScalar` so it goes through the same strided runs as `binary`. */
  private readonly scalarCell = new Float64Array(1);

  // ---- storage ----

  /**
   * cpu-js's limits, checked here for every storage (core checks creation functions and
   * loads before they get here, naming the shape; an op's result arrives only as a size):
   * at most `MAX_ELEMENTS` = 2^31 - 1 elements, core's own bound (int32 indices and counts
   * must reach every element: `torch.ones([2 ** 31 + 2], { dtype: 'bool' }).sum()` gave
   * -2147483646 here), which also keeps every dtype under the engine's typed-array length
   * limit (2^32 elements in V8); and whatever memory the engine grants, whose refusal
   * (a `RangeError`, "Array buffer allocation failed") becomes core's `OutOfMemoryError`
   * naming the dtype, elements and bytes, as every backend throws. No `maxTensorBytes`:
   * cpu-js has no byte limit of its own below those.
   */
  alloc(dtype: DType, size: number): Storage {
    const reused = this.fromPool(dtype, size);
    if (reused !== undefined) {
      reused.fill(0);
      return this.track(dtype, size, reused);
    }
    return this.track(dtype, size, this.newData(dtype, size));
  }

  /** `alloc` without the zero fill: a pooled array keeps a freed storage's values (Backend.empty). */
  empty(dtype: DType, size: number): Storage {
    const reused = this.fromPool(dtype, size);
    return this.track(dtype, size, reused ?? this.newData(dtype, size));
  }

  private fromPool(dtype: DType, size: number): TypedArray | undefined {
    const list = this.pool[dtype]?.get(size);
    if (list === undefined || list.length === 0) return undefined;
    const data = list.pop()!;
    this.pooledBytes -= data.byteLength;
    return data;
  }

  private track(dtype: DType, size: number, data: TypedArray): Storage {
    this.bytes += data.byteLength;
    return new CpuStorage(dtype, size, data);
  }

  private newData(dtype: DType, size: number): TypedArray {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`cpu-js: cannot allocate ${String(size)} elements of ${dtype}`);
    }
    const bytes = size * (dtype === 'float64' ? 8 : dtype === 'bool' ? 1 : 4);
    const tensor = `a ${dtype} tensor of ${size} elements (${bytes} bytes)`;
    if (size > MAX_ELEMENTS) {
      throw new OutOfMemoryError(
        `cpu-js: cannot allocate ${tensor}: a tensor holds at most ${MAX_ELEMENTS} (2^31 - 1) elements, so that int32 indices reach every one; disposing other tensors will not help: split it into smaller tensors`,
      );
    }
    try {
      return newArray(dtype, size);
    } catch (e) {
      this.emptyPool();
      throw new OutOfMemoryError(
        `cpu-js: out of memory allocating ${tensor}: the JavaScript engine refused (${(e as Error).message}); ${this.bytes} bytes are in use by cpu-js tensors; dispose unused tensors (t.dispose(), torch.tidy)`,
        { cause: e },
      );
    }
  }

  /**
   * Releases a storage; its array goes to the pool (for the next storage of its dtype and
   * length) while the pool holds less than POOL_MAX_BYTES, else back to the engine.
   */
  free(s: Storage): void {
    const st = s as CpuStorage;
    if (st.freed) return;
    st.freed = true;
    const data = st.data;
    this.bytes -= data.byteLength;
    st.data = EMPTY[st.dtype];
    const n = data.byteLength;
    if (n === 0 || n > POOL_MAX_ARRAY || this.pooledBytes + n > POOL_MAX_BYTES) return;
    const byLength = this.pool[st.dtype];
    const list = byLength.get(data.length);
    if (list === undefined) byLength.set(data.length, [data]);
    else list.push(data);
    this.pooledBytes += n;
  }

  /** Gives every pooled array back to the engine. */
  private emptyPool(): void {
    for (const m of Object.values(this.pool)) m.clear();
    this.pooledBytes = 0;
  }

  write(s: Storage, data: TypedArray): void {
    const dst = dataOf(s);
    if (data.length !== dst.length) {
      throw new RangeError(`cpu-js: write of ${data.length} elements into a storage of ${dst.length}`);
    }
    if (s.dtype === 'bool') normaliseInto(dst, data);
    else dst.set(data);
  }

  read(s: Storage): Promise<TypedArray> {
    return Promise.resolve(dataOf(s).slice());
  }

  readSync(s: Storage): TypedArray {
    return dataOf(s).slice();
  }

  memoryBytes(): number {
    return this.bytes;
  }

  // ---- data movement ----

  fill(s: Storage, value: number): void {
    dataOf(s).fill(s.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value);
  }

  cast(src: Storage, out: Storage): void {
    const S = dataOf(src);
    const O = dataOf(out);
    // TypedArray.set converts as the target type does: float64 → float32 rounds to
    // nearest, int/bool → float is exact. Bool needs x != 0 (NaN counts as true), and
    // float → int32 truncates toward zero with NaN and out-of-range values becoming
    // INT32_MIN, as PyTorch's cast does on x86 (JS would wrap them modulo 2^32).
    if (out.dtype === 'bool') normaliseInto(O, S);
    else if (out.dtype === 'int32' && (src.dtype === 'float32' || src.dtype === 'float64')) {
      for (let i = 0; i < S.length; i++) {
        const v = S[i];
        O[i] = v > -2147483649 && v < 2147483648 ? v : -2147483648;
      }
    } else O.set(S);
  }

  copy(src: View, out: Storage): void {
    copyKernel(dataOf(src.storage), src.shape, src.strides, src.offset, dataOf(out));
  }

  copyToView(src: Storage, dst: View): void {
    copyToViewKernel(dataOf(src), dataOf(dst.storage), dst.shape, dst.strides, dst.offset);
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, out: Storage): void {
    const X = dataOf(x);
    const O = dataOf(out);
    if (op === 'relu' && X instanceof Float32Array && O instanceof Float32Array) {
      reluF32(X, O, x.size);
      return;
    }
    unaryKernel(op, X, O, x.size, x.dtype === 'int32');
  }

  binary(op: BinaryOp, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    const O = dataOf(out);
    binaryKernel(
      op,
      dataOf(a.storage),
      a.shape,
      a.strides,
      a.offset,
      dataOf(b.storage),
      b.shape,
      b.strides,
      b.offset,
      O,
      outShape,
      out.dtype === 'int32' && (op === 'mul' || op === 'pow'),
    );
    if (out.dtype === 'bool' && isArithmetic(op)) normaliseBool(O, out.size);
  }

  binaryScalar(op: BinaryOp, a: Storage, s: number, out: Storage, scalarFirst: boolean): void {
    const A = dataOf(a);
    const O = dataOf(out);
    if (
      A instanceof Float32Array &&
      (O instanceof Float32Array || O instanceof Uint8Array) &&
      scalarF32(op, A, s, O, a.size, scalarFirst)
    )
      return;
    const cell = this.scalarCell;
    cell[0] = s;
    const int32Arith = out.dtype === 'int32' && (op === 'mul' || op === 'pow');
    if (scalarFirst) binaryRun(op, cell, 0, 0, A, 0, 1, O, 0, a.size, int32Arith);
    else binaryRun(op, A, 0, 1, cell, 0, 0, O, 0, a.size, int32Arith);
    if (out.dtype === 'bool' && isArithmetic(op)) normaliseBool(O, out.size);
  }

  where(cond: View, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    whereKernel(
      dataOf(cond.storage),
      cond.strides,
      cond.offset,
      dataOf(a.storage),
      a.strides,
      a.offset,
      dataOf(b.storage),
      b.strides,
      b.offset,
      dataOf(out),
      outShape,
    );
  }

  // ---- reductions ----

  /** Reduces `x`, viewed as `[outer, len, inner]`, over its middle dimension into `out` (`[outer, inner]`). */
  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, out: Storage): void {
    reduceKernel(op, dataOf(x), outer, len, inner, dataOf(out), x.dtype === 'float64');
  }

  // ---- linear algebra ----

  matmul(
    a: Storage,
    b: Storage,
    out: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: MatmulOptions,
  ): void {
    matmulKernel(
      dataOf(a),
      dataOf(b),
      dataOf(out),
      dims.batch,
      dims.m,
      dims.k,
      dims.n,
      opts.transA,
      opts.transB,
      opts.aBatchStride,
      opts.bBatchStride,
      opts.bias ? dataOf(opts.bias) : null,
      opts.relu === true,
      opts.reluBackwardOf ? dataOf(opts.reluBackwardOf) : null,
      opts.rowSumsOfA ? dataOf(opts.rowSumsOfA) : null,
    );
  }

  // ---- indexing ----

  indexSelect(x: Storage, index: Storage, out: Storage, outer: number, len: number, inner: number): void {
    indexSelectKernel(dataOf(x), dataOf(index), dataOf(out), outer, len, inner);
  }

  indexAdd(out: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void {
    indexAddKernel(dataOf(out), dataOf(index), dataOf(src), outer, len, inner);
    if (out.dtype === 'bool') normaliseBool(dataOf(out), out.size);
  }

  gather(x: Storage, index: Storage, out: Storage, outer: number, lenX: number, inner: number): void {
    gatherKernel(dataOf(x), dataOf(index), dataOf(out), outer, lenX, inner);
  }

  scatterAdd(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    scatterAddKernel(dataOf(out), dataOf(index), dataOf(src), outer, lenOut, inner);
    if (out.dtype === 'bool') normaliseBool(dataOf(out), out.size);
  }

  scatter(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    scatterKernel(dataOf(out), dataOf(index), dataOf(src), outer, lenOut, inner);
  }

  // ---- convolution and pooling ----

  // float32 5×5 convolutions take Winograd's algorithm (kernels/winograd.ts: about a third
  // of the operations), unless an input is not finite.
  conv2d(x: Storage, w: Storage, out: Storage, g: Conv2dGeometry): void {
    const [X, W, O] = [dataOf(x), dataOf(w), dataOf(out)];
    if (winogradFits(g, X, W, O) && conv2dWinograd(X, W, O, g)) return;
    conv2dKernel(X, W, O, g);
  }

  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void {
    const [GO, W, GX] = [dataOf(gradOut), dataOf(w), dataOf(gradX)];
    if (winogradFits(g, GO, W, GX) && conv2dBackwardInputWinograd(GO, W, GX, g)) return;
    conv2dBackwardInputKernel(GO, W, GX, g);
  }

  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void {
    const [GO, X, GW] = [dataOf(gradOut), dataOf(x), dataOf(gradW)];
    if (winogradFits(g, GO, X, GW) && conv2dBackwardWeightWinograd(GO, X, GW, g)) return;
    conv2dBackwardWeightKernel(GO, X, GW, g);
  }

  maxPool2d(x: Storage, out: Storage, argmax: Storage, g: Pool2dGeometry): void {
    maxPool2dKernel(dataOf(x), dataOf(out), dataOf(argmax), g);
  }

  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void {
    maxPool2dBackwardKernel(dataOf(gradOut), dataOf(argmax), dataOf(gradX), g);
  }

  // ---- fused ----

  fused(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
    if (tensors.length === 0) return;
    const first = tensors[0].buffers[0];
    if (first === undefined) return;
    const float32 = first.dtype === 'float32';
    const run = this.fusedCache.get(program, float32);
    for (let t = 0; t < tensors.length; t++) {
      const args = tensors[t];
      const bufs = args.buffers;
      // Tensors of one call share a dtype in practice; a mixed call still runs correctly.
      if ((bufs[0].dtype === 'float32') !== float32)
        this.fusedCache.get(program, !float32)(bufs, args.scalars);
      else run(bufs, args.scalars);
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Drops the compiled-program cache and the pool of freed arrays; storages stay valid. */
  destroy(): void {
    this.fusedCache = new FusedCache();
    this.emptyPool();
  }
}

/** Writes `src` into the bool array `dst` as x != 0 (NaN is true, as in PyTorch). */
function normaliseInto(dst: TypedArray, src: TypedArray): void {
  for (let i = 0; i < src.length; i++) dst[i] = src[i] !== 0 ? 1 : 0;
}
