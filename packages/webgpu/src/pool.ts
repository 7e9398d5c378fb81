/**
 * A size-bucketed pool of GPU buffers. Creating a GPUBuffer is expensive and GPU memory is
 * not garbage-collected, so freed storages return their buffer here and the next storage of
 * the same bucket reuses it. Buckets are powers of two split in quarters (at most 25%
 * slack), so a training loop that allocates the same shapes each step reaches a steady
 * state with no new buffers.
 */

/** A GPU buffer with the bookkeeping the backend needs: a unique id for bind-group caches. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the bucket size). */
  readonly bytes: number;
  /** Unique, never reused: bind groups are cached by these ids. */
  readonly id: number;
}

let nextId = 1;

/** Rounds a byte count up to its bucket: 256 B minimum, then 2^k * {1, 1.25, 1.5, 1.75}. */
export function bucketBytes(bytes: number): number {
  if (bytes <= 256) return 256;
  const p = 2 ** Math.floor(Math.log2(bytes));
  if (p === bytes) return p;
  const q = p / 4;
  return p + Math.ceil((bytes - p) / q) * q;
}

export class BufferPool {
  private readonly free = new Map<number, PooledBuffer[]>();
  /** Bytes held in the pool, not in use. */
  pooledBytes = 0;
  /** Buffers created over the pool's life (a test sees reuse as this staying flat). */
  created = 0;

  constructor(
    device: GPUDevice,
    private readonly usage: number,
    /** The most bytes kept idle; beyond it freed buffers are destroyed. */
    private readonly maxPooledBytes: number,
    /** Buffers that were evicted: destroyed by the owner once pending work is submitted. */
    private readonly onEvict: (b: PooledBuffer) => void,
    private readonly create: (size: number, usage: number) => GPUBuffer = (size, usage) =>
      device.createBuffer({ size, usage }),
    private readonly maxBufferBytes: number = device.limits.maxBufferSize,
  ) {}

  acquire(bytes: number): { buf: PooledBuffer; fresh: boolean } {
    // Near the device's largest buffer the bucket would overshoot it: take the exact size.
    let size = bucketBytes(bytes);
    if (size > this.maxBufferBytes) size = Math.ceil(bytes / 4) * 4;
    const list = this.free.get(size);
    const reused = list?.pop();
    if (reused) {
      this.pooledBytes -= size;
      return { buf: reused, fresh: false };
    }
    const buffer = this.create(size, this.usage);
    this.created++;
    return { buf: { buffer, bytes: size, id: nextId++ }, fresh: true };
  }

  release(buf: PooledBuffer): void {
    if (this.pooledBytes + buf.bytes > this.maxPooledBytes) {
      this.onEvict(buf);
      return;
    }
    let list = this.free.get(buf.bytes);
    if (!list) {
      list = [];
      this.free.set(buf.bytes, list);
    }
    list.push(buf);
    this.pooledBytes += buf.bytes;
  }

  /** Hands every idle buffer to `onEvict` (memory pressure, destroy). */
  drain(): void {
    for (const list of this.free.values()) for (const b of list) this.onEvict(b);
    this.free.clear();
    this.pooledBytes = 0;
  }
}
