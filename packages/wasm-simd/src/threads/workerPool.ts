/**
 * A pool of workers sharing the backend's `WebAssembly.Memory` (a SharedArrayBuffer), for
 * matmul, fused optimizer programs and large unary ops. Kernels stay synchronous: the
 * calling thread publishes a job in a control block, wakes the workers with
 * `Atomics.notify`, does its own share, then waits for the others (`Atomics.wait` where the
 * platform allows it on this thread, a spin on `Atomics.load` on a browser's main thread).
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

interface AnyWorker {
  terminate(): unknown;
}

function workerSource(): string {
  // `__name` covers transpilers that keep function names with a helper call.
  return `
const __name = (f) => f;
const executeJob = ${executeJob.toString()};
function start(data, ready) {
  const { module, memory, index, threads, ctlByte } = data;
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('wasm-simd worker: abort'); } } }).exports;
  const ctl = new Int32Array(memory.buffer, ctlByte, 32);
  const fused = new Map();
  let seen = Atomics.load(ctl, 0);
  ready();
  for (;;) {
    Atomics.wait(ctl, 0, seen);
    seen = Atomics.load(ctl, 0);
    if (ctl[2] === ${JOB_EXIT}) return;
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

  private constructor(
    readonly memory: WebAssembly.Memory,
    readonly threads: number,
    readonly ctlByte: number,
    private readonly workers: AnyWorker[],
  ) {
    this.ctl = new Int32Array(memory.buffer, ctlByte, 32);
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
    new Int32Array(memory.buffer, ctlByte, 32).fill(0);
    if (isNode()) {
      const { Worker } = (await importNode('node:worker_threads')) as typeof import('node:worker_threads');
      for (let i = 1; i < threads; i++) {
        const wk = new Worker(src, {
          eval: true,
          workerData: { module, memory, index: i, threads, ctlByte },
        });
        wk.unref();
        workers.push(wk);
        ready.push(
          new Promise((resolve, reject) => {
            wk.once('message', () => resolve());
            wk.once('error', reject);
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
            wk.onerror = (e) => reject(new Error(`wasm-simd worker failed to start: ${e.message}`));
          }),
        );
        wk.postMessage({ module, memory, index: i, threads, ctlByte });
      }
    }
    await Promise.all(ready);
    return new WorkerPool(memory, threads, ctlByte, workers);
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
   * the workers, runs share 0 here with `k`, waits for the rest.
   */
  run(kind: number, k: unknown, fused: Map<number, (args: number, n: number) => void>): void {
    const ctl = this.ctl;
    ctl[2] = kind;
    ctl[31] = 0;
    Atomics.store(ctl, 1, this.threads - 1);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    let error: unknown;
    try {
      executeJob(k, this.memory, this.ctlByte, 0, this.threads, fused);
    } catch (e) {
      error = e;
    }
    for (;;) {
      const left = Atomics.load(ctl, 1);
      if (left === 0) break;
      if (this.canBlock) Atomics.wait(ctl, 1, left);
    }
    if (error !== undefined) throw error;
    if (ctl[31] !== 0) throw new Error('wasm-simd: a worker failed while running a parallel kernel');
  }

  terminate(): void {
    this.ctl[2] = JOB_EXIT;
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    for (const w of this.workers) w.terminate();
  }
}
