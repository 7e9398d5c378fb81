/**
 * A pool of workers sharing the backend's `WebAssembly.Memory` (a SharedArrayBuffer), for
 * matmul, fused optimizer programs and large unary ops. Kernels stay synchronous: the
 * calling thread publishes a job in a control block, wakes the workers with
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
import { executeJob } from './executeJob.js';

export const JOB_GEMM = 1;
export const JOB_FUSED = 2;
export const JOB_COMPILE = 3;
export const JOB_UNARY = 4;
export const JOB_CONV = 5;
export const JOB_BINARY = 6;
const JOB_EXIT = 0;

/** Words of the control block: [0] epoch, [1] shares still running, [2] kind, [3..] args, [31] error. */
const CTL_WORDS = 64;
/** Word SHARE_SLOTS + i: the last epoch whose share i was claimed (by worker i, or by the caller). */
export const SHARE_SLOTS = 32;
/** A share unclaimed this long after the job was posted belongs to a dead worker. */
const START_MS = 500;
/** A claimed share unfinished this long (at least) after the caller finished its own: the worker died in it. */
const STUCK_MS = 1000;
/** The caller re-checks the workers this often while it waits. */
const SLICE_MS = 20;

/** A worker died in the middle of a parallel kernel: the call's result is lost. */
export class WasmWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WasmWorkerError';
  }
}

interface AnyWorker {
  terminate(): unknown;
}

/** Why workers died, by index, as their `exit`/`error` events report it. */
type Deaths = Map<number, string>;

function workerSource(): string {
  // `__name` covers transpilers that keep function names with a helper call.
  return `
const __name = (f) => f;
const executeJob = ${executeJob.toString()};
function start(data, ready) {
  const { module, memory, index, threads, ctlByte } = data;
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm-simd worker: abort'); } } }).exports;
  const ctl = new Int32Array(memory.buffer, ctlByte, ${CTL_WORDS});
  const fused = new Map();
  let seen = Atomics.load(ctl, 0);
  ready();
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (ctl[2] === ${JOB_EXIT}) return;
    // Claim this share; if the caller already took it over (we woke too late), skip it.
    if (Atomics.compareExchange(ctl, ${SHARE_SLOTS} + index, (seen - 1) | 0, seen) !== ((seen - 1) | 0)) continue;
    try {
      executeJob(k, memory, ctlByte, index, threads, fused);
    } catch (e) {
      Atomics.store(ctl, 31, 1);
    }
    if (Atomics.sub(ctl, 1, 1) === 1) Atomics.notify(ctl, 1);
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
      Atomics.wait(this.ctl, 30, 1, 0);
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

  /** Argument words of the control block (index 3 is the first argument). */
  get args(): Int32Array {
    return this.ctl;
  }

  /** A fresh id for a fused program the workers should compile. */
  newProgramId(): number {
    return this.nextId++;
  }

  /**
   * Runs the job whose kind and arguments the caller wrote into `args` (words 3..): wakes
   * the workers, runs share 0 here with `k`, waits for the rest. Shares of dead workers run
   * here too (see the top of this file); afterwards the pool is `closed`.
   */
  run(kind: number, k: unknown, fused: Map<number, (args: number, n: number) => void>): void {
    const ctl = this.ctl;
    const T = this.threads;
    ctl[2] = kind;
    ctl[31] = 0;
    Atomics.store(ctl, 1, T - 1);
    const epoch = (Atomics.add(ctl, 0, 1) + 1) | 0;
    const prev = (epoch - 1) | 0;
    Atomics.notify(ctl, 0);
    const posted = performance.now();
    let error: unknown;
    const share = (w: number) => {
      try {
        executeJob(k, this.memory, this.ctlByte, w, T, fused);
      } catch (e) {
        error ??= e;
      }
    };
    const takeOver = (w: number, why: string) => {
      if (Atomics.compareExchange(ctl, SHARE_SLOTS + w, prev, epoch) !== prev) return;
      if (!this.deaths.has(w)) this.deaths.set(w, why);
      share(w);
      Atomics.sub(ctl, 1, 1);
    };
    for (const w of this.deaths.keys()) takeOver(w, '');
    share(0);
    const ownDone = performance.now();
    const stuckAfter = Math.max(STUCK_MS, 10 * (ownDone - posted));
    for (;;) {
      const left = Atomics.load(ctl, 1);
      if (left === 0) break;
      if (this.canBlock) Atomics.wait(ctl, 1, left, SLICE_MS);
      const now = performance.now();
      if (now - posted >= START_MS) {
        for (let w = 1; w < T; w++) takeOver(w, `did not pick up a job within ${START_MS} ms`);
      }
      if (Atomics.load(ctl, 1) > 0 && now - ownDone >= stuckAfter) {
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
    if (ctl[31] !== 0) throw new Error('wasm-simd: a worker failed while running a parallel kernel');
  }

  /** Stops the workers after one died (the backend drops a closed pool). */
  private close(): void {
    this.closed = true;
    this.terminate();
  }

  terminate(): void {
    this.ctl[2] = JOB_EXIT;
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    for (const w of this.workers) w.terminate();
  }
}
