/**
 * A pool of workers sharing the backend's `WebAssembly.Memory` (a SharedArrayBuffer), for
 * matmul, conv2d, fused optimizer programs and large unary and binary ops. Kernels stay
 * synchronous: the calling thread publishes a job in a control block (`jobs.ts`: its
 * layout, and each job's arguments by name), wakes the workers with
 * `Atomics.notify`, does its own share, then waits for the others (`Atomics.wait` where the
 * platform allows it on this thread, a spin on `Atomics.load` on a browser's main thread).
 *
 * A worker can die (terminated, crashed). Its `exit` event cannot reach a caller blocked in
 * `Atomics.wait`, so the caller waits in slices and watches what the workers write into the
 * shared control block: each worker claims its share of a job (a compare-exchange of its
 * slot from the previous epoch to this one) before running it. A share still unclaimed
 * START_MS after the job was posted belongs to a dead worker (a live one wakes within
 * microseconds): the caller claims it itself, runs it, and the job completes; a worker that
 * woke later would find its share taken and skip it. A share claimed but unfinished
 * max(STUCK_MS, 10x the caller's own share) after the caller finished its own is a worker
 * that died mid-share (shares are equal, so a live one finishes about when the caller
 * does): that cannot be redone safely (it may still be writing), so it is a WasmWorkerError.
 * Deaths seen between jobs (`exit`/`error` events) make the caller run those shares at
 * once. Either way the pool then shuts down and the backend runs on one thread.
 *
 * Workers: Node's `worker_threads` (unref'd, so they never keep a process alive), or
 * browser Workers from a Blob URL (needs cross-origin isolation: COOP/COEP headers).
 */
import { WasmWorkerError } from '../errors.js';
import { executeJob } from './executeJob.js';
import {
  CTL_EPOCH,
  CTL_ERROR,
  CTL_KIND,
  CTL_LEFT,
  CTL_PROBE,
  CTL_WORDS,
  JOB_EXIT,
  type JobArgs,
  type JobKind,
  PROTOCOL,
  readJob,
  SHARE_SLOTS,
  writeJob,
} from './jobs.js';

/** A share unclaimed this long after the job was posted belongs to a dead worker. */
export const START_MS = 500;
/**
 * A claimed share unfinished this long (at least) after the caller finished its own: the
 * worker died in it. Long, because the verdict throws: a live worker that the OS left
 * unscheduled for a second did happen on a 2-core machine at load ~20, and a worker that
 * truly dies mid-share (terminated from outside, crashed) is rare enough to wait for.
 */
export const STUCK_MS = 5000;
/** The caller re-checks the workers this often while it waits. */
const SLICE_MS = 20;

/** A compiled fused program, by the id the workers know it under. */
export type FusedPrograms = Map<number, (args: number, n: number) => void>;

interface AnyWorker {
  terminate(): unknown;
}

/** Why workers died, by index, as their `exit`/`error` events report it. */
type Deaths = Map<number, string>;

function workerSource(): string {
  // `__name` covers transpilers that keep function names with a helper call.
  return `
const __name = (f) => f;
const readJob = ${readJob.toString()};
const executeJob = ${executeJob.toString()};
const PROTOCOL = ${JSON.stringify(PROTOCOL)};
function start(data, ready) {
  const { module, memory, index, threads, ctlByte } = data;
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm-simd worker: abort'); } } }).exports;
  const ctl = new Int32Array(memory.buffer, ctlByte, ${CTL_WORDS});
  const fused = new Map();
  let seen = Atomics.load(ctl, ${CTL_EPOCH});
  ready();
  for (;;) {
    Atomics.wait(ctl, ${CTL_EPOCH}, seen);
    seen = Atomics.load(ctl, ${CTL_EPOCH});
    if (ctl[${CTL_KIND}] === ${JOB_EXIT}) return;
    // Claim this share; if the caller already took it over (we woke too late), skip it.
    if (Atomics.compareExchange(ctl, ${SHARE_SLOTS} + index, (seen - 1) | 0, seen) !== ((seen - 1) | 0)) continue;
    try {
      executeJob(k, memory, readJob(ctl, PROTOCOL), index, threads, fused);
    } catch (e) {
      Atomics.store(ctl, ${CTL_ERROR}, 1);
    }
    if (Atomics.sub(ctl, ${CTL_LEFT}, 1) === 1) Atomics.notify(ctl, ${CTL_LEFT});
  }
}
if (typeof self !== 'undefined' && typeof self.postMessage === 'function' && typeof require === 'undefined') {
  self.onmessage = (e) => start(e.data, () => self.postMessage('ready'));
} else {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, () => parentPort.postMessage('ready'));
}
`;
}

/**
 * Imports a Node built-in without letting browser bundlers see the specifier (they would
 * warn about, or stub, a module that only the Node branch ever loads).
 */
export function importNode(specifier: string): Promise<unknown> {
  return import(/* @vite-ignore */ /* webpackIgnore: true */ specifier);
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** Whether this platform can share a WebAssembly.Memory between threads. */
export function canUseThreads(): boolean {
  if (typeof SharedArrayBuffer === 'undefined' || typeof Atomics === 'undefined') return false;
  if (isNode()) return true;
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  return g.crossOriginIsolated === true && typeof g.Worker === 'function';
}

export class WorkerPool {
  private readonly ctl: Int32Array;
  private readonly canBlock: boolean;
  private nextId = 1;
  /** Set once a worker died: the pool is shut down and the backend must stop using it. */
  closed = false;

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly threads: number,
    readonly ctlByte: number,
    private readonly workers: AnyWorker[],
    private readonly deaths: Deaths,
  ) {
    this.ctl = new Int32Array(memory.buffer, ctlByte, CTL_WORDS);
    // Atomics.wait throws on a browser's main thread; elsewhere it blocks cheaply.
    let canBlock = true;
    try {
      Atomics.wait(this.ctl, CTL_PROBE, 1, 0);
    } catch {
      canBlock = false;
    }
    this.canBlock = canBlock;
  }

  /** Starts `threads - 1` workers (the calling thread is the first share of every job). */
  static async create(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    threads: number,
    ctlByte: number,
  ): Promise<WorkerPool> {
    const src = workerSource();
    const workers: AnyWorker[] = [];
    const ready: Promise<void>[] = [];
    const deaths: Deaths = new Map();
    new Int32Array(memory.buffer, ctlByte, CTL_WORDS).fill(0);
    if (isNode()) {
      const { Worker } = (await importNode('node:worker_threads')) as typeof import('node:worker_threads');
      for (let i = 1; i < threads; i++) {
        const wk = new Worker(src, {
          eval: true,
          workerData: { module, memory, index: i, threads, ctlByte },
        });
        wk.unref();
        workers.push(wk);
        // Kept for the pool's life: a death is recorded for the next call (and an 'error'
        // without a listener would crash the process).
        wk.on('exit', (code) => {
          if (!deaths.has(i)) deaths.set(i, `exited with code ${code}`);
        });
        ready.push(
          new Promise((resolve, reject) => {
            wk.once('message', () => resolve());
            wk.on('error', (e) => {
              deaths.set(i, `failed: ${e.message}`);
              reject(e);
            });
          }),
        );
      }
    } else {
      const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
      for (let i = 1; i < threads; i++) {
        const wk = new Worker(url);
        workers.push(wk);
        ready.push(
          new Promise((resolve, reject) => {
            wk.onmessage = () => resolve();
            wk.onerror = (e) => {
              deaths.set(i, `failed: ${e.message}`);
              reject(new Error(`wasm-simd worker failed to start: ${e.message}`));
            };
          }),
        );
        wk.postMessage({ module, memory, index: i, threads, ctlByte });
      }
    }
    await Promise.all(ready);
    return new WorkerPool(memory, threads, ctlByte, workers, deaths);
  }

  /** A fresh id for a fused program the workers should compile. */
  newProgramId(): number {
    return this.nextId++;
  }

  /**
   * Runs a job: posts its arguments (`jobs.ts`), wakes the workers, runs share 0 here with
   * `k`, waits for the rest. Shares of dead workers run here too (see the top of this
   * file); afterwards the pool is `closed`.
   */
  run<K extends JobKind>(kind: K, args: JobArgs<K>, k: unknown, fused: FusedPrograms): void {
    const ctl = this.ctl;
    const T = this.threads;
    writeJob(ctl, kind, args);
    // Share 0 reads the job back as the workers do: the same int32 words.
    const job = readJob(ctl, PROTOCOL);
    ctl[CTL_ERROR] = 0;
    Atomics.store(ctl, CTL_LEFT, T - 1);
    const epoch = (Atomics.add(ctl, CTL_EPOCH, 1) + 1) | 0;
    const prev = (epoch - 1) | 0;
    Atomics.notify(ctl, CTL_EPOCH);
    const posted = performance.now();
    let error: unknown;
    const share = (w: number) => {
      try {
        executeJob(k, this.memory, job, w, T, fused);
      } catch (e) {
        error ??= e;
      }
    };
    const takeOver = (w: number, why: string) => {
      if (Atomics.compareExchange(ctl, SHARE_SLOTS + w, prev, epoch) !== prev) return;
      if (!this.deaths.has(w)) this.deaths.set(w, why);
      share(w);
      Atomics.sub(ctl, CTL_LEFT, 1);
    };
    for (const w of this.deaths.keys()) takeOver(w, '');
    share(0);
    const ownDone = performance.now();
    const stuckAfter = Math.max(STUCK_MS, 10 * (ownDone - posted));
    for (;;) {
      const left = Atomics.load(ctl, CTL_LEFT);
      if (left === 0) break;
      if (this.canBlock) Atomics.wait(ctl, CTL_LEFT, left, SLICE_MS);
      const now = performance.now();
      if (now - posted >= START_MS) {
        for (let w = 1; w < T; w++) takeOver(w, `did not pick up a job within ${START_MS} ms`);
      }
      if (Atomics.load(ctl, CTL_LEFT) > 0 && now - ownDone >= stuckAfter) {
        this.close();
        throw new WasmWorkerError(
          `wasm-simd: a worker of the ${T}-thread pool stopped in the middle of a parallel kernel ` +
            `(${Math.round(now - ownDone)} ms after the calling thread finished its own share, ` +
            'its share has not finished); the result of this call is lost. The pool is shut ' +
            'down and this backend now runs on one thread; create a new backend for threads again.',
        );
      }
    }
    if (this.deaths.size > 0) {
      const why = [...this.deaths].map(([w, d]) => `worker ${w} ${d}`).join(', ');
      this.close();
      console.warn(
        `wasm-simd: ${why}; its share of the job ran on the calling thread. The pool is shut ` +
          'down and this backend now runs on one thread (create a new backend for threads again).',
      );
    }
    if (error !== undefined) throw error;
    if (ctl[CTL_ERROR] !== 0) throw new Error('wasm-simd: a worker failed while running a parallel kernel');
  }

  /** Stops the workers after one died (the backend drops a closed pool). */
  private close(): void {
    this.closed = true;
    this.terminate();
  }

  terminate(): void {
    this.ctl[CTL_KIND] = JOB_EXIT;
    Atomics.add(this.ctl, CTL_EPOCH, 1);
    Atomics.notify(this.ctl, CTL_EPOCH);
    for (const w of this.workers) w.terminate();
  }
}
