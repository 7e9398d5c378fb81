/**
 * @stepwise/wasm-simd: the stepwise Backend in WebAssembly SIMD128 (f32x4 / f64x2), for
 * Node and browsers, single-threaded, no toolchain needed at install time.
 *
 *   import * as torch from '@stepwise/core';
 *   import '@stepwise/wasm-simd/register';
 */
import type { Backend } from '@stepwise/core';
import { instantiateKernels } from './loadKernels.js';
import { WasmSimdBackend } from './wasmSimdBackend.js';

export { WasmOutOfMemoryError } from './heap.js';
export { WasmSimdUnsupportedError } from './loadKernels.js';
export { WasmSimdBackend } from './wasmSimdBackend.js';

/** Options of `wasmSimd`. */
export interface WasmSimdOptions {
  /**
   * Linear memory reserved up front, in MiB (default 256). Pages are only committed when
   * touched; the memory grows (at least doubling) past this, up to 4 GiB, but each growth
   * slows plain-JS typed-array code in V8, so reserve what a workload needs.
   */
  readonly initialMemoryMB?: number;
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
  const memory = new WebAssembly.Memory({ initial: Math.ceil((mb * 1024 * 1024) / PAGE), maximum: 65536 });
  const kernels = await instantiateKernels(memory);
  return new WasmSimdBackend(memory, kernels);
}
