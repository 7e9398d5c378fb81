/**
 * A size-bucketed pool of GPU buffers. Creating a GPUBuffer is expensive and GPU memory is
 * not garbage-collected, so freed storages return their buffer here and the next storage of
 * the same bucket reuses it. Buckets are powers of two split in quarters (at most 25%
 * slack), so a training loop that allocates the same shapes each step reaches a steady
 * state with no new buffers.
 *
 * The idle buffers are bounded by count as well as by bytes: every buffer costs the
 * implementation more than its bytes (Dawn objects, and on lavapipe one memory mapping per
 * bind group, while a process may hold only ~65,000 mappings), so thousands of small idle
 * buffers are as costly as a few large ones. Past either bound the least recently freed
 * buffers are evicted (their owner destroys them): a loop that reuses its shapes keeps
 * hitting the recent ones, while shapes of an earlier phase age out.
 */
import type { BufferGroups } from './bindGroups.js';

/** A GPU buffer with the bookkeeping the backend needs. */
export interface PooledBuffer {
  readonly buffer: GPUBuffer;
  /** Capacity in bytes (the bucket size). */
  readonly bytes: number;
  /** Unique, never reused: bind groups of several buffers are cached by these ids. */
  readonly id: number;
  /**
   * This buffer's own bind groups (see `bindGroups.ts`), kept while the buffer lives so a
   * reused buffer needs no new one; dropped when it is destroyed.
   */
  groups: BufferGroups | null;
}

export interface BufferPoolOptions {
  readonly usage: number;
  /** The most idle buffers kept. */
  readonly maxIdleBuffers: number;
  /** The most idle bytes kept. */
  readonly maxIdleBytes: number;
  /** The device's largest buffer: a bucket never exceeds it. */
  readonly maxBufferBytes: number;
  readonly create: (size: number, usage: number) => GPUBuffer;
  /** Receives each evicted buffer; the owner destroys it once no recorded work uses it. */
  readonly onEvict: (b: PooledBuffer) => void;
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
  /** Idle buffers per bucket size, most recently freed last. */
  private readonly free = new Map<number, PooledBuffer[]>();
  /** Every idle buffer in the order it was freed (a Set keeps insertion order): oldest first. */
  private readonly idle = new Set<PooledBuffer>();
  /** Bytes held in the pool, not in use. */
  idleBytes = 0;
  /** Buffers created over the pool's life (a test sees reuse as this staying flat). */
  created = 0;
  /** Buffers evicted over the pool's life. */
  evicted = 0;

  constructor(private readonly opts: BufferPoolOptions) {}

  /** Idle buffers held now. */
  get idleCount(): number {
    return this.idle.size;
  }

  acquire(bytes: number): { buf: PooledBuffer; fresh: boolean } {
    // Near the device's largest buffer the bucket would overshoot it: take the exact size.
    let size = bucketBytes(bytes);
    if (size > this.opts.maxBufferBytes) size = Math.ceil(bytes / 4) * 4;
    const reused = this.free.get(size)?.pop();
    if (reused) {
      this.idle.delete(reused);
      this.idleBytes -= size;
      return { buf: reused, fresh: false };
    }
    const buffer = this.opts.create(size, this.opts.usage);
    this.created++;
    return { buf: { buffer, bytes: size, id: nextId++, groups: null }, fresh: true };
  }

  release(buf: PooledBuffer): void {
    if (buf.bytes > this.opts.maxIdleBytes || this.opts.maxIdleBuffers === 0) {
      this.evict(buf);
      return;
    }
    let list = this.free.get(buf.bytes);
    if (!list) {
      list = [];
      this.free.set(buf.bytes, list);
    }
    list.push(buf);
    this.idle.add(buf);
    this.idleBytes += buf.bytes;
    while (this.idle.size > this.opts.maxIdleBuffers || this.idleBytes > this.opts.maxIdleBytes) {
      this.evictOldest();
    }
  }

  /** Hands every idle buffer to `onEvict` (memory pressure, destroy). */
  drain(): void {
    while (this.idle.size > 0) this.evictOldest();
  }

  private evictOldest(): void {
    const oldest = this.idle.values().next().value as PooledBuffer;
    this.idle.delete(oldest);
    this.idleBytes -= oldest.bytes;
    // Every buffer of its bucket was freed after it, so it is the first of its list.
    const list = this.free.get(oldest.bytes)!;
    list.shift();
    if (list.length === 0) this.free.delete(oldest.bytes);
    this.evict(oldest);
  }

  private evict(buf: PooledBuffer): void {
    this.evicted++;
    this.opts.onEvict(buf);
  }
}
