/**
 * The narrow paths of the GEMM (issue 15, item 2: k = 1 outer products, n = 1 and m = 1
 * products, which skip packing) and the two-dimensional float fast path of `binary` (a
 * broadcast bias row): each must give exactly what the packed GEMM and the general walk
 * give. The reference below is the packed GEMM's arithmetic spelled out in JS: every output
 * summed over p in order in KC = 256 chunks, each chunk from 0, in the dtype's precision
 * (Math.fround for float32), then added to what the output held.
 */
import type { DType, TypedArray, View } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import { dtypeCode } from '../src/opCodes.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';
import { rng } from './helpers.js';

const KC = 256;

function refGemm(
  dtype: DType,
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  prior?: ArrayLike<number>,
): number[] {
  const r = dtype === 'float32' ? Math.fround : (x: number) => x;
  const out: number[] = [];
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let total = prior ? prior[i * n + j]! : 0;
      for (let pc = 0; pc < k; pc += KC) {
        let s = 0;
        for (let p = pc; p < Math.min(k, pc + KC); p++) {
          const a = transA ? A[p * m + i]! : A[i * k + p]!;
          const b = transB ? B[j * k + p]! : B[p * n + j]!;
          s = r(s + r(a * b));
        }
        total = pc === 0 && !prior ? s : r(s + total);
      }
      out.push(total);
    }
  return out;
}

function data(dtype: DType, n: number, next: () => number): TypedArray {
  const out = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = i % 11 === 5 ? -0 : (next() * 2 - 1) * (i % 3 ? 1 : 300);
  return out;
}

function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) expect.fail(`${what} element ${i}: got ${got[i]}, expected ${want[i]}`);
  }
}

describe('narrow GEMMs and 2-d binaries give the general paths’ exact results', () => {
  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype}: narrow products, every transpose flag, k past one KC chunk`, async () => {
      const b = await wasmSimd();
      const next = rng(3);
      const sizes = [1, 2, 3, 4, 5, 8, 9, 20];
      let cases = 0;
      for (const m of [...sizes, 1000])
        for (const n of sizes)
          for (const k of [1, 2, 3, 20, 300])
            for (const transA of [false, true])
              for (const transB of [false, true]) {
                if (m * n * k > 1e6) continue;
                const A = data(dtype, m * k, next);
                const B = data(dtype, k * n, next);
                const sa = b.alloc(dtype, m * k);
                const sb = b.alloc(dtype, k * n);
                const so = b.empty!(dtype, m * n);
                b.write(sa, A);
                b.write(sb, B);
                b.matmul(
                  sa,
                  sb,
                  so,
                  { batch: 1, m, k, n },
                  { transA, transB, aBatchStride: 0, bBatchStride: 0 },
                );
                expectSame(
                  b.readSync!(so),
                  refGemm(dtype, A, B, m, k, n, transA, transB),
                  `${dtype} ${m}x${k}x${n} tA=${transA} tB=${transB}`,
                );
                for (const s of [sa, sb, so]) b.free(s);
                cases++;
              }
      expect(cases).toBeGreaterThan(1000);
    });

    it(`${dtype}: accumulating into the output (the kernel's own flag, as conv uses it)`, async () => {
      const b = (await wasmSimd()) as WasmSimdBackend;
      const next = rng(5);
      const esz = dtype === 'float32' ? 4 : 8;
      const code = dtypeCode[dtype];
      for (const [m, k, n] of [
        [1, 300, 8],
        [9, 1, 8],
        [12, 300, 1],
        [9, 7, 2],
      ] as const) {
        const A = data(dtype, m * k, next);
        const B = data(dtype, k * n, next);
        const C = data(dtype, m * n, next);
        const sa = b.alloc(dtype, m * k);
        const sb = b.alloc(dtype, k * n);
        const sc = b.alloc(dtype, m * n);
        b.write(sa, A);
        b.write(sb, B);
        b.write(sc, C);
        const ptr = (s: unknown) => (s as { ptr: number }).ptr;
        const scratch = b.rt.scratch(b.rt.k.gemmScratchBytes(m, n, k, esz));
        // Row-major A: rsA = k, csA = 1; B row-major: rsB = n, csB = 1.
        b.rt.k.gemm(code, m, n, k, ptr(sa), k, 1, ptr(sb), n, 1, ptr(sc), n, true, scratch);
        expectSame(
          b.readSync(sc),
          refGemm(dtype, A, B, m, k, n, false, false, C),
          `${dtype} acc ${m}x${k}x${n}`,
        );
        for (const s of [sa, sb, sc]) b.free(s);
      }
    });

    it(`${dtype}: add, sub, mul, div over a broadcast row, a column and a scalar`, async () => {
      const b = await wasmSimd();
      const next = rng(7);
      const rows = 37;
      const cols = 21;
      const A = data(dtype, rows * cols, next);
      const R = data(dtype, cols, next);
      const Q = data(dtype, rows, next);
      const sa = b.alloc(dtype, rows * cols);
      const sr = b.alloc(dtype, cols);
      const sq = b.alloc(dtype, rows);
      b.write(sa, A);
      b.write(sr, R);
      b.write(sq, Q);
      const r = dtype === 'float32' ? Math.fround : (x: number) => x;
      const shape = [rows, cols];
      const v = (storage: View['storage'], strides: number[], offset = 0): View => ({
        storage,
        shape,
        strides,
        offset,
      });
      const fs: Record<string, (x: number, y: number) => number> = {
        add: (x, y) => x + y,
        sub: (x, y) => x - y,
        mul: (x, y) => x * y,
        div: (x, y) => x / y,
      };
      for (const op of ['add', 'sub', 'mul', 'div'] as const) {
        const f = fs[op]!;
        const cases: [string, View, View, (i: number, j: number) => number][] = [
          ['row', v(sa, [cols, 1]), v(sr, [0, 1]), (i, j) => f(A[i * cols + j]!, R[j]!)],
          ['row first', v(sr, [0, 1]), v(sa, [cols, 1]), (i, j) => f(R[j]!, A[i * cols + j]!)],
          ['column', v(sa, [cols, 1]), v(sq, [1, 0]), (i, j) => f(A[i * cols + j]!, Q[i]!)],
          ['scalar', v(sa, [cols, 1]), v(sr, [0, 0], 2), (i, j) => f(A[i * cols + j]!, R[2]!)],
        ];
        for (const [what, va, vb, want] of cases) {
          const out = b.empty!(dtype, rows * cols);
          b.binary(op, va, vb, out, shape);
          const expected: number[] = [];
          for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expected.push(r(want(i, j)));
          expectSame(b.readSync!(out), expected, `${dtype} ${op} ${what}`);
          b.free(out);
        }
      }
    });
  }
});
