import type { Backend, DType, Storage, TypedArray, View } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { expect } from 'vitest';
import { wasmSimd } from '../src/index.js';

/** A seeded generator (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
}

export async function pair(): Promise<Pair> {
  return { w: await wasmSimd({ initialMemoryMB: 64 }), c: cpuJs() };
}

/** The same data uploaded to both backends. */
export function upload(p: Pair, dtype: DType, data: TypedArray): { w: Storage; c: Storage } {
  const w = p.w.alloc(dtype, data.length);
  p.w.write(w, data);
  const c = p.c.alloc(dtype, data.length);
  p.c.write(c, data);
  return { w, c };
}

export function view(
  storage: Storage,
  shape: readonly number[],
  strides?: readonly number[],
  offset = 0,
): View {
  const s = strides ?? contiguousStrides(shape);
  return { storage, shape, strides: s, offset };
}

export function contiguousStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d];
  }
  return s;
}

/** Compares wasm-simd's storage with cpu-js's: exact for ints/bools, relative for floats. */
export function expectSame(p: Pair, w: Storage, c: Storage, rtol: number, what: string): void {
  const a = p.w.readSync!(w);
  const b = p.c.readSync!(c);
  expect(a.length, `${what}: length`).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    const ok = Number.isNaN(y)
      ? Number.isNaN(x)
      : x === y || Math.abs(x - y) <= rtol * Math.max(1, Math.abs(y));
    if (!ok) expect.fail(`${what}[${i}]: wasm-simd ${x}, cpu-js ${y}`);
  }
}

export function tol(dtype: DType): number {
  return dtype === 'float32' ? 1e-5 : dtype === 'float64' ? 1e-12 : 0;
}
