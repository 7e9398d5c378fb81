/**
 * Loading the backends the bench compares: stepwise's three and TensorFlow.js 4.22's
 * matching ones. Shared by `main.ts` and the memory section's child processes.
 */
import type { Backend } from '@stepwise/core';

export type StepwiseName = 'cpu-js' | 'wasm-simd' | 'webgpu';
export type TfjsName = 'cpu' | 'wasm' | 'webgpu';

/** Node has no navigator.gpu: install the `webgpu` package's (Dawn) globals. */
export async function installWebGPUGlobals(): Promise<void> {
  if ((globalThis as any).navigator?.gpu) return;
  const mod: any = await import('webgpu');
  Object.assign(globalThis, mod.globals);
  const gpu = mod.create([]);
  if ((globalThis as any).navigator)
    Object.defineProperty((globalThis as any).navigator, 'gpu', { value: gpu, configurable: true });
  else (globalThis as any).navigator = { gpu };
}

/**
 * A stepwise backend, initialised (not registered). Throws where it cannot start here.
 * `threads` is wasm-simd's worker pool size (default 1, single-threaded).
 */
export async function loadStepwise(name: StepwiseName, opts: { threads?: number } = {}): Promise<Backend> {
  if (name === 'cpu-js') {
    const { cpuJs } = await import('@stepwise/cpu-js');
    return cpuJs();
  }
  if (name === 'wasm-simd') {
    const { wasmSimd } = await import('@stepwise/wasm-simd');
    return await wasmSimd(opts.threads ? { threads: opts.threads } : {});
  }
  await installWebGPUGlobals();
  const mod: any = await import('@stepwise/webgpu');
  if (typeof mod.webgpu !== 'function') throw new Error('@stepwise/webgpu exports no webgpu() factory');
  return await mod.webgpu();
}

/** TensorFlow.js with `name` as its active backend. Throws where that backend cannot start. */
export async function loadTfjs(name: TfjsName): Promise<any> {
  const tf: any = await import('@tensorflow/tfjs');
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (name === 'webgpu') {
    await installWebGPUGlobals();
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (!(await tf.setBackend(name)))
    throw new Error(`tf.setBackend("${name}") failed${name === 'webgpu' ? ' (no WebGPU adapter?)' : ''}`);
  await tf.ready();
  return tf;
}
