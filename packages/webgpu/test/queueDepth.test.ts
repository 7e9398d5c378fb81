/** How far a program runs ahead of the GPU: counted, and a loop that never awaits is told so once. */
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { QueueDepth } from '../src/queueDepth.js';
import { gpu } from './helpers.js';

/** A queue whose completions the test resolves by hand. */
function fakeQueue(): { queue: GPUQueue; done: (() => void)[] } {
  const done: (() => void)[] = [];
  const queue = {
    onSubmittedWorkDone: () => new Promise<undefined>((r) => done.push(() => r(undefined))),
  } as unknown as GPUQueue;
  return { queue, done };
}

describe('QueueDepth', () => {
  it('counts dispatches submitted and not yet seen finished', () => {
    const { queue } = fakeQueue();
    const q = new QueueDepth(queue, 1e9);
    q.onSubmit(128);
    q.onSubmit(5);
    expect(q.pending).toBe(133);
    const mark = q.mark;
    q.onSubmit(10);
    q.finishedUpTo(mark);
    expect(q.pending).toBe(10);
    q.finishedUpTo(0); // an older mark changes nothing
    expect(q.pending).toBe(10);
  });

  it('warns once, naming the fix, when a loop never waits', () => {
    const { queue } = fakeQueue();
    const warnings: string[] = [];
    const q = new QueueDepth(queue, 1000, (m) => warnings.push(m));
    for (let i = 0; i < 100; i++) q.onSubmit(128);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/without bound/);
    expect(warnings[0]).toMatch(/await backend\.sync\(\)/);
  });

  it('sees a loop that yields catch up: one completion is watched per 32 submits', async () => {
    const { queue, done } = fakeQueue();
    const q = new QueueDepth(queue, 1e9);
    for (let i = 0; i < 64; i++) q.onSubmit(1);
    expect(done).toHaveLength(2);
    done[1]!();
    await Promise.resolve();
    await Promise.resolve();
    expect(q.pending).toBe(0);
  });
});

describe('the queue of a real backend', () => {
  it('grows while nothing is awaited, and one await brings it back to zero', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const s = b.alloc('float32', 64);
    b.fill(s, 0);
    await b.sync();
    expect(b.resources().queuedDispatches).toBe(0);
    for (let i = 0; i < 1000; i++) b.binaryScalar('add', s, 1, s, false);
    // Dispatches are submitted in batches of 128; the open batch is not counted yet.
    expect(b.resources().queuedDispatches).toBeGreaterThanOrEqual(1000 - 128);
    expect(Array.from(await b.read(s)).every((v) => v === 1000)).toBe(true);
    expect(b.resources().queuedDispatches).toBe(0);
    b.free(s);
  });
});
