/** The idle-buffer pool on its own (fake buffers): bounded by count and by bytes, oldest out first. */
import { describe, expect, it } from 'vitest';
import { BufferPool, type BufferPoolOptions, bucketBytes, type PooledBuffer } from '../src/pool.js';

function pool(opts: Partial<BufferPoolOptions> = {}): { pool: BufferPool; evicted: PooledBuffer[] } {
  const evicted: PooledBuffer[] = [];
  const p = new BufferPool({
    usage: 0,
    maxIdleBuffers: 4,
    maxIdleBytes: 1 << 20,
    maxBufferBytes: 1 << 30,
    create: (size) => ({ size }) as unknown as GPUBuffer,
    onEvict: (b) => evicted.push(b),
    ...opts,
  });
  return { pool: p, evicted };
}

describe('BufferPool', () => {
  it('buckets are powers of two split in quarters, 256 B at least', () => {
    expect([1, 256, 257, 320, 321, 1000, 1024, 1025].map(bucketBytes)).toEqual([
      256, 256, 320, 320, 384, 1024, 1024, 1280,
    ]);
  });

  it('a freed buffer is reused by the next allocation of its bucket', () => {
    const { pool: p } = pool();
    const a = p.acquire(1000);
    expect(a.fresh).toBe(true);
    p.release(a.buf);
    const b = p.acquire(900);
    expect(b.fresh).toBe(false);
    expect(b.buf).toBe(a.buf);
    expect(p.created).toBe(1);
  });

  it('keeps at most maxIdleBuffers idle buffers, evicting the least recently freed', () => {
    const { pool: p, evicted } = pool({ maxIdleBuffers: 4 });
    const bufs = Array.from({ length: 10 }, () => p.acquire(256).buf);
    for (const b of bufs) p.release(b);
    expect(p.idleCount).toBe(4);
    expect(p.idleBytes).toBe(4 * 256);
    expect(evicted).toEqual(bufs.slice(0, 6));
    // The most recently freed are the ones kept, and handed out newest first.
    expect(p.acquire(256).buf).toBe(bufs[9]);
  });

  it('keeps at most maxIdleBytes idle bytes, across buckets', () => {
    const { pool: p, evicted } = pool({ maxIdleBuffers: 100, maxIdleBytes: 4096 });
    const small = p.acquire(256).buf;
    const big = p.acquire(2048).buf;
    const big2 = p.acquire(2048).buf;
    p.release(small);
    p.release(big);
    expect(evicted).toEqual([]);
    p.release(big2); // 256 + 2048 + 2048 > 4096: the oldest (small) goes
    expect(evicted).toEqual([small]);
    expect(p.idleBytes).toBe(4096);
    // The oldest of a bucket leaves its list too: the bucket hands out only what is idle.
    expect(p.acquire(256).fresh).toBe(true);
    expect(p.acquire(2048).buf).toBe(big2);
    expect(p.acquire(2048).buf).toBe(big);
    expect(p.idleCount).toBe(0);
  });

  it('a buffer larger than maxIdleBytes is evicted at once', () => {
    const { pool: p, evicted } = pool({ maxIdleBytes: 1024 });
    const b = p.acquire(4096).buf;
    p.release(b);
    expect(evicted).toEqual([b]);
    expect(p.idleCount).toBe(0);
  });

  it('drain evicts every idle buffer', () => {
    const { pool: p, evicted } = pool();
    const bufs = [p.acquire(256).buf, p.acquire(512).buf, p.acquire(256).buf];
    for (const b of bufs) p.release(b);
    p.drain();
    expect(evicted).toEqual(bufs);
    expect(p.idleCount).toBe(0);
    expect(p.idleBytes).toBe(0);
    expect(p.acquire(256).fresh).toBe(true);
  });

  it('near the largest buffer the exact size is taken, not the bucket', () => {
    const { pool: p } = pool({ maxBufferBytes: 5000 });
    expect(p.acquire(4100).buf.bytes).toBe(4100);
    expect(p.acquire(3000).buf.bytes).toBe(bucketBytes(3000));
  });
});
