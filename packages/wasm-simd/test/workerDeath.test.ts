import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Backend } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WasmWorkerError, wasmSimd } from '../src/index.js';
import { SHARE_SLOTS } from '../src/threads/jobs.js';
import { STUCK_MS } from '../src/threads/workerPool.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';
import { randomData, rng } from './helpers.js';

// Issue 10 item 2: a worker that dies must not hang the caller (Atomics.wait had no timeout
// and nothing watched the workers after start-up).

interface PoolInternals {
  workers: Worker[];
  memory: WebAssembly.Memory;
  ctlByte: number;
}
const poolOf = (b: WasmSimdBackend) => b.rt.pool as unknown as PoolInternals;

/**
 * A thread beside the pool that sees its control block. As a watchdog it releases a caller
 * still blocked after `releaseAfterMs` (sets "shares left" to 0), so a hang fails the test
 * instead of hanging the run. With `claim`, it also claims that worker's share of the next
 * job and never finishes it: a worker that died in the middle of its share.
 */
async function harness(
  b: WasmSimdBackend,
  opts: { releaseAfterMs: number; claim?: number },
): Promise<Worker> {
  const { memory, ctlByte } = poolOf(b);
  const src = `
const { workerData: d, parentPort } = require('node:worker_threads');
const ctl = new Int32Array(d.memory.buffer, d.ctlByte, 64);
const seen = Atomics.load(ctl, 0);
const deadline = Date.now() + d.releaseAfterMs;
parentPort.postMessage('ready');
if (d.claim > 0 && Atomics.wait(ctl, 0, seen, d.releaseAfterMs) !== 'timed-out') {
  const e = Atomics.load(ctl, 0);
  Atomics.compareExchange(ctl, ${SHARE_SLOTS} + d.claim, (e - 1) | 0, e);
}
const rest = deadline - Date.now();
if (rest > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, rest);
Atomics.store(ctl, 1, 0);
Atomics.notify(ctl, 1);
`;
  const h = new Worker(src, { eval: true, workerData: { memory, ctlByte, claim: opts.claim ?? 0, ...opts } });
  await once(h, 'message');
  return h;
}

const c: Backend = cpuJs();
const r = rng(91);
// 2 * 96 * 256 * 128 = 6.3 MFLOP: above the parallel threshold, split along M over 3 threads.
const [m, k, n] = [96, 256, 128];
const A = randomData('float32', m * k, r);
const B = randomData('float32', k * n, r);
function matmul(be: Backend): Float32Array {
  const sa = be.alloc('float32', m * k);
  be.write(sa, A);
  const sb = be.alloc('float32', k * n);
  be.write(sb, B);
  const so = be.alloc('float32', m * n);
  be.matmul(
    sa,
    sb,
    so,
    { batch: 1, m, k, n },
    { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
  );
  const out = be.readSync!(so) as Float32Array;
  for (const s of [sa, sb, so]) be.free(s);
  return out;
}
const want = matmul(c);
function expectRight(got: Float32Array, what: string): void {
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(got[i]! - want[i]!) > 1e-4 * Math.max(1, Math.abs(want[i]!)))
      expect.fail(`${what}[${i}]: ${got[i]}, want ${want[i]}`);
  }
}

describe('a dead worker (issue 10 item 2)', () => {
  const harnesses: Worker[] = [];
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.terminate();
    vi.restoreAllMocks();
  });

  it('terminated just before a parallel matmul: the call completes right within a second, then one thread', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 64, threads: 3 })) as WasmSimdBackend;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expectRight(matmul(b), 'before');
    harnesses.push(await harness(b, { releaseAfterMs: 5000 }));
    void poolOf(b).workers[0]!.terminate(); // worker 1; its exit event cannot arrive during the call
    const t0 = performance.now();
    const got = matmul(b);
    const ms = performance.now() - t0;
    expect(ms).toBeLessThan(1000);
    expectRight(got, 'after the death');
    expect(b.threads).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/worker 1 .*ran on the calling thread/));
    expectRight(matmul(b), 'on one thread');
  });

  it('exited between calls (its exit event seen): the next call runs its share at once', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 64, threads: 3 })) as WasmSimdBackend;
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    harnesses.push(await harness(b, { releaseAfterMs: 5000 }));
    const wk = poolOf(b).workers[1]!; // worker 2
    void wk.terminate();
    await once(wk, 'exit');
    const t0 = performance.now();
    const got = matmul(b);
    expect(performance.now() - t0).toBeLessThan(400); // no waiting for it to pick the job up
    expectRight(got, 'after the exit');
    expect(b.threads).toBe(1);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/worker 2 exited with code 1/));
  });

  it('dead in the middle of its share: a clear WasmWorkerError after STUCK_MS, then one thread', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 64, threads: 3 })) as WasmSimdBackend;
    // The harness claims worker 1's share of the next job (as worker 1 would on waking)
    // and never finishes it; the real worker 1 is terminated so it cannot claim it first.
    harnesses.push(await harness(b, { releaseAfterMs: 3 * STUCK_MS, claim: 1 }));
    void poolOf(b).workers[0]!.terminate();
    const t0 = performance.now();
    let err: unknown;
    try {
      matmul(b);
    } catch (e) {
      err = e;
    }
    const ms = performance.now() - t0;
    expect(err).toBeInstanceOf(WasmWorkerError);
    expect(String(err)).toMatch(
      /stopped in the middle of a parallel kernel.*the result of this call is lost/,
    );
    expect(ms).toBeGreaterThanOrEqual(STUCK_MS);
    expect(ms).toBeLessThan(2 * STUCK_MS);
    expect(b.threads).toBe(1);
    expectRight(matmul(b), 'on one thread');
  });
});
