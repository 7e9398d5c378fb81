/**
 * What every kernel call works with: the kernels' exports, views of the linear memory
 * (rebuilt when it grows), the heap, the argument block below it, one reusable scratch
 * block, and the worker pool when there is one. The backend owns one; `kernels/*` take it as
 * their first argument.
 *
 * The argument ("meta") block, META_BYTES at `meta`, holds what kernels read besides the
 * tensors: shapes and strides (and the walk's state, see assembly/walk.ts) from its start,
 * the scalar cell of `binaryScalar` just below FUSED_ARGS, a fused call's buffer pointers
 * and scalars at FUSED_ARGS, and with threads the pool's control block at CTL_OFFSET
 * followed by one argument block per thread.
 */

import type { DType, FusedProgram } from '@stepwise/core';
import { U8 } from './codes.js';
import type { FusedKernel } from './fused/compileFused.js';
import { Heap } from './heap.js';
import type { Kernels } from './kernelsBinary.js';
import type { JobArgs, JobKind } from './threads/jobs.js';
import type { FusedPrograms, WorkerPool } from './threads/workerPool.js';

/** Bytes reserved below the heap for kernel arguments. */
export const META_BYTES = 131072;
/** The worker pool's control block inside the meta block. */
export const CTL_OFFSET = 65536;
/** Per-thread argument blocks (a parallel job's share writes its own meta or fused args there). */
export const THREAD_ARGS = CTL_OFFSET + 256;
export const THREAD_ARGS_STRIDE = 1024;
/** Where fused-program arguments start inside the meta block. */
export const FUSED_ARGS = 32768;
/** Where the scalar cell of `binaryScalar` lives inside the meta block. */
export const SCALAR_CELL = FUSED_ARGS - 64;

/** Below these sizes a parallel kernel costs more in wake-ups than it saves. */
export const PAR_GEMM_FLOPS = 4e6;
export const PAR_ELEMENTS = 1 << 16;
/**
 * Fused (optimizer) programs split from this many elements per tensor: a step over 2^18
 * float32 parameters takes about 0.2 ms on one thread, well above a wake-up of the pool;
 * smaller tensors (most of a small model's) stay on the calling thread.
 */
export const PAR_FUSED_ELEMENTS = 1 << 18;
/** Reused heap blocks at least this large are zero-filled by the pool. */
export const PAR_ZERO_BYTES = 1 << 23;

/** Zero-fills `bytes` bytes at `off` with the kernels' memory.fill, in pieces below 2^31 bytes. */
export function zeroBytes(k: Kernels, off: number, bytes: number): void {
  for (let done = 0; done < bytes; done += 1 << 30) {
    k.fill(U8, off + done, Math.min(1 << 30, bytes - done), 0);
  }
}

/** Scratch above this size is given back after the call instead of kept for the next one. */
const KEEP_SCRATCH = 64 * 1024 * 1024;

/** A fused program compiled for this backend, and the id its workers know it under (0: none). */
export interface CompiledFused {
  run: FusedKernel;
  id: number;
}

export class Runtime {
  u8!: Uint8Array;
  i32!: Int32Array;
  f32!: Float32Array;
  f64!: Float64Array;
  readonly heap: Heap;
  /** Byte offset of the argument block. */
  readonly meta: number;
  /** The worker pool (threads > 1); dropped when it closes after a worker died. */
  pool: WorkerPool | undefined;
  /** Compiled fused programs by dtype and `program.key`. */
  readonly fusedByKey = new Map<string, CompiledFused>();
  /**
   * The same by program object, looked up first: `program.key` is the program's whole
   * text, and hashing it per call cost Adam's step several µs.
   */
  fusedByProgram = new WeakMap<FusedProgram, Partial<Record<DType, CompiledFused>>>();
  /** The same by pool id, for share 0 of a parallel fused job. */
  readonly fusedById: FusedPrograms = new Map();
  private scratchPtr = 0;
  private scratchSize = 0;

  constructor(
    readonly memory: WebAssembly.Memory,
    readonly k: Kernels,
  ) {
    this.meta = Math.ceil(k.heapBase() / 64) * 64;
    this.heap = new Heap(memory, this.meta + META_BYTES);
    this.heap.onGrow = () => this.refreshViews();
    // Reused blocks are zeroed with wasm's memory.fill (the `fill` kernel on bytes): on a
    // shared memory (threads) V8 fills a typed array with one relaxed atomic store per
    // byte, 25x slower (8 MB: 2.3 ms against 0.09 ms). Large blocks go to the pool.
    this.heap.zero = (off, bytes) => {
      const pool = this.poolFor(bytes, PAR_ZERO_BYTES);
      if (pool) this.runJob(pool, 'zero', { ptr: off, bytes, u8: U8 });
      else zeroBytes(this.k, off, bytes);
    };
    this.refreshViews();
  }

  private refreshViews(): void {
    const buf = this.memory.buffer;
    this.u8 = new Uint8Array(buf);
    this.i32 = new Int32Array(buf);
    this.f32 = new Float32Array(buf);
    this.f64 = new Float64Array(buf);
  }

  /** Writes int32 lists one after another at the start of the argument block. */
  writeMeta(...lists: readonly (readonly number[])[]): void {
    let p = this.meta >>> 2;
    const i32 = this.i32;
    for (const l of lists) for (let i = 0; i < l.length; i++) i32[p++] = l[i];
  }

  /** A scratch block of at least `bytes`, reused across calls. */
  scratch(bytes: number): number {
    if (bytes > this.scratchSize) {
      if (this.scratchSize > 0) this.heap.free(this.scratchPtr, this.scratchSize);
      const size = Math.max(bytes, this.scratchSize * 2, 65536);
      this.scratchPtr = this.heap.alloc(size);
      this.scratchSize = size;
    }
    return this.scratchPtr;
  }

  /** Gives a large scratch block back after a call (a small one is kept for the next). */
  releaseBigScratch(): void {
    if (this.scratchSize > KEEP_SCRATCH) this.freeScratch();
  }

  private freeScratch(): void {
    if (this.scratchSize > 0) this.heap.free(this.scratchPtr, this.scratchSize);
    this.scratchSize = 0;
    this.scratchPtr = 0;
  }

  /** The pool, when there is one and a job of `work` (elements or flops) is worth splitting. */
  poolFor(work: number, threshold: number): WorkerPool | undefined {
    return work >= threshold ? this.pool : undefined;
  }

  /** Runs a job on the pool; a pool that lost a worker closes, and later calls run here. */
  runJob<K extends JobKind>(pool: WorkerPool, kind: K, args: JobArgs<K>): void {
    try {
      pool.run(kind, args, this.k, this.fusedById);
    } finally {
      if (pool.closed) this.pool = undefined;
    }
  }

  /** Stops the worker pool, drops compiled fused programs and scratch; storages stay valid. */
  destroy(): void {
    this.pool?.terminate();
    this.pool = undefined;
    this.fusedByKey.clear();
    this.fusedByProgram = new WeakMap();
    this.fusedById.clear();
    this.freeScratch();
  }
}
