/**
 * Picks the backend from the command line (`--backend cpu-js|wasm-simd|webgpu`, default
 * cpu-js) by importing that package's `register` module, exactly as an app would with one
 * import line.
 */
import * as torch from '@stepwise/core';

export const BACKENDS = ['cpu-js', 'wasm-simd', 'webgpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function backendFromArgs(argv: readonly string[] = process.argv.slice(2)): BackendName {
  let name: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--backend' || a === '-b') name = argv[i + 1];
    else if (a.startsWith('--backend=')) name = a.slice('--backend='.length);
  }
  name ??= process.env.STEPWISE_BACKEND ?? 'cpu-js';
  if (!(BACKENDS as readonly string[]).includes(name)) {
    throw new Error(`unknown backend '${name}': choose one of ${BACKENDS.join(', ')}`);
  }
  return name as BackendName;
}

/** Imports the backend's register module (which makes it the default) and returns its name. */
export async function useBackend(name: BackendName): Promise<string> {
  switch (name) {
    case 'cpu-js':
      await import('@stepwise/cpu-js/register');
      break;
    case 'wasm-simd':
      await import('@stepwise/wasm-simd/register');
      break;
    case 'webgpu':
      await import('@stepwise/webgpu/register');
      break;
  }
  return torch.getBackend().name;
}

/** Whether the current default backend stores float64 (webgpu does not). */
export function hasFloat64(): boolean {
  return torch.getBackend().dtypes.includes('float64');
}
