/**
 * @stepwise/wasm-simd: the stepwise Backend in WebAssembly SIMD128 (f32x4 / f64x2), for
 * Node and browsers, single-threaded, no toolchain needed at install time.
 *
 *   import * as torch from '@stepwise/core';
 *   import '@stepwise/wasm-simd/register';
 *
 * @module @stepwise/wasm-simd
 */
import type { Backend } from '@stepwise/core';
import { instantiateKernels, kernelsModule } from './loadKernels.js';
import { canUseThreads, importNode, WorkerPool } from './threads/workerPool.js';
import { WasmSimdBackend } from './wasmSimdBackend.js';

export { WasmOutOfMemoryError, WasmSimdUnsupportedError, WasmWorkerError } from './errors.js';
export { WasmSimdBackend } from './wasmSimdBackend.js';

/** Options of `wasmSimd`. */
export interface WasmSimdOptions {
  /**
   * Linear memory reserved up front, in MiB (default 256). Pages are only committed when
   * touched; the memory grows (at least doubling) past this, up to 4 GiB, but each growth
   * slows plain-JS typed-array code in V8, so reserve what a workload needs.
   */
  readonly initialMemoryMB?: number;
  /**
   * Threads for matmul, conv2d, fused optimizer programs and large elementwise ops
   * (default 1: single-threaded). A number, or 'auto' for the machine's cores (at most 16).
   * Needs SharedArrayBuffer: Node's worker_threads, or a cross-origin isolated page
   * (COOP: same-origin, COEP: require-corp); elsewhere the backend quietly runs on one
   * thread (`backend.threads` says which).
   */
  readonly threads?: number | 'auto';
}

const MAX_THREADS = 16;

/**
 * The linear memory. Where the reservation is refused (small devices, 32-bit browsers), it
 * starts at 16 MiB instead and grows on demand.
 */
function createMemory(pages: number, shared: boolean): WebAssembly.Memory {
  const make = (initial: number) =>
    new WebAssembly.Memory({ initial, maximum: 65536, ...(shared ? { shared: true } : {}) });
  try {
    return make(pages);
  } catch (e) {
    if (pages <= 256) throw e;
    return make(256);
  }
}

async function hardwareThreads(): Promise<number> {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  try {
    const os = (await importNode('node:os')) as typeof import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  } catch {
    return 1;
  }
}

const PAGE = 65536;

/**
 * Creates the wasm-simd backend (PyTorch has no equivalent: it is the device, like
 * `torch.device('cpu')` with vectorised kernels). Asynchronous because WebAssembly
 * instantiation is; the backend itself is synchronous.
 */
export async function wasmSimd(opts: WasmSimdOptions = {}): Promise<Backend> {
  const mb = opts.initialMemoryMB ?? 256;
  if (!(mb > 0 && mb <= 4095)) {
    throw new RangeError(`wasmSimd: initialMemoryMB must be in (0, 4095], got ${String(mb)}`);
  }
  const t = opts.threads ?? 1;
  if (!(t === 'auto' || (Number.isInteger(t) && t >= 1))) {
    throw new RangeError(`wasmSimd: threads must be a positive integer or 'auto', got ${String(t)}`);
  }
  let threads = Math.min(MAX_THREADS, t === 'auto' ? await hardwareThreads() : t);
  if (threads > 1 && !canUseThreads()) threads = 1;
  const shared = threads > 1;
  const memory = createMemory(Math.ceil((mb * 1024 * 1024) / PAGE), shared);
  const module = await kernelsModule(shared);
  const kernels = await instantiateKernels(module, memory);
  const backend = new WasmSimdBackend(memory, kernels);
  if (shared) backend.attachPool(await WorkerPool.create(module, memory, threads, backend.ctlByte));
  return backend;
}
