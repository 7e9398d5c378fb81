import type {
  Backend,
  BinaryOp,
  Conv2dGeometry,
  DType,
  FusedProgram,
  FusedTensorArgs,
  Pool2dGeometry,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
  View,
} from '@stepwise/core';
import { conv2dGeometryValues, pool2dGeometryValues } from '@stepwise/core';
import { binaryCode, dtypeCode, reduceCode, unaryCode } from './codes.js';
import { collapseDims } from './collapse.js';
import { compileFused, type FusedKernel, fusedModuleBytes, scalarsOffset } from './fused/compileFused.js';
import { Heap, WasmOutOfMemoryError } from './heap.js';
import type { Kernels } from './kernels.js';
import { WasmStorage } from './storage.js';
import {
  JOB_BINARY,
  JOB_COMPILE,
  JOB_CONV,
  JOB_FUSED,
  JOB_GEMM,
  JOB_UNARY,
  type WorkerPool,
} from './threads/workerPool.js';

/** Bytes reserved below the heap for kernel arguments (shapes, strides, scalars, fused args). */
const META_BYTES = 131072;
/** The worker pool's control block inside the meta block, then one fused-argument block per thread. */
export const CTL_OFFSET = 65536;
const THREAD_ARGS = CTL_OFFSET + 256;
const THREAD_ARGS_STRIDE = 1024;
/** Below these sizes a parallel kernel costs more in wake-ups than it saves. */
const PAR_GEMM_FLOPS = 4e6;
const PAR_ELEMENTS = 1 << 16;
/** Where fused-program arguments start inside the meta block. */
const FUSED_ARGS = 32768;
/** Where the scalar cell of `binaryScalar` lives inside the meta block. */
const SCALAR_CELL = 32768 - 64;
/** Scratch above this size is given back after the call instead of kept for the next one. */
const KEEP_SCRATCH = 64 * 1024 * 1024;

/** Elements in one tensor: the kernels take element counts as i32. */
const MAX_ELEMENTS = 2 ** 31 - 1;

const ESIZE: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

function bytesPerElement(d: DType): number {
  return ESIZE[d];
}

function st(s: Storage): WasmStorage {
  return s as WasmStorage;
}

function isFloatDType(d: DType): d is 'float32' | 'float64' {
  return d === 'float32' || d === 'float64';
}

/**
 * The wasm-simd backend: storages are blocks of one WebAssembly.Memory, kernels are
 * SIMD128 AssemblyScript (build/kernels.wasm) plus fused optimizer programs compiled to
 * wasm at run time. Synchronous: every kernel has finished when it returns.
 */
export class WasmSimdBackend implements Backend {
  readonly name: string = 'wasm-simd';
  readonly dtypes: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];
  readonly syncReads = true;

  private u8!: Uint8Array;
  private i32!: Int32Array;
  private f32!: Float32Array;
  private f64!: Float64Array;
  private readonly heap: Heap;
  private readonly meta: number;
  private liveBytes = 0;
  private scratchPtr = 0;
  private scratchSize = 0;
  private readonly fusedCache = new Map<string, { run: FusedKernel; id: number }>();
  /** Fused kernels by id, for share 0 of a parallel fused job. */
  private readonly fusedById = new Map<number, FusedKernel>();
  private pool: WorkerPool | undefined;
  private readonly finalizer: FinalizationRegistry<{ ptr: number; bytes: number }>;
  // Reused argument arrays for collapseDims (no allocation per call).
  private readonly cShape: number[] = [];
  private readonly cStrides: number[][] = [[], [], []];
  private readonly cStrides2: number[][] = [[], []];
  private readonly cStrides1: number[][] = [[]];

  constructor(
    readonly memory: WebAssembly.Memory,
    private readonly k: Kernels,
  ) {
    this.meta = Math.ceil(k.heapBase() / 64) * 64;
    this.heap = new Heap(memory, this.meta + META_BYTES);
    this.heap.onGrow = () => this.refreshViews();
    this.refreshViews();
    // Safety net: a storage dropped without `free` (core normally frees exactly once)
    // returns its block when collected.
    this.finalizer = new FinalizationRegistry(({ ptr, bytes }) => {
      this.heap.free(ptr, bytes);
      this.liveBytes -= bytes;
    });
  }

  /** Byte offset of the kernel-argument block (the worker pool's control block lives in it). */
  get metaBase(): number {
    return this.meta;
  }

  /** Threads kernels run on (1 unless created with `threads` on a platform that allows it). */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  /** @internal Hands the backend its worker pool (wasmSimd does this for `threads > 1`). */
  attachPool(pool: WorkerPool): void {
    this.pool = pool;
  }

  /** Runs a job on the pool; a pool that lost a worker closes, and later calls run here. */
  private runPool(pool: WorkerPool, kind: number): void {
    try {
      pool.run(kind, this.k, this.fusedById);
    } finally {
      if (pool.closed) this.pool = undefined;
    }
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /**
   * The most bytes one tensor can have: the 4 GiB memory less what lies below the heap. Core
   * checks it before `alloc` (and names it in its error); `alloc` checks it too.
   */
  get maxTensorBytes(): number {
    return this.heap.capacity;
  }

  /** Bytes of linear memory (for tests and benchmarks: it should stay flat in a training loop). */
  wasmMemoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  // ---- storage ----

  alloc(dtype: DType, size: number): Storage {
    if (!Number.isInteger(size) || size < 0) {
      throw new RangeError(`wasm-simd: cannot allocate ${String(size)} elements of ${dtype}`);
    }
    if (dtypeCode[dtype] === undefined)
      throw new TypeError(`wasm-simd: unsupported dtype '${String(dtype)}'`);
    const bytes = size * bytesPerElement(dtype);
    // A tensor past these limits can never fit, however much is disposed: say so.
    const tensor = `a ${dtype} tensor of ${size} elements (${bytes} bytes)`;
    if (bytes > this.heap.capacity) {
      throw new WasmOutOfMemoryError(
        `wasm-simd: cannot allocate ${tensor}: one tensor can hold at most ${this.heap.capacity} ` +
          "bytes on this backend (a WebAssembly memory is at most 4 GiB, less the kernels' " +
          'own data); disposing other tensors will not help: split it into smaller tensors',
      );
    }
    if (size > MAX_ELEMENTS) {
      throw new WasmOutOfMemoryError(
        `wasm-simd: cannot allocate ${tensor}: one tensor can hold at most ${MAX_ELEMENTS} ` +
          'elements on this backend (its kernels count elements in 32-bit signed integers); ' +
          'disposing other tensors will not help: split it into smaller tensors',
      );
    }
    const ptr = this.heap.alloc(bytes);
    const s = new WasmStorage(dtype, size, ptr, bytes);
    this.liveBytes += bytes;
    this.finalizer.register(s, { ptr, bytes }, s);
    return s;
  }

  free(s: Storage): void {
    const w = st(s);
    if (w.freed) return;
    w.freed = true;
    this.finalizer.unregister(w);
    this.heap.free(w.ptr, w.bytes);
    this.liveBytes -= w.bytes;
  }

  // Byte offsets run up to 4 GiB: `>>>` turns them into element indices (`>>` is signed
  // and goes negative from 2 GiB on). Offsets handed to kernels need nothing: wasm reads
  // an i32 argument as the same 32 bits, unsigned in the AssemblyScript (usize).
  write(s: Storage, data: TypedArray): void {
    const w = st(s);
    if (data.length !== w.size) {
      throw new RangeError(`wasm-simd: write of ${data.length} elements into a storage of ${w.size}`);
    }
    switch (w.dtype) {
      case 'float32':
        this.f32.set(data, w.ptr >>> 2);
        return;
      case 'float64':
        this.f64.set(data, w.ptr >>> 3);
        return;
      case 'int32':
        this.i32.set(data, w.ptr >>> 2);
        return;
      case 'bool': {
        const u8 = this.u8;
        for (let i = 0, p = w.ptr; i < data.length; i++, p++) u8[p] = data[i] !== 0 ? 1 : 0;
        return;
      }
    }
  }

  readSync(s: Storage): TypedArray {
    const w = st(s);
    switch (w.dtype) {
      case 'float32':
        return this.f32.slice(w.ptr >>> 2, (w.ptr >>> 2) + w.size);
      case 'float64':
        return this.f64.slice(w.ptr >>> 3, (w.ptr >>> 3) + w.size);
      case 'int32':
        return this.i32.slice(w.ptr >>> 2, (w.ptr >>> 2) + w.size);
      case 'bool':
        return this.u8.slice(w.ptr, w.ptr + w.size);
    }
  }

  read(s: Storage): Promise<TypedArray> {
    return Promise.resolve(this.readSync(s));
  }

  memoryBytes(): number {
    return this.liveBytes;
  }

  // ---- scratch ----

  /** A scratch block of at least `bytes`, reused across calls. */
  private scratch(bytes: number): number {
    if (bytes > this.scratchSize) {
      if (this.scratchSize > 0) this.heap.free(this.scratchPtr, this.scratchSize);
      const size = Math.max(bytes, this.scratchSize * 2, 65536);
      this.scratchPtr = this.heap.alloc(size);
      this.scratchSize = size;
    }
    return this.scratchPtr;
  }

  private releaseBigScratch(): void {
    if (this.scratchSize > KEEP_SCRATCH) {
      this.heap.free(this.scratchPtr, this.scratchSize);
      this.scratchSize = 0;
      this.scratchPtr = 0;
    }
  }

  private writeMeta(lists: readonly (readonly number[])[]): void {
    let p = this.meta >>> 2;
    const i32 = this.i32;
    for (const l of lists) for (let i = 0; i < l.length; i++) i32[p++] = l[i];
  }

  // ---- data movement ----

  fill(s: Storage, value: number): void {
    const w = st(s);
    this.k.fill(dtypeCode[w.dtype], w.ptr, w.size, value);
  }

  cast(src: Storage, out: Storage): void {
    const a = st(src);
    const o = st(out);
    if (a.dtype === o.dtype) this.u8.copyWithin(o.ptr, a.ptr, a.ptr + a.bytes);
    else this.k.cast(dtypeCode[a.dtype], dtypeCode[o.dtype], a.ptr, o.ptr, a.size);
  }

  copy(src: View, out: Storage): void {
    const o = st(out);
    if (o.size === 0) return;
    const s = st(src.storage);
    const esz = bytesPerElement(s.dtype);
    const shape = this.cShape;
    const strides = this.cStrides1;
    collapseDims(src.shape, [src.strides], shape, strides);
    const base = s.ptr + src.offset * esz;
    if (shape.length === 1 && strides[0][0] === 1) {
      this.u8.copyWithin(o.ptr, base, base + o.bytes);
      return;
    }
    this.writeMeta([shape, strides[0]]);
    this.k.copy(esz, base, o.ptr, shape.length, this.meta);
  }

  // ---- elementwise ----

  unary(op: UnaryOp, x: Storage, out: Storage): void {
    const a = st(x);
    const o = st(out);
    const pool = this.pool;
    if (pool && a.size >= PAR_ELEMENTS) {
      const c = pool.args;
      c[3] = unaryCode[op];
      c[4] = dtypeCode[a.dtype];
      c[5] = dtypeCode[o.dtype];
      c[6] = a.ptr;
      c[7] = o.ptr;
      c[8] = a.size;
      c[9] = bytesPerElement(a.dtype);
      c[10] = bytesPerElement(o.dtype);
      this.runPool(pool, JOB_UNARY);
      return;
    }
    this.k.unary(unaryCode[op], dtypeCode[a.dtype], dtypeCode[o.dtype], a.ptr, o.ptr, a.size);
  }

  binary(op: BinaryOp, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    const o = st(out);
    if (o.size === 0) return;
    const sa = st(a.storage);
    const sb = st(b.storage);
    const shape = this.cShape;
    const strides = this.cStrides2;
    collapseDims(outShape, [a.strides, b.strides], shape, strides);
    if (this.pool && shape.length === 1 && o.size >= PAR_ELEMENTS) {
      const aPtr = sa.ptr + a.offset * bytesPerElement(sa.dtype);
      const bPtr = sb.ptr + b.offset * bytesPerElement(sb.dtype);
      this.binaryParallel(op, aPtr, sa.dtype, strides[0][0], bPtr, sb.dtype, strides[1][0], o);
      return;
    }
    this.writeMeta([shape, strides[0], strides[1]]);
    this.k.binary(
      binaryCode[op],
      dtypeCode[sa.dtype],
      dtypeCode[sb.dtype],
      dtypeCode[o.dtype],
      sa.ptr + a.offset * bytesPerElement(sa.dtype),
      sb.ptr + b.offset * bytesPerElement(sb.dtype),
      o.ptr,
      shape.length,
      this.meta,
    );
  }

  /** A binary op over one collapsed dimension (pointers to element 0), split across the pool. */
  private binaryParallel(
    op: BinaryOp,
    aPtr: number,
    adt: DType,
    aStride: number,
    bPtr: number,
    bdt: DType,
    bStride: number,
    o: WasmStorage,
  ): void {
    const pool = this.pool!;
    const c = pool.args;
    c[3] = binaryCode[op];
    c[4] = dtypeCode[adt];
    c[5] = dtypeCode[bdt];
    c[6] = dtypeCode[o.dtype];
    c[7] = aPtr;
    c[8] = bPtr;
    c[9] = o.ptr;
    c[10] = o.size;
    c[11] = aStride;
    c[12] = bStride;
    c[13] = bytesPerElement(adt);
    c[14] = bytesPerElement(bdt);
    c[15] = bytesPerElement(o.dtype);
    c[16] = this.meta + THREAD_ARGS;
    c[17] = THREAD_ARGS_STRIDE;
    this.runPool(pool, JOB_BINARY);
  }

  binaryScalar(op: BinaryOp, a: Storage, s: number, out: Storage, scalarFirst: boolean): void {
    const x = st(a);
    const o = st(out);
    if (o.size === 0) return;
    // The scalar goes into a cell read with stride 0, in the tensor's dtype when that is
    // exact for floats (PyTorch computes float32 ops on a float32 scalar) or the value is
    // an int32; otherwise as float64 through the general path.
    const cell = this.meta + SCALAR_CELL;
    let cdt: DType;
    if (isFloatDType(x.dtype)) cdt = x.dtype;
    else if (x.dtype === 'int32' && Number.isInteger(s) && s >= -2147483648 && s <= 2147483647) cdt = 'int32';
    else cdt = 'float64';
    if (cdt === 'float32') this.f32[cell >>> 2] = s;
    else if (cdt === 'float64') this.f64[cell >>> 3] = s;
    else this.i32[cell >>> 2] = s;
    const i32 = this.i32;
    const m = this.meta >>> 2;
    i32[m] = x.size;
    i32[m + 1] = scalarFirst ? 0 : 1;
    i32[m + 2] = scalarFirst ? 1 : 0;
    if (this.pool && x.size >= PAR_ELEMENTS) {
      if (scalarFirst) this.binaryParallel(op, cell, cdt, 0, x.ptr, x.dtype, 1, o);
      else this.binaryParallel(op, x.ptr, x.dtype, 1, cell, cdt, 0, o);
      return;
    }
    const xd = dtypeCode[x.dtype];
    const cd = dtypeCode[cdt];
    if (scalarFirst)
      this.k.binary(binaryCode[op], cd, xd, dtypeCode[o.dtype], cell, x.ptr, o.ptr, 1, this.meta);
    else this.k.binary(binaryCode[op], xd, cd, dtypeCode[o.dtype], x.ptr, cell, o.ptr, 1, this.meta);
  }

  where(cond: View, a: View, b: View, out: Storage, outShape: readonly number[]): void {
    const o = st(out);
    if (o.size === 0) return;
    let c = st(cond.storage);
    let tmp: Storage | undefined;
    if (isFloatDType(c.dtype)) {
      // Float conditions: -0.0 is false, NaN true; a cast to bool gets both right.
      tmp = this.alloc('bool', c.size);
      this.cast(c, tmp);
      c = st(tmp);
    }
    const sa = st(a.storage);
    const sb = st(b.storage);
    const shape = this.cShape;
    const strides = this.cStrides;
    collapseDims(outShape, [cond.strides, a.strides, b.strides], shape, strides);
    this.writeMeta([shape, strides[0], strides[1], strides[2]]);
    const esz = bytesPerElement(o.dtype);
    this.k.where(
      dtypeCode[c.dtype],
      dtypeCode[o.dtype],
      c.ptr + cond.offset * bytesPerElement(c.dtype),
      sa.ptr + a.offset * esz,
      sb.ptr + b.offset * esz,
      o.ptr,
      shape.length,
      this.meta,
    );
    if (tmp) this.free(tmp);
  }

  // ---- reductions ----

  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, out: Storage): void {
    const a = st(x);
    const o = st(out);
    if (outer * inner === 0) return;
    const scratch = this.scratch(this.k.reduceScratchBytes(inner));
    this.k.reduce(
      reduceCode[op],
      dtypeCode[a.dtype],
      dtypeCode[o.dtype],
      a.ptr,
      outer,
      len,
      inner,
      o.ptr,
      scratch,
    );
    this.releaseBigScratch();
  }

  // ---- linear algebra ----

  matmul(
    a: Storage,
    b: Storage,
    out: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: { transA: boolean; transB: boolean; aBatchStride: number; bBatchStride: number },
  ): void {
    const A = st(a);
    const B = st(b);
    const C = st(out);
    const { batch, k, n } = dims;
    let { m } = dims;
    if (batch * m * n === 0) return;
    const dt = dtypeCode[C.dtype];
    const esz = bytesPerElement(C.dtype);
    const rsA = opts.transA ? 1 : k;
    const csA = opts.transA ? m : 1;
    const rsB = opts.transB ? 1 : n;
    const csB = opts.transB ? k : 1;
    let batches = batch;
    // A stack of row-major A's against one shared B is a single taller GEMM.
    if (batch > 1 && !opts.transA && opts.bBatchStride === 0 && opts.aBatchStride === m * k) {
      m *= batch;
      batches = 1;
    }
    const pool = this.pool;
    if (pool && dt !== 2 && 2 * batches * m * n * k >= PAR_GEMM_FLOPS && (m >= 8 || n >= 16)) {
      // Split along M in 4-row units when there are enough rows, else along N.
      const splitM = Math.ceil(m / 4) >= pool.threads || m >= n;
      const stride = Math.ceil(this.k.gemmScratchBytes(m, n, k, esz) / 64) * 64;
      const scratch = this.scratch(stride * pool.threads);
      const c = pool.args;
      c[3] = dt;
      c[4] = m;
      c[5] = n;
      c[6] = k;
      c[7] = A.ptr;
      c[8] = rsA;
      c[9] = csA;
      c[10] = B.ptr;
      c[11] = rsB;
      c[12] = csB;
      c[13] = C.ptr;
      c[14] = n;
      c[15] = scratch;
      c[16] = stride;
      c[17] = splitM ? 1 : 0;
      c[18] = batches;
      c[19] = opts.aBatchStride * esz;
      c[20] = opts.bBatchStride * esz;
      c[21] = m * n * esz;
      c[22] = esz;
      this.runPool(pool, JOB_GEMM);
      this.releaseBigScratch();
      return;
    }
    const scratch = this.scratch(this.k.gemmScratchBytes(m, n, k, esz));
    for (let i = 0; i < batches; i++) {
      this.k.gemm(
        dt,
        m,
        n,
        k,
        A.ptr + i * opts.aBatchStride * esz,
        rsA,
        csA,
        B.ptr + i * opts.bBatchStride * esz,
        rsB,
        csB,
        C.ptr + i * m * n * esz,
        n,
        0,
        scratch,
      );
    }
    this.releaseBigScratch();
  }

  // ---- indexing ----

  indexSelect(x: Storage, index: Storage, out: Storage, outer: number, len: number, inner: number): void {
    const X = st(x);
    const I = st(index);
    this.k.indexSelect(bytesPerElement(X.dtype), X.ptr, I.ptr, I.size, st(out).ptr, outer, len, inner);
  }

  indexAdd(out: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void {
    const O = st(out);
    const I = st(index);
    this.k.indexAdd(dtypeCode[O.dtype], O.ptr, I.ptr, I.size, st(src).ptr, outer, len, inner);
    if (O.dtype === 'bool') this.normaliseBool(O);
  }

  gather(x: Storage, index: Storage, out: Storage, outer: number, lenX: number, inner: number): void {
    const X = st(x);
    const I = st(index);
    if (outer * inner === 0) return;
    const lenIdx = I.size / (outer * inner);
    this.k.gather(bytesPerElement(X.dtype), X.ptr, I.ptr, st(out).ptr, outer, lenX, lenIdx, inner);
  }

  scatterAdd(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    const O = st(out);
    const I = st(index);
    if (outer * inner === 0) return;
    const lenIdx = I.size / (outer * inner);
    this.k.scatterAdd(dtypeCode[O.dtype], O.ptr, I.ptr, st(src).ptr, outer, lenOut, lenIdx, inner);
    if (O.dtype === 'bool') this.normaliseBool(O);
  }

  private normaliseBool(s: WasmStorage): void {
    const u8 = this.u8;
    for (let p = s.ptr, e = s.ptr + s.size; p < e; p++) u8[p] = u8[p] !== 0 ? 1 : 0;
  }

  // ---- convolution and pooling ----

  private writeConvGeometry(g: Conv2dGeometry): void {
    this.writeMeta([conv2dGeometryValues(g)]);
  }

  private writePoolGeometry(g: Pool2dGeometry): void {
    this.writeMeta([pool2dGeometryValues(g)]);
  }

  private convScratch(dtype: DType): number {
    return this.scratch(this.k.convScratchBytes(this.meta, bytesPerElement(dtype)));
  }

  /**
   * Runs a conv kernel split by batch on the worker pool (0 forward, 1 backward-input,
   * 2 backward-weight); false when it is too small to be worth it or there is no pool.
   */
  private convParallel(
    which: number,
    a: WasmStorage,
    b: WasmStorage,
    out: WasmStorage,
    g: Conv2dGeometry,
  ): boolean {
    const pool = this.pool;
    const flops = 2 * g.batch * g.outChannels * g.outH * g.outW * (g.inChannels / g.groups) * g.kH * g.kW;
    if (!pool || g.batch < 2 || flops < PAR_GEMM_FLOPS) return false;
    const T = pool.threads;
    const esz = bytesPerElement(out.dtype);
    const stride = Math.ceil(this.k.convScratchBytes(this.meta, esz) / 64) * 64;
    const wBytes = Math.ceil((g.outChannels * (g.inChannels / g.groups) * g.kH * g.kW * esz) / 64) * 64;
    const scratch = this.scratch(stride * T + (which === 2 ? wBytes * (T - 1) : 0));
    const partials = scratch + stride * T;
    const c = pool.args;
    c[3] = which;
    c[4] = dtypeCode[out.dtype];
    c[5] = esz;
    c[6] = a.ptr;
    c[7] = b.ptr;
    c[8] = out.ptr;
    c[9] = this.meta;
    c[10] = scratch;
    c[11] = stride;
    c[12] = this.meta + THREAD_ARGS;
    c[13] = THREAD_ARGS_STRIDE;
    c[14] = g.batch;
    c[15] = g.inChannels * g.inH * g.inW;
    c[16] = g.outChannels * g.outH * g.outW;
    c[17] = partials;
    c[18] = wBytes;
    c[19] = out.bytes;
    this.runPool(pool, JOB_CONV);
    if (which === 2) {
      // Shares 1.. wrote partial weight gradients: add each non-empty one into the result.
      const n = out.size;
      const m = this.meta >>> 2;
      for (let w = 1; w < T; w++) {
        if (Math.floor((g.batch * (w + 1)) / T) <= Math.floor((g.batch * w) / T)) continue;
        this.i32[m] = n;
        this.i32[m + 1] = 1;
        this.i32[m + 2] = 1;
        const dt = dtypeCode[out.dtype];
        this.k.binary(
          binaryCode.add,
          dt,
          dt,
          dt,
          out.ptr,
          partials + (w - 1) * wBytes,
          out.ptr,
          1,
          this.meta,
        );
      }
    }
    this.releaseBigScratch();
    return true;
  }

  conv2d(x: Storage, w: Storage, out: Storage, g: Conv2dGeometry): void {
    this.conv(0, x, w, out, g);
  }

  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void {
    this.conv(1, gradOut, w, gradX, g);
  }

  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void {
    this.conv(2, gradOut, x, gradW, g);
  }

  /** The three conv2d pieces (0 forward, 1 input grad, 2 weight grad): one path, one kernel each. */
  private conv(kind: 0 | 1 | 2, a: Storage, b: Storage, out: Storage, g: Conv2dGeometry): void {
    const O = st(out);
    this.writeConvGeometry(g);
    if (this.convParallel(kind, st(a), st(b), O, g)) return;
    const kernel = [this.k.conv2d, this.k.conv2dBackwardInput, this.k.conv2dBackwardWeight][kind];
    kernel(dtypeCode[O.dtype], st(a).ptr, st(b).ptr, O.ptr, this.meta, this.convScratch(O.dtype));
    this.releaseBigScratch();
  }

  maxPool2d(x: Storage, out: Storage, argmax: Storage, g: Pool2dGeometry): void {
    const O = st(out);
    this.writePoolGeometry(g);
    this.k.maxPool2d(dtypeCode[O.dtype], st(x).ptr, O.ptr, st(argmax).ptr, this.meta);
  }

  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void {
    const O = st(gradX);
    this.writePoolGeometry(g);
    this.k.maxPool2dBackward(dtypeCode[O.dtype], st(gradOut).ptr, st(argmax).ptr, O.ptr, this.meta);
  }

  // ---- fused ----

  private fusedKernel(program: FusedProgram, dtype: DType): { run: FusedKernel; id: number } {
    const key = `${dtype}|${program.key}`;
    let entry = this.fusedCache.get(key);
    if (!entry) {
      if (!isFloatDType(dtype)) {
        throw new TypeError(`wasm-simd: fused program '${program.name}' needs float buffers, got ${dtype}`);
      }
      const pool = this.pool;
      // A shared memory (threads, even after destroy() stopped them) needs shared imports.
      const shared =
        typeof SharedArrayBuffer !== 'undefined' && this.memory.buffer instanceof SharedArrayBuffer;
      const run = compileFused(program, dtype, this.memory, shared);
      entry = { run, id: 0 };
      if (pool) {
        // Every worker compiles the same bytes (read from the shared memory) under one id.
        const bytes = fusedModuleBytes(program, dtype, true);
        const ptr = this.heap.alloc(bytes.length);
        this.u8.set(bytes, ptr);
        entry.id = pool.newProgramId();
        const c = pool.args;
        c[3] = entry.id;
        c[4] = ptr;
        c[5] = bytes.length;
        try {
          this.runPool(pool, JOB_COMPILE);
        } finally {
          this.heap.free(ptr, bytes.length);
        }
        this.fusedById.set(entry.id, run);
      }
      this.fusedCache.set(key, entry);
    }
    return entry;
  }

  fused(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
    const nb = program.buffers.length;
    const ns = program.scalars.length;
    const args = this.meta + FUSED_ARGS;
    const sOff = (args + scalarsOffset(nb)) >>> 3;
    for (let t = 0; t < tensors.length; t++) {
      const ta = tensors[t];
      const bufs = ta.buffers;
      if (bufs.length === 0) continue;
      const first = st(bufs[0]);
      if (first.size === 0) continue;
      const { run, id } = this.fusedKernel(program, first.dtype);
      // Views after compiling: a first compile may allocate (and so grow the memory).
      const i32 = this.i32;
      const f64 = this.f64;
      for (let i = 0; i < nb; i++) i32[(args >>> 2) + i] = st(bufs[i]).ptr;
      const sc = ta.scalars;
      for (let i = 0; i < ns; i++) f64[sOff + i] = sc[i];
      const pool = this.pool;
      if (pool && first.size >= PAR_ELEMENTS) {
        const c = pool.args;
        c[3] = id;
        c[4] = nb;
        c[5] = first.size;
        c[6] = bytesPerElement(first.dtype);
        c[7] = args;
        c[8] = scalarsOffset(nb);
        c[9] = ns;
        c[10] = this.meta + THREAD_ARGS;
        c[11] = THREAD_ARGS_STRIDE;
        this.runPool(pool, JOB_FUSED);
      } else run(args, first.size);
    }
  }

  sync(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops the worker pool, drops compiled fused programs and scratch; storages stay valid. */
  destroy(): void {
    this.pool?.terminate();
    this.pool = undefined;
    this.fusedCache.clear();
    this.fusedById.clear();
    if (this.scratchSize > 0) this.heap.free(this.scratchPtr, this.scratchSize);
    this.scratchSize = 0;
    this.scratchPtr = 0;
  }
}
