/**
 * Reductions along one axis of [outer, len, inner] against the reference: short axes and
 * long ones (where a GPU switches to a workgroup tree), empty outer dims, ties (the first
 * index wins) and NaN (the first NaN wins).
 */

import type { DType, ReduceOp } from '@stepwise/core';
import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import type { KernelHarness, KernelScope } from './harness.js';

/** [outer, len, inner]: single elements, SIMD tails, strided axes, an empty outer dim. */
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [3, 5, 4],
  [3, 33, 1],
  [1, 1000, 1],
  [2, 7, 5],
  [4, 33, 9],
  [1, 1000, 3],
  [5, 1, 7],
  [70, 1, 2],
  [2, 300, 3],
  [0, 3, 2],
];

/**
 * Long axes, in float32 (the dtype a GPU reduces in every way): a workgroup tree per output
 * (len >= 1024), an axis split into chunks (len >= 2^15, few outputs, a ragged last chunk),
 * and one invocation per output over many outputs (>= 2048) walking a strided axis.
 */
const LONG_SHAPES: [number, number, number][] = [
  [1, 5000, 1],
  [2, 33_000, 1],
  [1, 64, 2049],
];

/** The dtypes each op takes, and what it writes: indices are int32, sums and products of bool are int32. */
const cases: [ReduceOp, DType[]][] = [
  ['sum', ['float32', 'float64', 'int32', 'bool']],
  ['prod', ['float32', 'float64', 'int32']],
  ['max', ['float32', 'float64', 'int32', 'bool']],
  ['min', ['float32', 'float64', 'int32', 'bool']],
  ['argmax', ['float32', 'float64', 'int32', 'bool']],
  ['argmin', ['float32', 'float64', 'int32']],
];

const outOf = (op: ReduceOp, dtype: DType): DType =>
  op === 'argmax' || op === 'argmin'
    ? 'int32'
    : (op === 'sum' || op === 'prod') && dtype === 'bool'
      ? 'int32'
      : dtype;

export function registerReduceKernels(h: () => KernelHarness, scope: KernelScope): void {
  describe('reduce', () => {
    for (const [op, types] of cases) {
      for (const dtype of scope(types)) {
        it(`${op} ${dtype} over [outer, len, inner]${dtype === 'float32' ? ', short and long axes' : ''}`, ({
          skip,
        }) => {
          if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
          const rng = new SeededRng(op.length * 7 + dtype.length);
          for (const [outer, len, inner] of dtype === 'float32' ? [...SHAPES, ...LONG_SHAPES] : SHAPES) {
            const n = outer * len * inner;
            // Products stay near 1 so long ones neither overflow nor vanish too fast.
            const [lo, hi] = op === 'prod' ? (len > 100 ? [0.99, 1.01] : [0.5, 1.5]) : [-3, 3];
            const values = Array.from({ length: n }, () => {
              if (dtype === 'bool') return rng.int(0, 1);
              if (dtype === 'int32') return op === 'prod' ? rng.int(-2, 2) : rng.int(-50, 50);
              // A fifth rounded, so ties occur (the first index wins).
              const v = rng.uniform(lo, hi);
              return op !== 'prod' && rng.next() < 0.2 ? Math.round(v) : v;
            });
            const x = h().input(dtype, values);
            const out = h().output(outOf(op, dtype), outer * inner);
            h().run((k, s) => k.reduce(op, s(x), outer, len, inner, s(out)));
            const kind =
              op.startsWith('arg') || op === 'max' || op === 'min'
                ? 'exact'
                : len > 100
                  ? 'loose'
                  : 'elementwise';
            h().expect(out, kind, `${op} ${dtype} [${outer}, ${len}, ${inner}]`);
          }
        });
      }
    }
    for (const op of ['max', 'min', 'argmax', 'argmin', 'sum', 'prod'] as ReduceOp[]) {
      it(`${op} propagates NaN (the first NaN wins) and keeps the first of ties`, () => {
        for (const dtype of scope(['float32', 'float64'])) {
          if (!h().supports(dtype)) continue;
          for (const len of [5, 8, 400]) {
            const values = Array.from({ length: 2 * len }, (_, i) => (i % 7 === 3 ? 2 : i % 5));
            values[len - 2] = Number.NaN;
            values[len + 1] = Number.NaN;
            values[len + 3] = Number.NaN;
            const x = h().input(dtype, values);
            for (const [outer, inner] of [
              [2, 1],
              [1, 2],
            ] as const) {
              const out = h().output(op.startsWith('arg') ? 'int32' : dtype, outer * inner);
              h().run((k, s) => k.reduce(op, s(x), outer, len, inner, s(out)));
              h().expect(out, 'exact', `${op} ${dtype} NaN [${outer}, ${len}, ${inner}]`);
            }
          }
        }
      });
    }
  });
}
