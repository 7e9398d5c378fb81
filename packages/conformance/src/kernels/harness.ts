/**
 * The kernel layer's harness: the same inputs on the backend under test and on the
 * reference, each kernel run on both, and the backend's result compared with the
 * reference's. The reference runs every float32 kernel in float64 (the inputs are the
 * float32 values, exactly), and its result is rounded to float32 as a store would round
 * it: the truth is cpu-js in float64 (DESIGN.md, "Cross-backend checks"). Integer and
 * bool kernels run in their own dtype on both and must agree exactly.
 */

import type { Backend, DType, Storage, TypedArray, View } from '@stepwise/core';
import { expect } from 'vitest';
import { expectClose } from '../assert.js';
import type { SeededRng } from '../seeded.js';
import { type Tolerance, type ToleranceKind, tolerance } from '../tolerance.js';

/** One storage on each side: `b` on the backend under test, `r` on the reference. */
export interface Pair {
  readonly b: Storage;
  readonly r: Storage;
  readonly dtype: DType;
  readonly size: number;
}

/** One view on each side, over a `Pair`. */
export interface ViewPair {
  readonly b: View;
  readonly r: View;
}

/** Picks one side of a pair: what a kernel call is written against, once for both backends. */
export type Side = <T>(p: { readonly b: T; readonly r: T }) => T;

/** The dtypes of a list that a run registers tests for (the `dtypes` option of `runKernelConformance`). */
export type KernelScope = (dtypes: readonly DType[]) => DType[];

/** Float32 is computed in float64 on the reference; every other dtype in itself. */
export const referenceDType = (d: DType): DType => (d === 'float32' ? 'float64' : d);

/** `values` as a typed array of `dtype` (rounded, truncated or 0/1 as a store would). */
export function arrayOf(dtype: DType, values: ArrayLike<number>): TypedArray {
  switch (dtype) {
    case 'float32':
      return Float32Array.from(values);
    case 'float64':
      return Float64Array.from(values);
    case 'int32':
      return Int32Array.from(values);
    case 'bool':
      return Uint8Array.from(values, (v) => (v ? 1 : 0));
  }
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}

export const numel = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** What an output holds before the kernel runs, so an element it never writes shows. */
const SENTINEL: Record<DType, number> = { float32: 7.25, float64: 7.25, int32: 7, bool: 1 };

export class KernelHarness {
  readonly #owned: [Backend, Storage][] = [];
  readonly #pending: Promise<void>[] = [];

  constructor(
    readonly backend: Backend,
    readonly reference: Backend,
  ) {}

  supports(dtype: DType): boolean {
    return this.backend.dtypes.includes(dtype);
  }

  #alloc(k: Backend, dtype: DType, size: number): Storage {
    const s = k.alloc(dtype, size);
    this.#owned.push([k, s]);
    return s;
  }

  /** `values` stored as `dtype` on the backend, and the same (rounded) values on the reference. */
  input(dtype: DType, values: ArrayLike<number>): Pair {
    const host = arrayOf(dtype, values);
    const b = this.#alloc(this.backend, dtype, host.length);
    this.backend.write(b, host);
    const rd = referenceDType(dtype);
    const r = this.#alloc(this.reference, rd, host.length);
    this.reference.write(r, rd === dtype ? host : arrayOf(rd, host));
    return { b, r, dtype, size: host.length };
  }

  /** An output of `size` elements; the backend's side holds a sentinel until the kernel writes it. */
  output(dtype: DType, size: number): Pair {
    const b = this.#alloc(this.backend, dtype, size);
    if (size > 0) this.backend.fill(b, SENTINEL[dtype]);
    const r = this.#alloc(this.reference, referenceDType(dtype), size);
    return { b, r, dtype, size };
  }

  /** |p| on the reference only: an input of the magnitudes an accumulating kernel is held to. */
  absOf(p: Pair): Storage {
    const out = this.#alloc(this.reference, referenceDType(p.dtype), p.size);
    if (p.dtype === 'bool')
      this.reference.copy({ storage: p.r, shape: [p.size], strides: [1], offset: 0 }, out);
    else this.reference.unary('abs', p.r, out);
    return out;
  }

  /** A reference-only storage shaped like `p` (for magnitudes). */
  referenceLike(p: Pair): Storage {
    return this.#alloc(this.reference, referenceDType(p.dtype), p.size);
  }

  /** A view of `p` on each side (natural strides unless given). */
  view(p: Pair, shape: readonly number[], strides?: readonly number[], offset = 0): ViewPair {
    const st = strides ?? contiguousStrides(shape);
    return {
      b: { storage: p.b, shape: [...shape], strides: [...st], offset },
      r: { storage: p.r, shape: [...shape], strides: [...st], offset },
    };
  }

  /** Runs `kernel` on the backend and on the reference. */
  run(kernel: (k: Backend, side: Side) => void): void {
    kernel(this.backend, (p) => p.b);
    kernel(this.reference, (p) => p.r);
  }

  /**
   * Checks that the backend's `out` equals the reference's rounded to `out.dtype`: within
   * `tolerance(dtype, kind)` for floats, exactly for integers and bools and for `'exact'`.
   * `magnitude` (a reference storage, for `'accumulated'`) holds Σ|termᵢ| of each element:
   * the bound is then `atol + rtol · magnitude` (cancellation may leave the result near 0).
   * The reads are issued now (each sees exactly the work enqueued before it) and compared
   * in `settle`, after the test: a GPU then waits once per test, not once per check.
   */
  expect(out: Pair, kind: ToleranceKind | 'exact', what: string, magnitude?: Storage): void {
    const reads = Promise.all([
      this.backend.read(out.b),
      this.reference.read(out.r),
      magnitude ? this.reference.read(magnitude) : undefined,
    ]);
    const tol: Tolerance = kind === 'exact' ? { rtol: 0, atol: 0 } : tolerance(out.dtype, kind);
    const check = reads.then(([got, ref, m]) =>
      compare(got, arrayOf(out.dtype, ref), tol, `${this.backend.name} ${what}`, m),
    );
    check.catch(() => {}); // rejected in `settle`, not as an unhandled rejection
    this.#pending.push(check);
  }

  /**
   * Checks that two of the backend's storages hold the same values, to the bit: one kernel
   * promises another's results (a fused extra output and the op it stands for).
   */
  expectSameAs(out: Pair, like: Pair, what: string): void {
    const check = Promise.all([this.backend.read(out.b), this.backend.read(like.b)]).then(([got, want]) =>
      expectClose(got, want, { rtol: 0, atol: 0 }, `${this.backend.name} ${what}`),
    );
    check.catch(() => {}); // rejected in `settle`, not as an unhandled rejection
    this.#pending.push(check);
  }

  /** Completes the test's checks; the first failure fails the test. */
  async settle(): Promise<void> {
    await Promise.all(this.#pending.splice(0));
  }

  /** Frees every storage this harness allocated (after each test). */
  freeAll(): void {
    for (const [k, s] of this.#owned.splice(0)) k.free(s);
  }
}

function compare(
  got: TypedArray,
  want: TypedArray,
  tol: Tolerance,
  label: string,
  magnitude: TypedArray | undefined,
): void {
  if (!magnitude) {
    expectClose(got, want, tol, label);
    return;
  }
  expect(got.length, `${label}: length`).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = Number(got[i]);
    const e = Number(want[i]);
    const bound: number = tol.atol + tol.rtol * Math.max(Math.abs(e), Number(magnitude[i]));
    const ok = Number.isNaN(e) ? Number.isNaN(a) : !Number.isFinite(e) ? a === e : Math.abs(a - e) <= bound;
    if (!ok)
      expect.fail(
        `${label}[${i}]: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${bound}: atol ${tol.atol} + rtol ${tol.rtol} × Σ|terms| ${magnitude[i]})`,
      );
  }
}

/**
 * A random view of `shape` into a fresh storage: dims may be broadcast (stride 0), laid
 * out in a permuted order, narrowed (padding around them) or stepped (stride > 1), and the
 * view may start at an offset — every way core lowers permute/expand/narrow. Returns the
 * view's strides and offset and the storage size it needs.
 */
export function randomLayout(
  rng: SeededRng,
  shape: readonly number[],
  opts: { contiguous?: boolean; broadcast?: boolean } = {},
): { strides: number[]; offset: number; size: number } {
  const rank = shape.length;
  const strides = new Array<number>(rank).fill(0);
  if (opts.contiguous) return { strides: contiguousStrides(shape), offset: 0, size: numel(shape) };
  const order = [...Array(rank).keys()];
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  let offset = rng.int(0, 3);
  let stride = rng.pick([1, 1, 2]);
  // The innermost dim in storage is the last of `order`.
  for (let i = order.length - 1; i >= 0; i--) {
    const d = order[i]!;
    if ((opts.broadcast ?? true) && rng.next() < 0.25) {
      strides[d] = 0;
      continue;
    }
    const pad = rng.pick([0, 0, 1, 2]);
    strides[d] = stride;
    offset += rng.int(0, pad) * stride;
    stride *= shape[d]! + pad;
  }
  let maxIdx = offset;
  for (let d = 0; d < rank; d++) maxIdx += (shape[d]! - 1) * strides[d]!;
  return { strides, offset, size: Math.max(stride + offset, maxIdx + 1) };
}

/** A random shape; sizes include 1, 7 and 33; at most `maxNumel` elements. */
export function randomShape(rng: SeededRng, maxRank = 4, maxNumel = 3000): number[] {
  for (;;) {
    const rank = rng.int(0, maxRank);
    const shape: number[] = [];
    for (let d = 0; d < rank; d++) shape.push(rng.pick([1, 1, 2, 3, 5, 7, 33]));
    if (numel(shape) <= maxNumel) return shape;
  }
}
