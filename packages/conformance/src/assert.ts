import { expect } from 'vitest';
import type { Tolerance } from './tolerance.js';

/** A fixture number: JSON cannot hold NaN or infinities, so the generator writes them as strings. */
export type FixtureNumber = number | 'nan' | 'inf' | '-inf';

/**
 * A fixture number as a JS number: the strings `"nan"`, `"inf"` and `"-inf"` that JSON cannot hold become NaN
 * and ±Infinity.
 */
export function fromFixture(v: FixtureNumber): number {
  if (v === 'nan') return Number.NaN;
  if (v === 'inf') return Number.POSITIVE_INFINITY;
  if (v === '-inf') return Number.NEGATIVE_INFINITY;
  return v;
}

/**
 * Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN matches NaN,
 * infinities match exactly), and reports the first offending index with both values.
 */
export function expectClose(
  actual: ArrayLike<number | boolean>,
  expected: ArrayLike<FixtureNumber>,
  tol: Tolerance,
  what = 'value',
): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = Number(actual[i]);
    const e = fromFixture(expected[i]!);
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : !Number.isFinite(e)
        ? a === e
        : Math.abs(a - e) <= tol.atol + tol.rtol * Math.abs(e);
    if (!ok) {
      expect.fail(
        `${what}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > atol ${tol.atol} + rtol ${tol.rtol})`,
      );
    }
  }
}
