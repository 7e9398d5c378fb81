/**
 * The one seeded generator of stepwise's tests: mulberry32 (a 32-bit state, full period,
 * good enough for test data), so a failure reproduces from its seed on every machine and
 * backend. The conformance suites, the kernel layer and the backends' own tests all draw
 * from it; fast-check's properties (`suites/property.ts`) use fast-check's own seeded
 * generator.
 *
 * @module @stepwise/conformance/seeded
 */

import { mulberry32 } from '@stepwise/core';

/** `mulberry32(seed)`: core's generator (the one `DataLoader` shuffles with), one copy. */
export { mulberry32 };

/** mulberry32 with the draws tests need: integers, picks, uniform values. */
export class SeededRng {
  readonly #next: () => number;

  constructor(seed: number) {
    this.#next = mulberry32(seed);
  }

  /** The next value in [0, 1). */
  next(): number {
    return this.#next();
  }

  /** An integer in [lo, hi], both included. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.#next() * (hi - lo + 1));
  }

  /** One element of `xs`. */
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.#next() * xs.length)]!;
  }

  /** A value in [lo, hi). */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.#next();
  }

  /** `n` values in [lo, hi). */
  values(n: number, lo: number, hi: number): number[] {
    return Array.from({ length: n }, () => this.uniform(lo, hi));
  }
}
