import type { DType } from '@stepwise/core';
import { describe, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { expectAllClose, expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

/** Naive reference: out[b, i, j] = Σ_p A(b, i, p) B(b, p, j), indices spelled out per flag. */
function refMatmul(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  batch: number,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  aStride: number,
  bStride: number,
): Float64Array {
  const out = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const a = transA ? A[bi * aStride + p * m + i] : A[bi * aStride + i * k + p];
          const b = transB ? B[bi * bStride + j * k + p] : B[bi * bStride + p * n + j];
          s += a * b;
        }
        out[(bi * m + i) * n + j] = s;
      }
  return out;
}

describe('matmul', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
    it(`${dtype}: every transpose flag, batch broadcasting, odd sizes`, () => {
      const rng = new Rng(dtype.length + 100);
      const dims: [number, number, number, number][] = [
        [1, 1, 1, 1],
        [1, 7, 33, 1],
        [1, 1, 1000, 1],
        [3, 7, 1, 33],
        [2, 33, 7, 5],
        [4, 1, 7, 7],
        [1, 1000, 2, 3],
      ];
      for (let t = 0; t < 10; t++) dims.push([rng.int(1, 3), rng.int(1, 12), rng.int(1, 12), rng.int(1, 12)]);
      for (const [batch, m, k, n] of dims)
        for (const transA of [false, true])
          for (const transB of [false, true])
            for (const [aBroadcast, bBroadcast] of [
              [false, false],
              [true, false],
              [false, true],
            ]) {
              const aStride = aBroadcast ? 0 : m * k;
              const bStride = bBroadcast ? 0 : k * n;
              const ad = randomData(rng, dtype, aBroadcast ? m * k : batch * m * k, { lo: -9, hi: 9 });
              const bd = randomData(rng, dtype, bBroadcast ? k * n : batch * k * n, { lo: -9, hi: 9 });
              const out = b.alloc(dtype, batch * m * n);
              b.matmul(
                makeStorage(b, dtype, ad),
                makeStorage(b, dtype, bd),
                out,
                { batch, m, k, n },
                {
                  transA,
                  transB,
                  aBatchStride: aStride,
                  bBatchStride: bStride,
                },
              );
              const want = refMatmul(ad, bd, batch, m, k, n, transA, transB, aStride, bStride);
              const what = `${dtype} [${batch}, ${m}, ${k}, ${n}] tA=${transA} tB=${transB} bcast=${aBroadcast},${bBroadcast}`;
              if (dtype === 'int32') expectSameValues(read(b, out), Int32Array.from(want), what);
              else
                expectAllClose(
                  read(b, out),
                  dtype === 'float32' ? Float32Array.from(want) : want,
                  dtype === 'float32' ? 2e-7 : 1e-13,
                  1e-12,
                  what,
                );
            }
    });
  }

  it('propagates NaN and Inf through zero entries like IEEE arithmetic', () => {
    const A = makeStorage(b, 'float64', new Float64Array([0, 1]));
    const B = makeStorage(b, 'float64', new Float64Array([Number.NaN, Number.POSITIVE_INFINITY]));
    const out = b.alloc('float64', 1);
    b.matmul(
      A,
      B,
      out,
      { batch: 1, m: 1, k: 2, n: 1 },
      { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
    );
    expectSameValues(read(b, out), [Number.NaN]);
  });
});
