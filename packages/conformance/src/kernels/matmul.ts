/**
 * Batched matmul against the reference: every transpose flag, either operand broadcast
 * over the batch (batch stride 0), sizes 1, odd, prime and past a tile, and k = 0.
 */

import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import type { KernelHarness, KernelScope } from './harness.js';

/**
 * [batch, m, k, n]: ones, odd and prime sizes, k = 0, a long n; m and n past a GPU's 64-wide
 * tile, and m past 128 with k past 256 (wasm-simd's MC and KC blocks), each with a ragged edge.
 */
const DIMS: [batch: number, m: number, k: number, n: number][] = [
  [1, 1, 1, 1],
  [1, 7, 33, 5],
  [1, 17, 33, 9],
  [2, 33, 7, 9],
  [3, 5, 40, 18],
  [2, 4, 0, 3],
  [3, 5, 1, 1000],
  [2, 70, 37, 67],
  [1, 130, 257, 9],
];

/** Which operand is one matrix reused for every batch. */
const BROADCAST: [a: boolean, b: boolean][] = [
  [false, false],
  [false, true],
  [true, false],
];

export function registerMatmulKernels(h: () => KernelHarness, dtypes: KernelScope): void {
  describe('matmul', () => {
    for (const dtype of dtypes(['float32', 'float64', 'int32'])) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          it(`${dtype} transA=${transA} transB=${transB}, each operand broadcast over the batch`, ({
            skip,
          }) => {
            if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
            const rng = new SeededRng(21 + dtype.length + (transA ? 2 : 0) + (transB ? 1 : 0));
            const draw = (n: number) =>
              dtype === 'int32' ? Array.from({ length: n }, () => rng.int(-9, 9)) : rng.values(n, -3, 3);
            // Integer products are exact in any order: the small shapes suffice.
            for (const [batch, m, k, n] of dtype === 'int32'
              ? DIMS.filter(([, m, k, n]) => m * k * n <= 5000)
              : DIMS) {
              for (const [aShared, bShared] of BROADCAST) {
                if (batch === 1 && (aShared || bShared)) continue;
                const a = h().input(dtype, draw((aShared ? 1 : batch) * m * k));
                const b = h().input(dtype, draw((bShared ? 1 : batch) * k * n));
                const out = h().output(dtype, batch * m * n);
                const opts = {
                  transA,
                  transB,
                  aBatchStride: aShared ? 0 : m * k,
                  bBatchStride: bShared ? 0 : k * n,
                };
                const dims = { batch, m, k, n };
                h().run((kk, s) => kk.matmul(s(a), s(b), s(out), dims, opts));
                const mag = h().referenceLike(out);
                h().reference.matmul(h().absOf(a), h().absOf(b), mag, dims, opts);
                const what = `matmul ${dtype} [${batch}, ${m}, ${k}, ${n}] shared a=${aShared} b=${bShared}`;
                h().expect(out, 'accumulated', what, mag);
              }
            }
          });
        }
      }
    }
    it('adds a bias and applies ReLU as the product is stored (k = 1, k > 1, batched, either layout of b)', () => {
      for (const dtype of dtypes(['float32', 'float64'])) {
        if (!h().supports(dtype)) continue;
        const rng = new SeededRng(77 + dtype.length);
        for (const [batch, m, k, n] of [
          [1, 1000, 1, 20],
          [2, 7, 1, 5],
          [1, 33, 20, 1],
          [2, 17, 33, 9],
          [1, 130, 257, 9],
        ] as const) {
          for (const transB of [false, true]) {
            for (const [withBias, relu] of [
              [true, false],
              [true, true],
              [false, true],
            ] as const) {
              const a = h().input(dtype, rng.values(batch * m * k, -3, 3));
              const b = h().input(dtype, rng.values(k * n, -3, 3));
              const bias = h().input(dtype, rng.values(n, -3, 3));
              const out = h().output(dtype, batch * m * n);
              const dims = { batch, m, k, n };
              const opts = { transA: false, transB, aBatchStride: m * k, bBatchStride: 0, relu };
              h().run((kk, s) =>
                kk.matmul(s(a), s(b), s(out), dims, withBias ? { ...opts, bias: s(bias) } : opts),
              );
              const mag = h().referenceLike(out);
              const magOpts = withBias
                ? { ...opts, relu: false, bias: h().absOf(bias) }
                : { ...opts, relu: false };
              h().reference.matmul(h().absOf(a), h().absOf(b), mag, dims, magOpts);
              const what = `matmul ${dtype} [${batch}, ${m}, ${k}, ${n}] transB=${transB} bias=${withBias} relu=${relu}`;
              h().expect(out, 'accumulated', what, mag);
            }
          }
        }
      }
    });
    it("applies ReLU's backward as the product is stored (0 where the ReLU output is ≤ 0, NaN passes)", () => {
      for (const dtype of dtypes(['float32', 'float64'])) {
        if (!h().supports(dtype)) continue;
        const rng = new SeededRng(91 + dtype.length);
        for (const [m, k, n] of [
          [1000, 1, 20],
          [33, 1, 7],
          [33, 20, 9],
          [130, 257, 9],
        ] as const) {
          for (const transB of [false, true]) {
            const a = h().input(dtype, rng.values(m * k, -3, 3));
            const b = h().input(dtype, rng.values(k * n, -3, 3));
            // A ReLU output: positive, +0 and -0 (kept by relu), and NaN.
            const pick = [() => rng.values(1, 0.01, 3)[0]!, () => 0, () => -0, () => Number.NaN];
            const reluOut = h().input(
              dtype,
              Array.from({ length: m * n }, (_, i) => pick[i % 7 < 4 ? 0 : i % 3]!()),
            );
            const out = h().output(dtype, m * n);
            const dims = { batch: 1, m, k, n };
            const opts = { transA: false, transB, aBatchStride: 0, bBatchStride: 0 };
            h().run((kk, s) => kk.matmul(s(a), s(b), s(out), dims, { ...opts, reluBackwardOf: s(reluOut) }));
            const mag = h().referenceLike(out);
            h().reference.matmul(h().absOf(a), h().absOf(b), mag, dims, opts);
            h().expect(
              out,
              'accumulated',
              `matmul ${dtype} [${m}, ${k}, ${n}] transB=${transB} reluBackwardOf`,
              mag,
            );
          }
        }
      }
    });
    it("stores op(a)'s row sums beside the product, as the sum reduction gives them", () => {
      for (const dtype of dtypes(['float32', 'float64'])) {
        if (!h().supports(dtype)) continue;
        const rng = new SeededRng(93 + dtype.length);
        for (const [m, k, n] of [
          [20, 1000, 1],
          [1, 1000, 20],
          [7, 33, 5],
          [70, 37, 67],
        ] as const) {
          for (const transA of [false, true]) {
            const a = h().input(dtype, rng.values(m * k, -3, 3));
            const b = h().input(dtype, rng.values(k * n, -3, 3));
            const out = h().output(dtype, m * n);
            const sums = h().output(dtype, m);
            const sumsByReduce = h().output(dtype, m);
            const dims = { batch: 1, m, k, n };
            const opts = { transA, transB: false, aBatchStride: 0, bBatchStride: 0 };
            h().run((kk, s) => {
              kk.matmul(s(a), s(b), s(out), dims, { ...opts, rowSumsOfA: s(sums) });
              if (transA) kk.reduce('sum', s(a), 1, k, m, s(sumsByReduce));
              else kk.reduce('sum', s(a), m, k, 1, s(sumsByReduce));
            });
            const what = `matmul ${dtype} [${m}, ${k}, ${n}] transA=${transA} rowSumsOfA`;
            const mag = h().referenceLike(out);
            h().reference.matmul(h().absOf(a), h().absOf(b), mag, dims, opts);
            h().expect(out, 'accumulated', what, mag);
            const sumMag = h().referenceLike(sums);
            if (transA) h().reference.reduce('sum', h().absOf(a), 1, k, m, sumMag);
            else h().reference.reduce('sum', h().absOf(a), m, k, 1, sumMag);
            h().expect(sums, 'accumulated', `${what}: the sums`, sumMag);
            h().expectSameAs(sums, sumsByReduce, `${what}: the sums equal reduce('sum')`);
          }
        }
      }
    });
    it('propagates NaN and Inf through zero entries like IEEE arithmetic', () => {
      for (const dtype of dtypes(['float32', 'float64'])) {
        if (!h().supports(dtype)) continue;
        const a = h().input(dtype, [0, 1, 2, 0]);
        const b = h().input(dtype, [Number.NaN, Number.POSITIVE_INFINITY, 1, 2]);
        const out = h().output(dtype, 4);
        const opts = { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
        h().run((k, s) => k.matmul(s(a), s(b), s(out), { batch: 1, m: 2, k: 2, n: 2 }, opts));
        h().expect(out, 'exact', `matmul ${dtype} NaN and Inf`);
      }
    });
  });
}
