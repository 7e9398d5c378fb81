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
  Pool2dGeometry,
  ReduceOp,
  Storage,
  TypedArray,
  UnaryOp,
  View,
} from '@stepwise/core';
import { WebGPUOutOfMemoryError } from './errors.js';
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight } from './kernels/conv2d.js';
import { binary, binaryScalar, cast, copy, fill, unary, where } from './kernels/elementwise.js';
import { fused } from './kernels/fused.js';
import { gather, indexAdd, indexSelect, scatterAdd } from './kernels/indexing.js';
import { matmul } from './kernels/matmul.js';
import { maxPool2d, maxPool2dBackward } from './kernels/maxPool2d.js';
import { reduce } from './kernels/reduce.js';
import { Runtime } from './runtime.js';
import { GpuStorage } from './storage.js';

const ELEMENT_BYTES = 4;

function bytesOf(d: DType): number {
  return d === 'bool' ? 1 : 4;
}

function gs(s: Storage): GpuStorage {
  return s as GpuStorage;
}

/** A storage a kernel writes: its host shadow (if any) is stale from now on. */
function out(s: Storage): GpuStorage {
  const g = s as GpuStorage;
  g.host = null;
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

/** The WebGPU backend (PyTorch's analogue: a CUDA/MPS device, here through WebGPU). */
export class WebGPUBackend implements Backend {
  readonly name = 'webgpu';
  /** No float64: WGSL has no 64-bit floats. Core turns that into a clear error. */
  readonly dtypes: readonly DType[] = ['float32', 'int32', 'bool'];
  readonly syncReads = false;
  readonly rt: Runtime;
  private liveBytes = 0;
  private destroyed = false;

  constructor(
    readonly device: GPUDevice,
    /** Whether `destroy()` also destroys the device (true when this package created it). */
    private readonly ownsDevice: boolean,
  ) {
    this.rt = new Runtime(device);
  }

  /** GPU buffers created so far (a flat count over a training loop means full reuse). */
  get buffersCreated(): number {
    return this.rt.storagePool.created;
  }

  alloc(dtype: DType, size: number): Storage {
    this.rt.check();
    const bytes = Math.max(size, 1) * ELEMENT_BYTES;
    if (bytes > this.rt.maxBindingBytes || bytes > this.rt.maxBufferBytes) {
      throw new WebGPUOutOfMemoryError(
        `webgpu: cannot allocate ${size} elements of ${dtype} (${bytes} bytes): the device binds at most ` +
          `${Math.min(this.rt.maxBindingBytes, this.rt.maxBufferBytes)} bytes per buffer`,
      );
    }
    const { buf, fresh } = this.rt.storagePool.acquire(bytes);
    // Fresh buffers are zeroed by WebGPU; a reused one is cleared in stream order.
    if (!fresh) this.rt.copyEncoder().clearBuffer(buf.buffer, 0, buf.bytes);
    this.liveBytes += size * bytesOf(dtype);
    return new GpuStorage(dtype, size, buf);
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
    g.host = g.dtype === 'int32' && g.size <= MAX_SHADOW ? Int32Array.from(data) : null;
  }

  async read(s: Storage): Promise<TypedArray> {
    const g = gs(s);
    if (g.size === 0) return emptyOf(g.dtype);
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
    cast(this.rt, gs(src), out(dst));
  }

  copy(src: View, dst: Storage): void {
    copy(this.rt, src, out(dst));
  }

  unary(op: UnaryOp, x: Storage, dst: Storage): void {
    unary(this.rt, op, gs(x), out(dst));
  }

  binary(op: BinaryOp, a: View, b: View, dst: Storage, outShape: readonly number[]): void {
    binary(this.rt, op, a, b, out(dst), outShape);
  }

  binaryScalar(op: BinaryOp, a: Storage, s: number, dst: Storage, scalarFirst: boolean): void {
    binaryScalar(this.rt, op, gs(a), s, out(dst), scalarFirst);
  }

  where(cond: View, a: View, b: View, dst: Storage, outShape: readonly number[]): void {
    where(this.rt, cond, a, b, out(dst), outShape);
  }

  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, dst: Storage): void {
    reduce(this.rt, op, gs(x), outer, len, inner, out(dst));
  }

  matmul(
    a: Storage,
    b: Storage,
    dst: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: { transA: boolean; transB: boolean; aBatchStride: number; bBatchStride: number },
  ): void {
    matmul(this.rt, gs(a), gs(b), out(dst), dims, opts);
  }

  indexSelect(x: Storage, index: Storage, dst: Storage, outer: number, len: number, inner: number): void {
    checkIndex('index_select', index, len);
    indexSelect(this.rt, gs(x), gs(index), out(dst), outer, len, inner);
  }

  indexAdd(dst: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void {
    checkIndex('index_add', index, len);
    indexAdd(this.rt, out(dst), gs(index), gs(src), outer, len, inner);
  }

  gather(x: Storage, index: Storage, dst: Storage, outer: number, lenX: number, inner: number): void {
    checkIndex('gather', index, lenX);
    gather(this.rt, gs(x), gs(index), out(dst), outer, lenX, inner);
  }

  scatterAdd(dst: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void {
    checkIndex('scatter_add', index, lenOut);
    scatterAdd(this.rt, out(dst), gs(index), gs(src), outer, lenOut, inner);
  }

  conv2d(x: Storage, w: Storage, dst: Storage, g: Conv2dGeometry): void {
    conv2d(this.rt, gs(x), gs(w), out(dst), g);
  }

  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void {
    conv2dBackwardInput(this.rt, gs(gradOut), gs(w), out(gradX), g);
  }

  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void {
    conv2dBackwardWeight(this.rt, gs(gradOut), gs(x), out(gradW), g);
  }

  maxPool2d(x: Storage, dst: Storage, argmax: Storage, g: Pool2dGeometry): void {
    maxPool2d(this.rt, gs(x), out(dst), out(argmax), g);
  }

  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void {
    maxPool2dBackward(this.rt, gs(gradOut), gs(argmax), out(gradX), g);
  }

  fused(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
    for (const t of tensors) for (const b of t.buffers) out(b);
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

function emptyOf(d: DType): TypedArray {
  return d === 'float32' ? new Float32Array(0) : d === 'int32' ? new Int32Array(0) : new Uint8Array(0);
}
