import type { Backend, DType, Storage, TypedArray } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { expect } from 'vitest';
import { wasmSimd } from '../src/index.js';

/** The tests' one seeded generator (mulberry32), so failures reproduce. */
export { mulberry32 as rng } from '@stepwise/conformance';

export function randomData(dtype: DType, n: number, r: () => number, lo = -3, hi = 3): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
    case 'float64':
      return Float64Array.from({ length: n }, () => lo + (hi - lo) * r());
    case 'int32':
      return Int32Array.from({ length: n }, () => Math.floor(lo + (hi - lo) * r()));
    case 'bool':
      return Uint8Array.from({ length: n }, () => (r() < 0.5 ? 1 : 0));
  }
}

export interface Pair {
  readonly w: Backend;
  readonly c: Backend;
  /** The block that holds the heap below the placement (kept alive with the pair). */
  readonly filler?: Storage;
}

/** Where a test backend's heap hands out its blocks. */
export interface Placement {
  readonly name: string;
  /** Byte offset of the first block the tests allocate (undefined: the heap's own start). */
  readonly at?: number;
  /** Why this engine cannot run it (then the suite is skipped with this reason). */
  readonly refused?: string;
}

/**
 * Why this engine cannot run the placements past 2 GiB, or undefined when it can: they
 * need a 4 GiB wasm memory reserved (only a few MB of it is ever touched). Refusing is an
 * engine limit (32-bit hosts, small address-space ulimits), not a bug, so the suites skip
 * with this reason there; in CI (CI=true) they never skip, so CI cannot go green by refusing.
 */
export function highMemoryRefused(shared = false): string | undefined {
  try {
    new WebAssembly.Memory({ initial: 65536, maximum: 65536, ...(shared ? { shared: true } : {}) });
    return undefined;
  } catch (e) {
    if (process.env.CI === 'true') return undefined;
    const why = `skipped: this engine refused a 4 GiB WebAssembly.Memory (${String(e)})`;
    console.warn(`wasm-simd tests past 2 GiB ${why}`);
    return why;
  }
}

/**
 * Offsets at or past 2 GiB have the top bit set: a signed `>>` or an `<i32>` comparison on
 * them goes wrong. So the kernel suites run three times: at the heap's usual start, across
 * the 2 GiB line (the first blocks below it, the rest above) and in the last 256 MiB below
 * 4 GiB.
 */
export function placements(shared = false): Placement[] {
  const refused = highMemoryRefused(shared);
  return [
    { name: 'heap at its start' },
    { name: 'heap across 2 GiB', at: 2 ** 31 - 2 ** 16, refused },
    { name: 'heap near 4 GiB', at: 2 ** 32 - 2 ** 28, refused },
  ];
}

/**
 * Moves the backend's heap so the next block starts at byte `at`: one filler block below
 * it, never written, so its pages are never committed (the test stays a few MB of RSS).
 * Returns the filler (keep it alive; freeing it would hand the low space out again).
 */
export function placeHeap(b: Backend, at: number): Storage {
  const probe = b.alloc('float32', 1) as Storage & { ptr: number };
  const start = probe.ptr;
  b.free(probe);
  const filler = b.alloc('float32', (at - start) / 4);
  const next = b.alloc('float32', 1) as Storage & { ptr: number };
  expect(next.ptr, 'placeHeap: the heap did not start where asked').toBe(at);
  b.free(next);
  return filler;
}

/** A wasm-simd backend (heap at `place`, on `threads` threads) and cpu-js, to compare kernels. */
export async function pair(place: Placement = { name: 'heap at its start' }, threads = 1): Promise<Pair> {
  if (place.at === undefined) return { w: await wasmSimd({ initialMemoryMB: 64, threads }), c: cpuJs() };
  const w = await wasmSimd({ initialMemoryMB: 4095, threads });
  return { w, c: cpuJs(), filler: placeHeap(w, place.at) };
}
