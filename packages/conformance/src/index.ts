/**
 * @stepwise/conformance: the one suite every backend runs.
 *
 *   // packages/<backend>/test/conformance.test.ts
 *   import { runConformance } from '@stepwise/conformance';
 *   runConformance('cpu-js', () => cpuJs());
 *
 * Each area lives in its own file under `suites/` and registers its tests with the
 * context; this file only wires them together.
 *
 * @module @stepwise/conformance
 */

import type { Backend, DType } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { afterEach, beforeAll, beforeEach, describe } from 'vitest';
import type { ConformanceContext } from './context.js';
import { suites } from './suites/index.js';
import { TestMemoryCheck } from './testMemory.js';

export { expectClose, type FixtureNumber, fromFixture } from './assert.js';
export type { ConformanceContext } from './context.js';
export { loadFixture } from './fixtures.js';
export { arrayOf, randomLayout, randomShape } from './kernels/harness.js';
export {
  type KernelArea,
  type KernelConformanceOptions,
  kernelAreas,
  runKernelConformance,
} from './kernels/index.js';
export { type BinaryInfo, binaryOps, type UnaryInfo, unaryOps } from './kernels/ops.js';
export { mulberry32, SeededRng } from './seeded.js';
export { type Live, liveOf, memoryVerdict, TestMemoryCheck } from './testMemory.js';
export { type Tolerance, tolerance } from './tolerance.js';

/** Options of `runConformance`. */
export interface ConformanceOptions {
  /** Run only the suites whose name is listed (for debugging a backend); default: all. */
  readonly only?: readonly string[];
  /**
   * The reference for the cross-backend suite: random programs run on the backend under
   * test must agree with this backend in float64 (the backends' tests pass cpu-js; the
   * suite itself imports core only). Default: the backend under test itself.
   */
  readonly reference?: () => Backend | Promise<Backend>;
}

/**
 * Registers the whole conformance suite (ops, autograd, nn, optim, schedulers, serialization, memory, seeds)
 * as vitest tests for one backend, made fresh by `create`.
 */
export function runConformance(
  name: string,
  factory: () => Backend | Promise<Backend>,
  options: ConformanceOptions = {},
): void {
  let backend: Backend | undefined;
  let reference: Backend | undefined;
  const memory = new TestMemoryCheck();
  const ctx: ConformanceContext = {
    name,
    backend: () => {
      if (!backend) throw new Error('conformance: the backend is created in beforeAll; use it inside tests');
      return backend;
    },
    reference: () => reference ?? ctx.backend(),
    supports: (d: DType) => ctx.backend().dtypes.includes(d),
    get syncReads() {
      return ctx.backend().syncReads;
    },
    keepAfterTest: (t) => {
      memory.keep(t);
      return t;
    },
  };
  describe(`conformance: ${name}`, () => {
    beforeAll(async () => {
      backend = await factory();
      if (options.reference) {
        const r = await options.reference();
        // Registered under its own name so the two never replace each other in the registry.
        reference = r.name === backend.name ? backend : r;
        torch.registerBackend(reference);
      }
      torch.registerBackend(backend);
    });
    // The per-test memory check (src/testMemory.ts): every tensor a test makes is disposed
    // when it ends, and then no more tensors or bytes may be live than before it.
    beforeEach(() => {
      torch.setBackend(backend!);
      memory.begin();
    });
    afterEach(() => {
      torch.setBackend(backend!);
      const verdict = memory.end();
      if (verdict) throw new Error(verdict);
    });
    for (const [suiteName, register] of Object.entries(suites)) {
      if (options.only && !options.only.includes(suiteName)) continue;
      describe(suiteName, () => register(ctx));
    }
  });
}
