/**
 * The backend registry: which backends exist and which one creation functions use by
 * default. A backend package's `register` subpath calls `registerBackend` then `setBackend`.
 */
import type { Backend } from './backend.js';
import { BackendError } from './errors.js';

const backends = new Map<string, Backend>();
let current: Backend | undefined;

// Two copies of core in one program keep two registries: a backend registered with one is
// invisible to tensors made by the other ("no backend is registered"). Each copy leaves its
// module URL on globalThis; a different URL is a second copy (the same URL is this module
// evaluated again, as test runners and hot reload do), and gets a warning.
const COPY = Symbol.for('@stepwise/core/registry');
const seen = (globalThis as { [COPY]?: string })[COPY];
if (seen === undefined) (globalThis as { [COPY]?: string })[COPY] = import.meta.url;
else if (seen !== import.meta.url) {
  console.warn(
    `two copies of @stepwise/core are loaded (${seen} and ${import.meta.url}): dedupe them ` +
      '(`npm ls @stepwise/core`); a backend registered with one copy is invisible to the other',
  );
}

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
