/**
 * The command stream: everything the kernels need to enqueue work on one GPUDevice.
 *
 * - Kernels append dispatches to one open command encoder (one compute pass, reopened
 *   after copies/clears). Nothing is submitted until a read, a write, `sync()`, a full
 *   parameter ring or `maxDispatchesPerSubmit` dispatches.
 * - Per-dispatch parameters (sizes, strides, scalars) go into a host-side ring of 256-byte
 *   slots; the used part is uploaded with one `writeBuffer` right before the submit, and
 *   each dispatch reads its slot through a dynamic uniform offset. So a kernel allocates no
 *   GPU buffer and creates no params bind group.
 * - Pipelines are cached by shader key; storage bind groups as `bindGroups.ts` explains.
 * - Every GPU resource the runtime keeps is bounded: idle buffers by count and bytes (the
 *   pools), bind groups by the buffers that own them or a small cache, parameters by one
 *   ring. Evicted buffers are destroyed as soon as no recorded command uses them.
 * - Device loss and uncaptured errors are recorded and thrown by the next call that can
 *   report them, so nothing waits forever on a dead device.
 */
import { BindGroups, type Binding, bindsPerBuffer, PARAMS_WINDOW, placeBindings } from './bindGroups.js';
import { DeviceLoss } from './deviceLoss.js';
import { WebGPUDeviceLostError, WebGPUInternalError, WebGPUOutOfMemoryError } from './errors.js';
import { BufferPool, type PooledBuffer } from './pool.js';
import { QueueDepth } from './queueDepth.js';

export type { Binding } from './bindGroups.js';

export const WORKGROUP = 256;
const SLOT_BYTES = 256;
const RING_BYTES = 1 << 18;
/** Buffers from this size up are created inside an out-of-memory error scope. */
const OOM_SCOPE_BYTES = 1 << 24;
/** Submits are bounded so a long enqueue-only loop cannot pile up unbounded work. */
const MAX_DISPATCHES_PER_SUBMIT = 128;
/**
 * Idle storage buffers kept for reuse. A training step frees and reallocates its
 * activations and gradients: a few hundred buffers for the models this library targets.
 */
const MAX_IDLE_STORAGE_BUFFERS = 1024;
const MAX_IDLE_STORAGE_BYTES = 256 * 1024 * 1024;
/**
 * Idle read-back buffers: host-mapped, so each costs a memory mapping (on lavapipe) or
 * host-visible memory (on a GPU). Concurrent reads beyond this make fresh ones.
 */
const MAX_IDLE_READ_BUFFERS = 16;
const MAX_IDLE_READ_BYTES = 64 * 1024 * 1024;
/** Queued dispatches never waited for, past which the backend warns once (see queueDepth.ts). */
const WARN_QUEUED_DISPATCHES = 200_000;

/** A compiled kernel: a pipeline plus the access mode of each storage binding. */
export interface Kernel {
  readonly pipeline: GPUComputePipeline;
  /** 'r' (read-only) or 'w' (read-write) per storage binding, e.g. 'rrw'. */
  readonly modes: string;
  /** Bytes of uniform parameters (a multiple of 256). */
  readonly paramBytes: number;
}

/** Storage offsets in a binding must be multiples of 256 bytes: 64 elements of 4 bytes. */
export const BIND_ALIGN_ELEMENTS = 64;

/** Writes one dispatch's parameters: 32-bit words, as u32, i32 or f32. */
export class Params {
  u32: Uint32Array;
  i32: Int32Array;
  f32: Float32Array;
  /** Word index of the current slot's first word. */
  base = 0;
  constructor(buf: ArrayBuffer) {
    this.u32 = new Uint32Array(buf);
    this.i32 = new Int32Array(buf);
    this.f32 = new Float32Array(buf);
  }
  u(i: number, v: number): void {
    this.u32[this.base + i] = v;
  }
  i(i: number, v: number): void {
    this.i32[this.base + i] = v;
  }
  f(i: number, v: number): void {
    this.f32[this.base + i] = v;
  }
}

/** The common WGSL prelude: the params block and the 1-D invocation index. */
export function prelude(paramBytes: number): string {
  return `
struct P { u: array<vec4<u32>, ${paramBytes / 16}> }
@group(0) @binding(0) var<uniform> p: P;
fn pu(i: u32) -> u32 { return p.u[i / 4u][i % 4u]; }
fn pi(i: u32) -> i32 { return bitcast<i32>(pu(i)); }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
`;
}

/** Rounds a count of 32-bit parameter words up to whole 256-byte slots. */
export function paramBytesFor(words: number): number {
  return Math.max(1, Math.ceil((words * 4) / SLOT_BYTES)) * SLOT_BYTES;
}

export class Runtime {
  readonly storagePool: BufferPool;
  private readonly readPool: BufferPool;
  readonly bindGroups: BindGroups;
  readonly queueDepth: QueueDepth;
  private readonly pipelines = new Map<string, Kernel>();
  private readonly paramsBuffer: GPUBuffer;
  private readonly ring = new ArrayBuffer(RING_BYTES);
  readonly params = new Params(this.ring);
  private ringUsed = 0;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatches = 0;
  /** State already set on the open pass (reset when a pass begins). */
  private lastPipeline: GPUComputePipeline | null = null;
  /** The groups set on the open pass, by index. */
  private readonly lastGroups: (GPUBindGroup | null)[] = [null, null, null, null];
  private readonly offsets = new Uint32Array(1);
  /** Evicted buffers that recorded, unsubmitted commands may still use: destroyed at the submit. */
  private toDestroy: PooledBuffer[] = [];
  readonly loss: DeviceLoss;
  /** Errors raised asynchronously by the implementation, thrown at the next await. */
  private errors: Error[] = [];
  readonly maxBindingBytes: number;
  readonly maxBufferBytes: number;
  readonly maxStorageBindings: number;

  constructor(
    readonly device: GPUDevice,
    /** Caps the binding size below the device's limit (tests of the split paths). */
    maxBindingBytes?: number,
    /** A CPU-backed adapter (lavapipe, SwiftShader): kernels may prefer barrier-free variants. */
    readonly cpuAdapter = false,
  ) {
    const limits = device.limits;
    this.maxBindingBytes = Math.min(
      limits.maxStorageBufferBindingSize,
      maxBindingBytes ?? Number.POSITIVE_INFINITY,
    );
    this.maxBufferBytes = limits.maxBufferSize;
    this.maxStorageBindings = limits.maxStorageBuffersPerShaderStage;
    this.queueDepth = new QueueDepth(device.queue, WARN_QUEUED_DISPATCHES);
    const evict = (b: PooledBuffer) => this.destroyWhenUnused(b);
    this.storagePool = new BufferPool({
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
      maxIdleBuffers: MAX_IDLE_STORAGE_BUFFERS,
      maxIdleBytes: MAX_IDLE_STORAGE_BYTES,
      maxBufferBytes: this.maxBufferBytes,
      create: (size, usage) => this.createBuffer(size, usage),
      onEvict: evict,
    });
    this.readPool = new BufferPool({
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
      maxIdleBuffers: MAX_IDLE_READ_BUFFERS,
      maxIdleBytes: MAX_IDLE_READ_BYTES,
      maxBufferBytes: this.maxBufferBytes,
      create: (size, usage) => device.createBuffer({ size, usage }),
      onEvict: evict,
    });
    // Slack past the ring's end: a buffer's group binds a fixed window at any slot.
    this.paramsBuffer = device.createBuffer({
      size: RING_BYTES + PARAMS_WINDOW,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    });
    this.bindGroups = new BindGroups(device, this.paramsBuffer, this.maxBindingBytes);
    this.loss = new DeviceLoss(device.lost);
    device.addEventListener?.('uncapturederror', (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      const msg = `webgpu: ${e.message}`;
      // The first errors are the informative ones; a loop that never reads keeps no more.
      if (this.errors.length >= 16) return;
      this.errors.push(
        typeof GPUOutOfMemoryError !== 'undefined' && e instanceof GPUOutOfMemoryError
          ? new WebGPUOutOfMemoryError(msg)
          : new WebGPUInternalError(msg),
      );
    });
  }

  /**
   * Creates a buffer; a large one inside an out-of-memory error scope, whose verdict
   * arrives later: it is recorded and thrown by the next read or sync, naming the size,
   * and the pool's idle buffers are released to make room.
   */
  private createBuffer(size: number, usage: number): GPUBuffer {
    if (size < OOM_SCOPE_BYTES) return this.device.createBuffer({ size, usage });
    this.device.pushErrorScope('out-of-memory');
    const buffer = this.device.createBuffer({ size, usage });
    void this.device.popErrorScope().then(
      (e) => {
        if (!e) return;
        this.errors.push(
          new WebGPUOutOfMemoryError(
            `webgpu: out of GPU memory allocating a buffer of ${size} bytes: ${e.message}`,
          ),
        );
        this.storagePool.drain();
      },
      () => {},
    );
    return buffer;
  }

  /** Throws the device-lost error, if any. Called by every entry point. */
  check(): void {
    if (this.loss.error) throw this.loss.error;
  }

  /**
   * Destroys an evicted buffer now, or at the next submit if recorded commands may use it
   * (destroying it first would make that submit invalid). Its bind groups go with it.
   */
  private destroyWhenUnused(b: PooledBuffer): void {
    this.bindGroups.drop(b);
    if (this.encoder) this.toDestroy.push(b);
    else b.buffer.destroy();
  }

  /** Throws (once) the first asynchronous error recorded since the last call. */
  private throwRecorded(): void {
    this.check();
    const e = this.errors.shift();
    if (e) {
      this.errors = [];
      throw e;
    }
  }

  /** Returns a cached kernel, compiling `source()` on first use. */
  kernel(key: string, modes: string, paramBytes: number, source: () => string): Kernel {
    let k = this.pipelines.get(key);
    if (!k) {
      const code = placeBindings(prelude(paramBytes) + source(), bindsPerBuffer(modes, paramBytes));
      const module = this.device.createShaderModule({ code, label: key });
      const layout = this.device.createPipelineLayout({
        bindGroupLayouts: this.bindGroups.layoutsFor(modes, paramBytes),
      });
      const pipeline = this.device.createComputePipeline({
        layout,
        compute: { module, entryPoint: 'main' },
        label: key,
      });
      k = { pipeline, modes, paramBytes };
      this.pipelines.set(key, k);
    }
    return k;
  }

  /**
   * Reserves the next params slot for a dispatch of `kernel` and points `params` at it.
   * Write the words, then call `dispatch` with the returned offset.
   */
  beginParams(kernel: Kernel): number {
    this.check();
    if (this.ringUsed + kernel.paramBytes > RING_BYTES) this.flush();
    const offset = this.ringUsed;
    this.ringUsed += kernel.paramBytes;
    this.params.base = offset / 4;
    this.params.u32.fill(0, offset / 4, (offset + kernel.paramBytes) / 4);
    return offset;
  }

  dispatch(
    kernel: Kernel,
    paramsOffset: number,
    groups: readonly GPUBindGroup[],
    x: number,
    y = 1,
    z = 1,
  ): void {
    if (x === 0 || y === 0 || z === 0) return;
    const pass = this.computePass();
    // Native calls dominate a small kernel's cost in Dawn: skip the ones that would repeat.
    if (this.lastPipeline !== kernel.pipeline) {
      pass.setPipeline(kernel.pipeline);
      this.lastPipeline = kernel.pipeline;
    }
    // Group 0 holds the parameters: set every time, their offset changes with each dispatch.
    // The others only when they changed.
    this.offsets[0] = paramsOffset;
    pass.setBindGroup(0, groups[0]!, this.offsets, 0, 1);
    for (let i = 1; i < groups.length; i++) {
      const g = groups[i]!;
      if (this.lastGroups[i] === g) continue;
      pass.setBindGroup(i, g);
      this.lastGroups[i] = g;
    }
    pass.dispatchWorkgroups(x, y, z);
    if (++this.dispatches >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** One call: params already written at `paramsOffset`, whole buffers bound in order. */
  run(
    kernel: Kernel,
    paramsOffset: number,
    bufs: readonly (PooledBuffer | Binding)[],
    x: number,
    y = 1,
    z = 1,
  ): void {
    this.dispatch(
      kernel,
      paramsOffset,
      this.bindGroups.forDispatch(kernel.modes, kernel.paramBytes, bufs),
      x,
      y,
      z,
    );
  }

  /** The workgroup grid for `n` invocations of a 1-D kernel (2-D past 65535 groups). */
  grid1d(n: number): [number, number] {
    const groups = Math.ceil(n / WORKGROUP);
    if (groups <= 65535) return [groups, 1];
    return [65535, Math.ceil(groups / 65535)];
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) {
      this.pass = this.commandEncoder().beginComputePass();
      this.lastPipeline = null;
      this.lastGroups.fill(null);
    }
    return this.pass;
  }

  /** An encoder for copies and clears (closes the open compute pass). */
  copyEncoder(): GPUCommandEncoder {
    this.check();
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
    return this.commandEncoder();
  }

  get pending(): boolean {
    return this.encoder !== null;
  }

  /** Submits everything recorded so far (params first: the queue keeps that order). */
  flush(): void {
    this.check();
    if (this.ringUsed > 0) {
      this.device.queue.writeBuffer(this.paramsBuffer, 0, this.ring, 0, this.ringUsed);
      this.ringUsed = 0;
    }
    if (this.encoder) {
      if (this.pass) {
        this.pass.end();
        this.pass = null;
      }
      this.device.queue.submit([this.encoder.finish()]);
      this.queueDepth.onSubmit(this.dispatches);
      this.encoder = null;
      this.dispatches = 0;
    }
    if (this.toDestroy.length > 0) {
      for (const b of this.toDestroy) b.buffer.destroy();
      this.toDestroy = [];
    }
  }

  /**
   * The error to report for a failed await: a device-lost error when the device is going
   * away (its `lost` promise may settle just after the failed call), else a recorded
   * implementation error, else the original.
   */
  private async explain(e: unknown): Promise<unknown> {
    if (await this.loss.lostWithin(100)) return this.loss.error;
    return this.errors.shift() ?? e;
  }

  /** Submits and waits until the GPU has finished everything submitted. */
  async sync(): Promise<void> {
    this.flush();
    const mark = this.queueDepth.mark;
    try {
      await this.loss.guard(this.device.queue.onSubmittedWorkDone());
    } catch (e) {
      throw await this.explain(e);
    }
    this.queueDepth.finishedUpTo(mark);
    this.throwRecorded();
  }

  /** Copies `bytes` of `src` to the host. */
  async read(src: PooledBuffer, bytes: number): Promise<ArrayBuffer> {
    this.check();
    const size = Math.max(4, Math.ceil(bytes / 4) * 4);
    const { buf } = this.readPool.acquire(size);
    // Recorded before any await: the read sees exactly the work enqueued before it.
    this.copyEncoder().copyBufferToBuffer(src.buffer, 0, buf.buffer, 0, size);
    this.flush();
    const mark = this.queueDepth.mark;
    try {
      await this.loss.guard(buf.buffer.mapAsync(GPUMapMode.READ, 0, size));
    } catch (e) {
      // Not returned to the pool: its state is unknown, and a read-back buffer holds a mapping.
      buf.buffer.destroy();
      throw await this.explain(e);
    }
    // The copy ran after everything submitted before it.
    this.queueDepth.finishedUpTo(mark);
    const out = buf.buffer.getMappedRange(0, size).slice(0, bytes);
    buf.buffer.unmap();
    this.readPool.release(buf);
    this.throwRecorded();
    return out;
  }

  /** Copies host bytes into `dst`, after everything already recorded (which may use it). */
  write(dst: PooledBuffer, data: ArrayBufferView): void {
    this.check();
    if (this.pending) this.flush();
    this.device.queue.writeBuffer(dst.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  /** Drops every pooled buffer and the device. */
  destroy(): void {
    if (!this.loss.error) {
      try {
        this.flush();
      } catch {
        // The device is going away anyway.
      }
    }
    this.storagePool.drain();
    this.readPool.drain();
    for (const b of this.toDestroy) b.buffer.destroy();
    this.toDestroy = [];
    this.paramsBuffer.destroy();
    // Later calls fail at once and clearly, whether or not the device itself goes away.
    this.loss.fail(new WebGPUDeviceLostError('destroyed', 'the backend was destroyed (backend.destroy())'));
  }
}
