/**
 * The backend registry: which backends exist and which one creation functions use by
 * default. A backend package's `register` subpath calls `registerBackend` then `setBackend`.
 */
import type { Backend } from './backend.js';
import { BackendError } from './errors.js';

const backends = new Map<string, Backend>();
let current: Backend | undefined;

/** Adds (or replaces) a backend under its `name`. The first one registered becomes the default. */
export function registerBackend(b: Backend): void {
  backends.set(b.name, b);
  current ??= b;
}

/** Makes a backend (a registered name, or a Backend object, which is registered too) the default. */
export function setBackend(nameOrBackend: string | Backend): void {
  current = resolveBackend(nameOrBackend);
}

/** The default backend. Throws if no backend package was imported. */
export function getBackend(): Backend {
  if (!current) {
    throw new BackendError(
      "no backend is registered: import one, e.g. `import '@stepwise/cpu-js/register'` (or wasm-simd, webgpu)",
    );
  }
  return current;
}

/** Names of the registered backends. */
export function listBackends(): string[] {
  return [...backends.keys()];
}

/** A registered backend by name, or the Backend itself (registering it if it is new). */
export function resolveBackend(nameOrBackend: string | Backend | undefined): Backend {
  if (nameOrBackend === undefined) return getBackend();
  if (typeof nameOrBackend === 'string') {
    const b = backends.get(nameOrBackend);
    if (!b) {
      throw new BackendError(
        `unknown backend '${nameOrBackend}'; registered: ${listBackends().join(', ') || '(none)'}`,
      );
    }
    return b;
  }
  if (backends.get(nameOrBackend.name) !== nameOrBackend) registerBackend(nameOrBackend);
  return nameOrBackend;
}

/** Every registered backend (for `torch.memory()`). */
export function allBackends(): Backend[] {
  return [...backends.values()];
}
