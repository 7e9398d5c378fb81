import { WasmSimdUnsupportedError } from './errors.js';
import { type Kernels, kernelsBase64, kernelsSharedBase64 } from './kernelsBinary.js';

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const g = globalThis as { Buffer?: { from(s: string, enc: string): Uint8Array } };
  if (g.Buffer) return new Uint8Array(g.Buffer.from(b64, 'base64'));
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const compiled = new Map<boolean, Promise<WebAssembly.Module>>();

/** Compiles the embedded kernels once per process (each backend instantiates its own copy). */
export function kernelsModule(shared: boolean): Promise<WebAssembly.Module> {
  let m = compiled.get(shared);
  if (!m) {
    if (typeof WebAssembly !== 'object')
      return Promise.reject(new WasmSimdUnsupportedError('no WebAssembly'));
    const bytes = decodeBase64(shared ? kernelsSharedBase64 : kernelsBase64);
    if (!WebAssembly.validate(bytes)) {
      return Promise.reject(new WasmSimdUnsupportedError('the SIMD module does not validate'));
    }
    m = WebAssembly.compile(bytes);
    compiled.set(shared, m);
  }
  return m;
}

export async function instantiateKernels(
  module: WebAssembly.Module,
  memory: WebAssembly.Memory,
): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, {
    env: {
      memory,
      abort: () => {
        throw new Error('wasm-simd: kernel abort');
      },
    },
  });
  return instance.exports as unknown as Kernels;
}
