/** Shared test helpers: one WebGPU backend per test process, cpu-js as the reference. */
import { arrayOf } from '@stepwise/conformance';
import type { Backend, DType, Storage, View } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { expect } from 'vitest';
import { WebGPUBackend, webgpu } from '../src/index.js';

let shared: Promise<Backend> | undefined;

/** The one WebGPU backend of this test process (Dawn dislikes many devices per process). */
export function gpu(): Promise<Backend> {
  shared ??= webgpu();
  return shared;
}

let gpuKernels: Promise<Backend> | undefined;

/**
 * A second backend on the same device that takes the kernel variants meant for real GPUs
 * (workgroup-memory tiles), even on a CPU-backed adapter, so both variants are tested.
 */
export function gpuVariant(): Promise<Backend> {
  gpuKernels ??= gpu().then(
    (b) =>
      new WebGPUBackend((b as WebGPUBackend).device, false, {
        adapterInfo: { vendor: 'test', architecture: 'gpu', device: '', description: '' } as GPUAdapterInfo,
      }),
  );
  return gpuKernels;
}

export const cpu = cpuJs();

/** From the conformance package: the tests' one seeded generator (mulberry32), and host arrays of a dtype. */
export { arrayOf, mulberry32 as rng } from '@stepwise/conformance';

export function randomValues(n: number, r: () => number, lo = -3, hi = 3): number[] {
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export function upload(b: Backend, dtype: DType, values: ArrayLike<number>): Storage {
  const s = b.alloc(dtype, values.length);
  b.write(s, arrayOf(dtype, values));
  return s;
}

/** A pair of storages holding the same values on the GPU and on cpu-js. */
export interface Pair {
  g: Storage;
  c: Storage;
}

export async function pair(dtype: DType, values: ArrayLike<number>): Promise<Pair> {
  return { g: upload(await gpu(), dtype, values), c: upload(cpu, dtype, values) };
}

export async function pairAlloc(dtype: DType, size: number): Promise<Pair> {
  return { g: (await gpu()).alloc(dtype, size), c: cpu.alloc(dtype, size) };
}

export function viewOf(s: Storage, shape: readonly number[], strides?: readonly number[], offset = 0): View {
  let st = strides;
  if (!st) {
    const n: number[] = new Array(shape.length);
    let acc = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      n[d] = acc;
      acc *= shape[d]!;
    }
    st = n;
  }
  return { storage: s, shape, strides: st, offset };
}

/** Compares the GPU result with cpu-js: exact for integers, rtol/atol for floats, NaN = NaN. */
export async function expectSame(p: Pair, what: string, rtol = 1e-5, atol = 1e-6): Promise<void> {
  const g = await (await gpu()).read(p.g);
  const c = await cpu.read(p.c);
  expect(g.length, `${what}: length`).toBe(c.length);
  for (let i = 0; i < c.length; i++) {
    const a = Number(g[i]);
    const e = Number(c[i]);
    const ok = Number.isNaN(e)
      ? Number.isNaN(a)
      : !Number.isFinite(e)
        ? a === e
        : Math.abs(a - e) <= atol + rtol * Math.abs(e);
    if (!ok) expect.fail(`${what}[${i}]: webgpu ${a}, cpu-js ${e}`);
  }
}
