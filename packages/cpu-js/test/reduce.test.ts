import type { DType, ReduceOp } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { arrayFor, expectAllClose, expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

/** Index of the first strictly largest (sign 1) or smallest (sign -1) element. */
function firstExtreme(xs: number[], sign: number): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (sign * (xs[i] - xs[best]) > 0) best = i;
  return best;
}

/** Reference reductions: collect the slice, then compute with plain array methods. */
function refReduce(op: ReduceOp, xs: number[]): number {
  const nanAt = xs.findIndex((v) => Number.isNaN(v));
  switch (op) {
    case 'sum': {
      // Exact-ish: sort by magnitude before adding so the reference is more accurate than the kernel.
      return [...xs].sort((a, b) => Math.abs(a) - Math.abs(b)).reduce((a, b) => a + b, 0);
    }
    case 'prod':
      return xs.reduce((a, b) => a * b, 1);
    case 'max':
      return nanAt >= 0 ? Number.NaN : xs[firstExtreme(xs, 1)];
    case 'min':
      return nanAt >= 0 ? Number.NaN : xs[firstExtreme(xs, -1)];
    case 'argmax':
      return nanAt >= 0 ? nanAt : xs.indexOf(refReduce('max', xs));
    case 'argmin':
      return nanAt >= 0 ? nanAt : xs.indexOf(refReduce('min', xs));
  }
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [1, 1000, 1],
  [33, 7, 1],
  [1, 33, 7],
  [7, 33, 3],
  [3, 1000, 2],
  [2, 1, 33],
  [5, 3, 1000],
];

describe('reduce', () => {
  const b = new CpuJsBackend();
  const cases: [DType, ReduceOp[]][] = [
    ['float32', ['sum', 'prod', 'max', 'min', 'argmax', 'argmin']],
    ['float64', ['sum', 'prod', 'max', 'min', 'argmax', 'argmin']],
    ['int32', ['sum', 'prod', 'max', 'min', 'argmax', 'argmin']],
    ['bool', ['sum', 'max', 'min', 'argmax']],
  ];
  for (const [dtype, ops] of cases)
    for (const op of ops) {
      it(`${op} ${dtype} over [outer, len, inner] matches a slice-wise reference`, () => {
        const rng = new Rng(op.length * 7 + dtype.length);
        for (const [outer, len, inner] of SHAPES) {
          const n = outer * len * inner;
          // Values with ties (for first-occurrence checks), NaNs and infinities for floats.
          const lo = op === 'prod' ? -1.2 : -10;
          const hi = op === 'prod' ? 1.2 : 10;
          const data = randomData(rng, dtype, n, { specials: true, lo, hi });
          if (dtype === 'float32' || dtype === 'float64')
            for (let i = 0; i < n; i++) if (rng.next() < 0.2) data[i] = Math.round(data[i]);
          const x = makeStorage(b, dtype, data);
          const outDType: DType = op.startsWith('arg')
            ? 'int32'
            : op === 'sum' || op === 'prod'
              ? dtype === 'bool'
                ? 'int32'
                : dtype
              : dtype;
          const out = b.alloc(outDType, outer * inner);
          b.reduce(op, x, outer, len, inner, out);
          const want = arrayFor(outDType, outer * inner);
          for (let o = 0; o < outer; o++)
            for (let k = 0; k < inner; k++) {
              const xs: number[] = [];
              for (let j = 0; j < len; j++) xs.push(data[(o * len + j) * inner + k]);
              want[o * inner + k] = refReduce(op, xs);
            }
          const what = `[${outer}, ${len}, ${inner}]`;
          if (op === 'sum' && (dtype === 'float32' || dtype === 'float64')) {
            expectAllClose(read(b, out), want, dtype === 'float32' ? 1e-6 : 1e-14, 1e-12, what);
          } else if (op === 'prod' && dtype !== 'int32') {
            expectAllClose(read(b, out), want, dtype === 'float32' ? 1e-6 : 1e-13, 1e-300, what);
          } else expectSameValues(read(b, out), want, what);
        }
      });
    }

  it('sums float32 with float64 accumulation (no drift over 1e6 small terms)', () => {
    const n = 1_000_000;
    const x = makeStorage(b, 'float32', new Float32Array(n).fill(0.1));
    const out = b.alloc('float32', 1);
    b.reduce('sum', x, 1, n, 1, out);
    expect(read(b, out)[0]).toBe(Math.fround(Math.fround(0.1) * n));
  });

  it('sums float64 with compensation (catastrophic cancellation survives)', () => {
    const x = makeStorage(b, 'float64', new Float64Array([1e16, 1, -1e16, 1, 3]));
    const out = b.alloc('float64', 1);
    b.reduce('sum', x, 1, 5, 1, out);
    expect(read(b, out)[0]).toBe(5);
  });
});
