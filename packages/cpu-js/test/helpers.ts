import { type SeededRng as Rng, randomLayout } from '@stepwise/conformance';
import type { DType, Storage, TypedArray, View } from '@stepwise/core';
import { expect } from 'vitest';
import type { CpuJsBackend } from '../src/index.js';

/** The tests' one seeded generator (mulberry32), so failures reproduce. */
export { SeededRng as Rng } from '@stepwise/conformance';

export function arrayFor(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(n);
    case 'float64':
      return new Float64Array(n);
    case 'int32':
      return new Int32Array(n);
    case 'bool':
      return new Uint8Array(n);
  }
}

/** Random values for a dtype; floats occasionally hit the special values. */
export function randomData(
  rng: Rng,
  dtype: DType,
  n: number,
  opts: { specials?: boolean; lo?: number; hi?: number } = {},
): TypedArray {
  const out = arrayFor(dtype, n);
  const lo = opts.lo ?? -5;
  const hi = opts.hi ?? 5;
  const specials = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1, -1];
  for (let i = 0; i < n; i++) {
    if (dtype === 'bool') out[i] = rng.next() < 0.5 ? 1 : 0;
    else if (dtype === 'int32') out[i] = rng.int(Math.ceil(lo), Math.floor(hi));
    else if (opts.specials && rng.next() < 0.05) out[i] = rng.pick(specials);
    else out[i] = rng.uniform(lo, hi);
  }
  return out;
}

export function makeStorage(b: CpuJsBackend, dtype: DType, data: TypedArray): Storage {
  const s = b.alloc(dtype, data.length);
  b.write(s, data);
  return s;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Unravels a row-major flat index into a multi-index. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return idx;
}

export function viewAt(v: { strides: readonly number[]; offset: number }, idx: readonly number[]): number {
  let p = v.offset;
  for (let d = 0; d < idx.length; d++) p += idx[d] * v.strides[d];
  return p;
}

/** A random shape (sizes include 1, 7 and 33), as the kernel layer draws them. */
export { randomShape } from '@stepwise/conformance';

/**
 * A random view of `shape` into a fresh storage (the kernel layer's layouts: broadcast,
 * permuted, narrowed, stepped, offset), with the data it holds.
 */
export function randomView(
  rng: Rng,
  b: CpuJsBackend,
  dtype: DType,
  shape: readonly number[],
  opts: { contiguous?: boolean; broadcast?: boolean; specials?: boolean; lo?: number; hi?: number } = {},
): { view: View; data: TypedArray } {
  const { strides, offset, size } = randomLayout(rng, shape, opts);
  const data = randomData(rng, dtype, size, opts);
  const storage = makeStorage(b, dtype, data);
  return { view: { storage, shape: [...shape], strides, offset }, data };
}

/** Element-wise equality where NaN equals NaN and -0 differs from 0 (bit-level for our purposes). */
export function expectSameValues(actual: ArrayLike<number>, expected: ArrayLike<number>, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    if (!Object.is(actual[i], expected[i])) {
      expect.fail(`${what} element ${i}: got ${actual[i]}, expected ${expected[i]}`);
    }
  }
}

/** |a - e| <= atol + rtol |e|, NaN matching NaN and infinities matching exactly. */
export function expectAllClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  atol: number,
  what = '',
): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (
      Number.isNaN(e)
        ? Number.isNaN(a)
        : !Number.isFinite(e)
          ? a === e
          : Math.abs(a - e) <= atol + rtol * Math.abs(e)
    )
      continue;
    expect.fail(`${what} element ${i}: got ${a}, expected ${e}`);
  }
}

/** Rounds float64 reference values into the dtype's array (what a store does). */
export function asDType(dtype: DType, values: ArrayLike<number>): TypedArray {
  const out = arrayFor(dtype, values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

export function read(b: CpuJsBackend, s: Storage): TypedArray {
  return b.readSync(s);
}
