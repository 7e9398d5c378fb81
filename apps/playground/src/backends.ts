/**
 * The backends the page offers, what each needs from the browser, and how each is made.
 * `probe` runs once at startup and says why a backend cannot run here (null: it can), so
 * the page can disable it with the reason instead of offering it and failing on Train:
 * webgpu needs `navigator.gpu` and an adapter, wasm-simd needs WebAssembly SIMD128, and
 * its threads need SharedArrayBuffer in a cross-origin isolated page (COOP/COEP headers).
 */
import type { Backend } from '@stepwise/core';
import * as torch from '@stepwise/core';

export interface BackendChoice {
  /** The option's value. */
  readonly id: string;
  /** The option's text. */
  readonly label: string;
  /** The package, whose name its error messages already start with ("webgpu: …"). */
  readonly pkg: string;
  /** Why it cannot run in this browser, or null. */
  probe(): Promise<string | null>;
  /** Creates the backend (once; the page keeps it). */
  create(): Promise<Backend>;
}

/** The smallest module using SIMD128 (i8x16.splat, i8x16.popcnt): it validates where SIMD is supported. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98,
  11,
]);

function simdMissing(): string | null {
  if (typeof WebAssembly !== 'object') return 'no WebAssembly in this browser';
  try {
    return WebAssembly.validate(SIMD_PROBE) ? null : 'this browser has no WebAssembly SIMD128';
  } catch (e) {
    return `WebAssembly SIMD128 check failed (${(e as Error).message})`;
  }
}

/** Worker threads the threaded wasm-simd backend gets: every core, at most 16 (wasm-simd's 'auto'). */
export function threadCount(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency;
  return Math.max(1, Math.min(16, cores || 1));
}

function threadsMissing(): string | null {
  const simd = simdMissing();
  if (simd) return simd;
  if (typeof SharedArrayBuffer === 'undefined' || !globalThis.crossOriginIsolated)
    return 'needs a cross-origin isolated page (served with COOP: same-origin and COEP: require-corp) for SharedArrayBuffer';
  if (typeof Worker !== 'function') return 'this browser has no Web Workers';
  if (threadCount() < 2) return 'this machine reports one hardware thread';
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `shared WebAssembly memory is refused (${(e as Error).message})`;
  }
  return null;
}

interface GpuLike {
  requestAdapter(): Promise<{ info?: { vendor?: string; description?: string } } | null>;
}

/** How long the adapter request may take before webgpu is called unavailable. */
const ADAPTER_TIMEOUT_MS = 10_000;

async function webgpuMissing(): Promise<string | null> {
  const gpu = (navigator as { gpu?: GpuLike }).gpu;
  if (!gpu)
    return 'navigator.gpu is missing: this browser has WebGPU off (or the page is not a secure context)';
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const adapter = await Promise.race([
      gpu.requestAdapter(),
      new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), ADAPTER_TIMEOUT_MS);
      }),
    ]);
    if (adapter === 'timeout')
      return `navigator.gpu.requestAdapter() did not answer in ${ADAPTER_TIMEOUT_MS / 1000} s`;
    if (!adapter) return 'no GPU adapter: navigator.gpu.requestAdapter() returned null';
    return null;
  } catch (e) {
    return `navigator.gpu.requestAdapter() failed: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Imports a backend's register module (which makes it the default) and returns that backend. */
async function viaRegister(load: () => Promise<unknown>): Promise<Backend> {
  await load();
  return torch.getBackend();
}

export const BACKENDS: readonly BackendChoice[] = [
  {
    id: 'cpu-js',
    label: 'cpu-js',
    pkg: 'cpu-js',
    probe: async () => null,
    create: () => viaRegister(() => import('@stepwise/cpu-js/register')),
  },
  {
    id: 'wasm-simd',
    label: 'wasm-simd',
    pkg: 'wasm-simd',
    probe: async () => simdMissing(),
    create: () => viaRegister(() => import('@stepwise/wasm-simd/register')),
  },
  {
    id: 'wasm-simd-threads',
    label: `wasm-simd, ${threadCount()} threads`,
    pkg: 'wasm-simd',
    probe: async () => threadsMissing(),
    async create() {
      const { wasmSimd } = await import('@stepwise/wasm-simd');
      const b = await wasmSimd({ threads: threadCount() });
      // wasmSimd quietly runs on one thread where threads cannot work: say so instead.
      const threads = (b as { threads?: number }).threads ?? 1;
      if (threads < 2)
        throw new Error('wasm-simd: the worker threads could not start (running on one thread)');
      return b;
    },
  },
  {
    id: 'webgpu',
    label: 'webgpu',
    pkg: 'webgpu',
    probe: webgpuMissing,
    create: () => viaRegister(() => import('@stepwise/webgpu/register')),
  },
];

/** `"{backend}: {message}"`, without doubling a prefix the message already has ("webgpu: webgpu: …"). */
export function errorText(choice: Pick<BackendChoice, 'label' | 'pkg'>, e: unknown): string {
  const message = e instanceof Error ? e.message : String(e);
  for (const prefix of new Set([choice.label, choice.pkg])) {
    if (message.startsWith(`${prefix}:`)) return message;
  }
  return `${choice.label}: ${message}`;
}
