/// <reference types="@webgpu/types" preserve="true" />
/**
 * The WebGPU backend: the core `Backend` interface on one GPUDevice.
 * Kernels record into the runtime's command stream and return at once; only `read` and
 * `sync` wait for the GPU.
 */
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
import { reluBackwardProgram, rowSumsGeometry } from '@stepwise/core';
import { WebGPUOutOfMemoryError } from './errors.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv2d.js';
import { copyToView } from './kernels/copyToView.js';
import { binary, binaryScalar, cast, copy, fill, unary, where } from './kernels/elementwise.js';
import { fused } from './kernels/fused.js';
import { gather, indexAdd, indexSelect, scatter, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { maxPool2d, maxPool2dBackward } from './kernels/maxPool2d.js';
import { reduce } from './kernels/reduce.js';
import { paddedLength, sortRows } from './kernels/sort.js';
import { Runtime } from './runtime.js';
import { GpuStorage } from './storage.js';

const ELEMENT_BYTES = 4;

function bytesOf(d: DType): number {
  return d === 'bool' ? 1 : 4;
}

function gs(s: Storage): GpuStorage {
  return s as GpuStorage;
}

/**
 * A storage a kernel overwrites entirely: its host shadow (if any) is stale from now on,
 * and a pending zero-fill is moot.
 */
function out(s: Storage): GpuStorage {
  const g = s as GpuStorage;
  g.host = null;
  g.dirty = false;
  return g;
}

/** Index shadows are kept up to this many elements (a copy per write). */
const MAX_SHADOW = 1 << 16;

/** PyTorch's out-of-range index error, where the index values are known on the host. */
function checkIndex(op: string, index: Storage, size: number): void {
  const host = gs(index).host;
  if (!host) return;
  for (let i = 0; i < host.length; i++) {
    const v = host[i]!;
    if (v < 0 || v >= size)
      throw new RangeError(`${op}(): index ${v} is out of bounds for dimension with size ${size}`);
  }
}

/** A snapshot of the GPU resources a backend holds (see the README's "Memory"). */
export interface WebGPUResources {
  /** Freed storage buffers kept for reuse (at most 1024), and their bytes (at most 256 MiB). */
  readonly idleBuffers: number;
  /** Bytes held in the buffer pool for reuse. */
  readonly idleBytes: number;
  /** Storage buffers created over the backend's life. */
  readonly buffersCreated: number;
  /** Bind groups the backend holds now, and created over its life. */
  readonly bindGroups: number;
  /** Bind groups created so far (a cache-efficiency counter). */
  readonly bindGroupsCreated: number;
  /** Reads and syncs in flight (each watches for device loss until it settles). */
  readonly pendingWaits: number;
  /** Dispatches submitted that no await has yet seen finished. */
  readonly queuedDispatches: number;
}

/** The WebGPU backend (PyTorch's analogue: a CUDA/MPS device, here through WebGPU). */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  /** No float64: WGSL has no 64-bit floats. Core turns that into a clear error. */
  readonly dtypes: readonly DType[] = ['float32', 'int32', 'bool'];
  readonly syncReads = false;
  /** The runtime: device, queue, pipelines and buffer pool. */
  readonly rt: Runtime;
  /** A storage a kernel reads (or updates in place): zero-filled first if still pending. */
  private readonly inp = (s: Storage): GpuStorage => {
    const g = s as GpuStorage;
    if (g.dirty) {
      g.dirty = false;
      if (g.size > 0) this.rt.copyEncoder().clearBuffer(g.buf.buffer, 0, g.size * ELEMENT_BYTES);
    }
    return g;
  };
  private liveBytes = 0;
  private destroyed = false;

  constructor(
    /** The GPU device. */
    readonly device: GPUDevice,
    /** Whether `destroy()` also destroys the device (true when this package created it). */
    private readonly ownsDevice: boolean,
    opts: { maxBindingBytes?: number; adapterInfo?: GPUAdapterInfo } = {},
  ) {
    this.rt = new Runtime(device, opts.maxBindingBytes, isCpuAdapter(opts.adapterInfo ?? device.adapterInfo));
  }

  /**
   * Kernels other than the elementwise and fused ones bind whole storages: one larger than
   * a storage binding is refused with an error naming the op and the size.
   */
  private fits(op: string, ...storages: Storage[]): void {
    const max = this.rt.maxBindingBytes;
    for (const s of storages) {
      if (s.size * ELEMENT_BYTES > max) {
        throw new WebGPUOutOfMemoryError(
          `webgpu: ${op} on a ${s.dtype} tensor of ${s.size} elements (${s.size * ELEMENT_BYTES} bytes) exceeds the ` +
            `device's storage binding limit of ${max} bytes`,
        );
      }
    }
  }

  /** GPU buffers created so far (a flat count over a training loop means full reuse). */
  get buffersCreated(): number {
    return this.rt.storagePool.created;
  }

  /** What the backend holds now: counts that stay flat over a loop mean nothing piles up. */
  resources(): WebGPUResources {
    const rt = this.rt;
    return {
      idleBuffers: rt.storagePool.idleCount,
      idleBytes: rt.storagePool.idleBytes,
      buffersCreated: rt.storagePool.created,
      bindGroups: rt.bindGroups.held,
      bindGroupsCreated: rt.bindGroups.created,
      pendingWaits: rt.loss.pending,
      queuedDispatches: rt.queueDepth.pending,
    };
  }

  alloc(dtype: DType, size: number): Storage {
    this.rt.check();
    const bytes = Math.max(size, 1) * ELEMENT_BYTES;
    if (bytes > this.rt.maxBufferBytes) {
      throw new WebGPUOutOfMemoryError(
        `webgpu: cannot allocate ${size} elements of ${dtype} (${bytes} bytes): the device's largest buffer is ` +
          `${this.rt.maxBufferBytes} bytes`,
      );
    }
    const { buf, fresh } = this.rt.storagePool.acquire(bytes);
    this.liveBytes += size * bytesOf(dtype);
    const s = new GpuStorage(dtype, size, buf);
    // Fresh buffers are zeroed by WebGPU. A reused one is zeroed lazily, in stream order,
    // only if something reads it before a kernel overwrites it: most storages are kernel
    // outputs, and a clear would split the compute pass.
    s.dirty = !fresh;
    return s;
  }

  free(s: Storage): void {
    const g = gs(s);
    if (g.freed) return;
    g.freed = true;
    this.liveBytes -= g.size * bytesOf(g.dtype);
    if (!this.destroyed) this.rt.storagePool.release(g.buf);
  }

  write(s: Storage, data: TypedArray): void {
    const g = gs(s);
    if (g.size === 0) return;
    let src: ArrayBufferView = data;
    if (g.dtype === 'bool') {
      const words = new Int32Array(data.length);
      for (let i = 0; i < data.length; i++) words[i] = data[i] ? 1 : 0;
      src = words;
    } else if (data instanceof Float64Array) {
      src = new Float32Array(data);
    }
    this.rt.write(g.buf, src);
    g.dirty = false;
    g.host = g.dtype === 'int32' && g.size <= MAX_SHADOW ? Int32Array.from(data) : null;
  }

  async read(s: Storage): Promise<TypedArray> {
    const g = gs(s);
    if (g.size === 0) return emptyOf(g.dtype);
    this.inp(g);
    const bytes = await this.rt.read(g.buf, g.size * ELEMENT_BYTES);
    switch (g.dtype) {
      case 'float32':
        return new Float32Array(bytes);
      case 'int32':
        return new Int32Array(bytes);
      default: {
        const words = new Int32Array(bytes);
        const out = new Uint8Array(words.length);
        for (let i = 0; i < words.length; i++) out[i] = words[i] !== 0 ? 1 : 0;
        return out;
      }
    }
  }

  memoryBytes(): number {
    return this.liveBytes;
  }

  fill(s: Storage, value: number): void {
    fill(this.rt, out(s), value);
  }

  cast(src: Storage, dst: Storage): void {
    cast(this.rt, this.inp(src), out(dst));
  }

  copy(src: View, dst: Storage): void {
    this.inp(src.storage);
    copy(this.rt, src, out(dst));
  }

  copyToView(src: Storage, dst: View): void {
    // A partial write: the rest of dst stays, so it is an input (pending zero-fill done first)
    // and its host shadow is stale.
    out(this.inp(dst.storage));
    copyToView(this.rt, this.inp(src), dst);
  }

  unary(op: UnaryOp, x: Storage, dst: Storage): void {
    unary(this.rt, op, this.inp(x), out(dst));
  }

  binary(op: BinaryOp, a: View, b: View, dst: Storage, outShape: readonly number[]): void {
    this.inp(a.storage);
    this.inp(b.storage);
    binary(this.rt, op, a, b, out(dst), outShape);
  }

  binaryScalar(op: BinaryOp, a: Storage, s: number, dst: Storage, scalarFirst: boolean): void {
    binaryScalar(this.rt, op, this.inp(a), s, out(dst), scalarFirst);
  }

  where(cond: View, a: View, b: View, dst: Storage, outShape: readonly number[]): void {
    this.inp(cond.storage);
    this.inp(a.storage);
    this.inp(b.storage);
    where(this.rt, cond, a, b, out(dst), outShape);
  }

  /** Reduces `x`, viewed as `[outer, len, inner]`, over its middle dimension into `dst` (`[outer, inner]`). */
  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, dst: Storage): void {
    this.fits(`reduce(${op})`, x, dst);
    reduce(this.rt, op, this.inp(x), outer, len, inner, out(dst));
  }

  matmul(
    a: Storage,
    b: Storage,
    dst: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: MatmulOptions,
  ): void {
    this.fits('matmul', a, b, dst);
    // op(a)'s row sums by the sum reduction itself (a Linear's bias gradient).
    if (opts.rowSumsOfA) {
      const [outer, len, inner] = rowSumsGeometry(dims.m, dims.k, opts.transA);
      this.reduce('sum', a, outer, len, inner, opts.rowSumsOfA);
    }
    if (opts.reluBackwardOf) {
      // ReLU's backward as core's own fused program, from a scratch product into dst.
      const product = this.alloc(dst.dtype, dst.size);
      try {
        matmul(this.rt, this.inp(a), this.inp(b), out(product), dims, opts);
        this.fused(reluBackwardProgram, [{ buffers: [product, opts.reluBackwardOf, dst], scalars: [] }]);
      } finally {
        this.free(product);
      }
      return;
    }
    if (!opts.bias && !opts.relu) {
      matmul(this.rt, this.inp(a), this.inp(b), out(dst), dims, opts);
      return;
    }
    // The epilogue passes write each result to a fresh buffer, the last one to dst: a
    // storage buffer cannot be bound for reading and writing in one dispatch.
    const shape = [dims.batch * dims.m, dims.n];
    const view = (storage: Storage, strides: number[]) => ({ storage, shape, strides, offset: 0 });
    let cur = this.alloc(dst.dtype, dst.size);
    try {
      matmul(this.rt, this.inp(a), this.inp(b), out(cur), dims, opts);
      if (opts.bias) {
        const target = opts.relu ? this.alloc(dst.dtype, dst.size) : dst;
        this.binary('add', view(cur, [dims.n, 1]), view(opts.bias, [0, 1]), target, shape);
        if (target === dst) return;
        this.free(cur);
        cur = target;
      }
      this.unary('relu', cur, dst);
    } finally {
      this.free(cur);
    }
  }

  sortRows(x: Storage, rows: number, n: number, descending: boolean, dst: Storage): boolean {
    this.fits('sort', x, dst);
    const work = this.alloc('int32', rows * paddedLength(n));
    try {
      this.fits('sort', work);
      sortRows(this.rt, this.inp(x), out(work), out(dst), rows, n, descending);
    } finally {
      this.free(work);
    }
    return true;
  }

  indexSelect(x: Storage, index: Storage, dst: Storage, outer: number, len: number, inner: number): void {
    checkIndex('index_select', index, len);
    this.fits('index_select', x, index, dst);
    indexSelect(this.rt, this.inp(x), this.inp(index), out(dst), outer, len, inner);
  }

  indexAdd(dst: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void {
    checkIndex('index_add', index, len);
    this.fits('index_add', dst, index, src);
    indexAdd(this.rt, out(this.inp(dst)), this.inp(index), this.inp(src), outer, len, inner);
  }

  gather(x: Storage, index: Storage, dst: Storage, outer: number, lenX: number, inner: number): void {
    checkIndex('gather', index, lenX);
    this.fits('gather', x, index, dst);
    gather(this.rt, this.inp(x), this.inp(index), out(dst), outer, lenX, inner);
  }

  scatterAdd(dst: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    checkIndex('scatter_add', index, lenOut);
    this.fits('scatter_add', dst, index, src);
    scatterAdd(this.rt, out(this.inp(dst)), this.inp(index), this.inp(src), outer, lenOut, inner);
  }

  scatter(dst: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    checkIndex('scatter', index, lenOut);
    this.fits('scatter', dst, index, src);
    scatter(this.rt, out(this.inp(dst)), this.inp(index), this.inp(src), outer, lenOut, inner);
  }

  conv2d(x: Storage, w: Storage, dst: Storage, g: Conv2dGeometry): void {
    this.fits('conv2d', x, w, dst);
    conv2d(this.rt, this.inp(x), this.inp(w), out(dst), g);
  }

  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void {
    this.fits('conv2d backward', gradOut, w, gradX);
    conv2dBackwardInput(this.rt, this.inp(gradOut), this.inp(w), out(gradX), g);
  }

  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void {
    this.fits('conv2d backward', gradOut, x, gradW);
    conv2dBackwardWeight(this.rt, this.inp(gradOut), this.inp(x), out(gradW), g);
  }

  maxPool2d(x: Storage, dst: Storage, argmax: Storage, g: Pool2dGeometry): void {
    this.fits('max_pool2d', x, dst, argmax);
    maxPool2d(this.rt, this.inp(x), out(dst), out(argmax), g);
  }

  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void {
    this.fits('max_pool2d backward', gradOut, argmax, gradX);
    maxPool2dBackward(this.rt, this.inp(gradOut), this.inp(argmax), out(gradX), g);
  }

  fused(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
    for (const t of tensors) for (const b of t.buffers) out(this.inp(b));
    fused(this.rt, program, tensors);
  }

  sync(): Promise<void> {
    return this.rt.sync();
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.rt.destroy();
    if (this.ownsDevice) this.device.destroy();
  }
}

/**
 * Whether the adapter is a CPU rasterizer (lavapipe/llvmpipe, SwiftShader, WARP): there
 * workgroup barriers are costly and caches stand in for tiling, so a few kernels pick
 * variants without workgroup memory.
 */
function isCpuAdapter(info: GPUAdapterInfo | undefined): boolean {
  if (!info) return false;
  const i = info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  if (i.isFallbackAdapter) return true;
  const text = `${i.vendor} ${i.architecture} ${i.device} ${i.description}`.toLowerCase();
  return /software|swiftshader|llvmpipe|lavapipe|warp|microsoft basic render/.test(text);
}

function emptyOf(d: DType): TypedArray {
  return d === 'float32' ? new Float32Array(0) : d === 'int32' ? new Int32Array(0) : new Uint8Array(0);
}
