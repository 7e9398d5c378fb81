/**
 * The kernel layer: every kernel of the Backend interface, called directly (no Tensor, no
 * autograd), on the backend under test and on the reference, cpu-js in float64 — the one
 * copy of the kernel tests each backend used to carry. Each backend's test file calls
 * `runKernelConformance` (wasm-simd once per heap placement, webgpu once per kernel
 * family). cpu-js itself, the reference, is held to textbook formulas in its own tests.
 *
 *   // packages/<backend>/test/kernels.test.ts
 *   runKernelConformance('wasm-simd', () => wasmSimd(), { reference: () => cpuJs() });
 */

import type { Backend, DType } from '@stepwise/core';
import { afterEach, beforeAll, describe } from 'vitest';
import { registerConvKernels } from './conv.js';
import { registerElementwiseKernels } from './elementwise.js';
import { KernelHarness, type KernelScope } from './harness.js';
import { registerIndexingKernels } from './indexing.js';
import { registerLayoutKernels } from './layout.js';
import { registerMatmulKernels } from './matmul.js';
import { registerReduceKernels } from './reduce.js';

/** The kernel areas, by name (the `only` option picks among them). */
export const kernelAreas = {
  /** Unary and binary kernels, every dtype and broadcast shape. */
  elementwise: registerElementwiseKernels,
  /** Strided copies and views. */
  layout: registerLayoutKernels,
  /** Reductions. */
  reduce: registerReduceKernels,
  /** Matrix products. */
  matmul: registerMatmulKernels,
  /** Convolution and pooling kernels and their backward pieces. */
  conv: registerConvKernels,
  /** Gather, scatter and index kernels. */
  indexing: registerIndexingKernels,
} satisfies Record<string, (h: () => KernelHarness, dtypes: KernelScope) => void>;

/** One area of the kernel-level suite (`elementwise`, `layout`, `reduce`, `matmul`, `conv`, `indexing`). */
export type KernelArea = keyof typeof kernelAreas;

/** Options of `runKernelConformance`. */
export interface KernelConformanceOptions {
  /** The reference, computing in float64: cpu-js. */
  readonly reference: () => Backend | Promise<Backend>;
  /** Only these areas (e.g. for a second kernel family of the same device); default: all. */
  readonly only?: readonly KernelArea[];
  /**
   * Only tests of these dtypes are registered (a second kernel family that differs in its
   * float32 kernels); default: all four. A dtype the backend does not store is reported
   * skipped, not left out.
   */
  readonly dtypes?: readonly DType[];
}

/**
 * Registers the kernel-level suite: each `Backend` method called directly on storages and compared with
 * cpu-js's reference results.
 */
export function runKernelConformance(
  name: string,
  factory: () => Backend | Promise<Backend>,
  options: KernelConformanceOptions,
): void {
  let harness: KernelHarness | undefined;
  const h = () => {
    if (!harness) throw new Error('kernel conformance: the backends are created in beforeAll');
    return harness;
  };
  const scope: KernelScope = (dtypes) => dtypes.filter((d) => !options.dtypes || options.dtypes.includes(d));
  describe(`kernels: ${name}`, () => {
    beforeAll(async () => {
      const backend = await factory();
      const reference = await options.reference();
      if (reference.name === backend.name)
        throw new Error(
          `kernel conformance: ${name} is its own reference, a comparison that cannot fail; the reference is held to formulas in its own tests`,
        );
      harness = new KernelHarness(backend, reference);
    });
    // A test's checks complete here (its reads were issued as it ran); then the harness
    // frees what the test allocated on both sides (storages are not tensors).
    afterEach(async () => {
      try {
        await harness?.settle();
      } finally {
        harness?.freeAll();
      }
    });
    for (const [area, register] of Object.entries(kernelAreas)) {
      if (options.only && !options.only.includes(area as KernelArea)) continue;
      describe(area, () => register(h, scope));
    }
  });
}
