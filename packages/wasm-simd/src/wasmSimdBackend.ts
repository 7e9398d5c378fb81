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
import { bytesPerElement, reluBackwardProgram, rowSumsGeometry } from '@stepwise/core';
import { WasmOutOfMemoryError } from './errors.js';
import { binary, binaryScalar } from './kernels/binary.js';
import { conv } from './kernels/conv2d.js';
import { cast, copy, copyToView, fill } from './kernels/copy.js';
import { fused } from './kernels/fused.js';
import { gather, indexAdd, indexSelect, scatter, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { maxPool2d, maxPool2dBackward } from './kernels/maxPool2d.js';
import { reduce } from './kernels/reduce.js';
import { unary } from './kernels/unary.js';
import { where } from './kernels/where.js';
import type { Kernels } from './kernelsBinary.js';
import { dtypeCode } from './opCodes.js';
import { CTL_OFFSET, Runtime } from './runtime.js';
import { WasmStorage, ws } from './storage.js';
import type { WorkerPool } from './threads/workerPool.js';

/** Elements in one tensor: the kernels take element counts as i32. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * The wasm-simd backend: storages are blocks of one WebAssembly.Memory, kernels are
 * SIMD128 AssemblyScript (assembly/*.ts) plus fused optimizer programs compiled to wasm at
 * run time. Synchronous: every kernel has finished when it returns. Storage lives here;
 * each kernel is a function of `kernels/*` given the runtime.
 */
export class WasmSimdBackend implements Backend {
  readonly name: string = 'wasm-simd';
  readonly dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
  readonly syncReads = true;
  /** Memory views, heap, argument block, scratch and pool, shared by the kernels. */
  readonly rt: Runtime;
  private liveBytes = 0;

  // No FinalizationRegistry of its own: core frees every storage exactly once, and a tensor
  // dropped without `dispose` is freed by core's finalizer. One more registration per
  // storage would cost about as much as the rest of a small op.
  constructor(
    /** The WebAssembly memory all storages live in. */
    readonly memory: WebAssembly.Memory,
    kernels: Kernels,
  ) {
    this.rt = new Runtime(memory, kernels);
  }

  /** Byte offset of the worker pool's control block (inside the kernel-argument block). */
  get ctlByte(): number {
    return this.rt.meta + CTL_OFFSET;
  }

  /** Byte offset of the kernel-argument block (the worker pool's control block lives in it). */
  get metaBase(): number {
    return this.rt.meta;
  }

  /** Threads kernels run on (1 unless created with `threads` on a platform that allows it). */
  get threads(): number {
    return this.rt.pool?.threads ?? 1;
  }

  /** @internal Hands the backend its worker pool (wasmSimd does this for `threads > 1`). */
  attachPool(pool: WorkerPool): void {
    this.rt.pool = pool;
  }

  /**
   * The most bytes one tensor can have: the 4 GiB memory less what lies below the heap. Core
   * checks it before `alloc` (and names it in its error); `alloc` checks it too.
   */
  get maxTensorBytes(): number {
    return this.rt.heap.capacity;
  }

  /** Bytes of linear memory (for tests and benchmarks: it should stay flat in a training loop). */
  wasmMemoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  // ---- storage ----

  alloc(dtype: DType, size: number): Storage {
    return this.allocate(dtype, size, true);
  }

  /** `alloc` without the zero fill: a reused block keeps what it held (Backend.empty). */
  empty(dtype: DType, size: number): Storage {
    return this.allocate(dtype, size, false);
  }

  private allocate(dtype: DType, size: number, zeroFill: boolean): Storage {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`wasm-simd: cannot allocate ${String(size)} elements of ${dtype}`);
    }
    if (dtypeCode[dtype] === undefined)
      throw new TypeError(`wasm-simd: unsupported dtype '${String(dtype)}'`);
    const bytes = size * bytesPerElement(dtype);
    const heap = this.rt.heap;
    // A tensor past these limits can never fit, however much is disposed: say so. (The
    // description is built only for an error: a string per allocation costs.)
    const tensor = () => `a ${dtype} tensor of ${size} elements (${bytes} bytes)`;
    if (bytes > heap.capacity) {
      throw new WasmOutOfMemoryError(
        `wasm-simd: cannot allocate ${tensor()}: one tensor can hold at most ${heap.capacity} ` +
          "bytes on this backend (a WebAssembly memory is at most 4 GiB, less the kernels' " +
          'own data); disposing other tensors will not help: split it into smaller tensors',
      );
    }
    if (size > MAX_ELEMENTS) {
      throw new WasmOutOfMemoryError(
        `wasm-simd: cannot allocate ${tensor()}: one tensor can hold at most ${MAX_ELEMENTS} ` +
          'elements on this backend (its kernels count elements in 32-bit signed integers); ' +
          'disposing other tensors will not help: split it into smaller tensors',
      );
    }
    const ptr = heap.alloc(bytes, tensor, zeroFill);
    this.liveBytes += bytes;
    return new WasmStorage(dtype, size, ptr, bytes);
  }

  free(s: Storage): void {
    const w = ws(s);
    if (w.freed) return;
    w.freed = true;
    this.rt.heap.free(w.ptr, w.bytes);
    this.liveBytes -= w.bytes;
  }

  // Byte offsets run up to 4 GiB: `>>>` turns them into element indices (`>>` is signed
  // and goes negative from 2 GiB on). Offsets handed to kernels need nothing: wasm reads
  // an i32 argument as the same 32 bits, unsigned in the AssemblyScript (usize).
  write(s: Storage, data: TypedArray): void {
    const w = ws(s);
    if (data.length !== w.size) {
      throw new RangeError(`wasm-simd: write of ${data.length} elements into a storage of ${w.size}`);
    }
    const rt = this.rt;
    switch (w.dtype) {
      case 'float32':
        rt.f32.set(data, w.ptr >>> 2);
        return;
      case 'float64':
        rt.f64.set(data, w.ptr >>> 3);
        return;
      case 'int32':
        rt.i32.set(data, w.ptr >>> 2);
        return;
      case 'bool': {
        const u8 = rt.u8;
        for (let i = 0, p = w.ptr; i < data.length; i++, p++) u8[p] = data[i] !== 0 ? 1 : 0;
        return;
      }
    }
  }

  readSync(s: Storage): TypedArray {
    const w = ws(s);
    const rt = this.rt;
    switch (w.dtype) {
      case 'float32':
        return rt.f32.slice(w.ptr >>> 2, (w.ptr >>> 2) + w.size);
      case 'float64':
        return rt.f64.slice(w.ptr >>> 3, (w.ptr >>> 3) + w.size);
      case 'int32':
        return rt.i32.slice(w.ptr >>> 2, (w.ptr >>> 2) + w.size);
      case 'bool':
        return rt.u8.slice(w.ptr, w.ptr + w.size);
    }
  }

  read(s: Storage): Promise<TypedArray> {
    return Promise.resolve(this.readSync(s));
  }

  memoryBytes(): number {
    return this.liveBytes;
  }

  // ---- data movement ----

  fill(s: Storage, value: number): void {
    fill(this.rt, ws(s), value);
  }

  cast(src: Storage, out: Storage): void {
    cast(this.rt, ws(src), ws(out));
  }

  copy(src: View, out: Storage): void {
    copy(this.rt, src, ws(out));
  }

  copyToView(src: Storage, dst: View): void {
    copyToView(this.rt, ws(src), dst);
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, out: Storage): void {
    unary(this.rt, op, ws(x), ws(out));
  }

  binary(op: BinaryOp, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    binary(this.rt, op, a, b, ws(out), outShape);
  }

  binaryScalar(op: BinaryOp, a: Storage, s: number, out: Storage, scalarFirst: boolean): void {
    binaryScalar(this.rt, op, ws(a), s, ws(out), scalarFirst);
  }

  where(cond: View, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    where(this.rt, cond, a, b, ws(out), outShape);
  }

  // ---- reductions ----

  /** Reduces `x`, viewed as `[outer, len, inner]`, over its middle dimension into `out` (`[outer, inner]`). */
  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, out: Storage): void {
    reduce(this.rt, op, ws(x), outer, len, inner, ws(out));
  }

  // ---- linear algebra ----

  matmul(
    a: Storage,
    b: Storage,
    out: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: MatmulOptions,
  ): void {
    matmul(this.rt, ws(a), ws(b), ws(out), dims, opts);
    // The bias goes in as a second, in-place pass of the SIMD row-broadcast add (the GEMM's
    // tiles are written in an order that leaves no single place to add it), ReLU a third.
    if (opts.bias) {
      const shape = [dims.batch * dims.m, dims.n];
      const product: View = { storage: out, shape, strides: [dims.n, 1], offset: 0 };
      const bias: View = { storage: opts.bias, shape, strides: [0, 1], offset: 0 };
      binary(this.rt, 'add', product, bias, ws(out), shape);
    }
    // ReLU in place, SIMD, over the stored values (unary's elementwise loop reads each
    // element before it writes it).
    if (opts.relu) unary(this.rt, 'relu', ws(out), ws(out));
    // ReLU's backward in place, as core's own fused program (SIMD, each vector read
    // before it is written); op(a)'s row sums by the sum reduction itself.
    if (opts.reluBackwardOf) {
      fused(this.rt, reluBackwardProgram, [{ buffers: [out, opts.reluBackwardOf, out], scalars: [] }]);
    }
    if (opts.rowSumsOfA) {
      const [outer, len, inner] = rowSumsGeometry(dims.m, dims.k, opts.transA);
      reduce(this.rt, 'sum', ws(a), outer, len, inner, ws(opts.rowSumsOfA));
    }
  }

  // ---- indexing ----

  indexSelect(x: Storage, index: Storage, out: Storage, outer: number, len: number, inner: number): void {
    indexSelect(this.rt, ws(x), ws(index), ws(out), outer, len, inner);
  }

  indexAdd(out: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void {
    indexAdd(this.rt, ws(out), ws(index), ws(src), outer, len, inner);
  }

  gather(x: Storage, index: Storage, out: Storage, outer: number, lenX: number, inner: number): void {
    gather(this.rt, ws(x), ws(index), ws(out), outer, lenX, inner);
  }

  scatterAdd(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    scatterAdd(this.rt, ws(out), ws(index), ws(src), outer, lenOut, inner);
  }

  scatter(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    scatter(this.rt, ws(out), ws(index), ws(src), outer, lenOut, inner);
  }

  // ---- convolution and pooling ----

  conv2d(x: Storage, w: Storage, out: Storage, g: Conv2dGeometry): void {
    conv(this.rt, 0, ws(x), ws(w), ws(out), g);
  }

  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void {
    conv(this.rt, 1, ws(gradOut), ws(w), ws(gradX), g);
  }

  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void {
    conv(this.rt, 2, ws(gradOut), ws(x), ws(gradW), g);
  }

  maxPool2d(x: Storage, out: Storage, argmax: Storage, g: Pool2dGeometry): void {
    maxPool2d(this.rt, ws(x), ws(out), ws(argmax), g);
  }

  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void {
    maxPool2dBackward(this.rt, ws(gradOut), ws(argmax), ws(gradX), g);
  }

  // ---- fused ----

  fused(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
    fused(this.rt, program, tensors);
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops the worker pool, drops compiled fused programs and scratch; storages stay valid. */
  destroy(): void {
    this.rt.destroy();
  }
}
