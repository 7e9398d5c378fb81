/**
 * @stepwise/cpu-js: the reference backend, PyTorch's CPU device as plain TypeScript
 * kernels on typed arrays.
 *
 *   import * as torch from '@stepwise/core';
 *   import '@stepwise/cpu-js/register'; // or: torch.setBackend(cpuJs())
 *
 * @module @stepwise/cpu-js
 */
import type { Backend } from '@stepwise/core';
import { CpuJsBackend } from './cpuJsBackend.js';

export { CpuJsBackend } from './cpuJsBackend.js';
export { fusedSource } from './kernels/fused.js';
export { CpuStorage } from './storage.js';

/**
 * Creates a cpu-js backend (the counterpart of PyTorch's `device='cpu'`): synchronous,
 * all four dtypes, reads available synchronously.
 */
export function cpuJs(): Backend {
  return new CpuJsBackend();
}
