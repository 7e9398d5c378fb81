/**
 * The small-shape fast paths (issue 15, item 2): the narrow matmul blocks (n = 1, m = 1,
 * k = 1: a 1-20-1 MLP's products), the float32 binary, scalar and `where` loops, the
 * few-column sum, and the pool of freed arrays. Each must give exactly what the general
 * path gives: the same sums in the same order, the same rounding, the same signed zeros.
 */
import type { BinaryOp, DType, View } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

/** Σ_p A(i, p) B(p, j) from 0 in p order, in float64: what every block of the kernel computes. */
function refMatmul(
  A: ArrayLike<number>,
  B: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++)
        s += (transA ? A[p * m + i] : A[i * k + p]) * (transB ? B[j * k + p] : B[p * n + j]);
      out[i * n + j] = s;
    }
  return out;
}

/** Random values with some exact zeros of both signs (a -0 product must come out as +0). */
function withZeros(rng: Rng, dtype: DType, n: number) {
  const d = randomData(rng, dtype, n, { lo: -9, hi: 9 });
  for (let i = 0; i < n; i += 7) d[i] = i % 2 ? -0 : 0;
  return d;
}

const view = (s: View['storage'], shape: number[], strides: number[], offset = 0): View => ({
  storage: s,
  shape,
  strides,
  offset,
});

describe('small shapes take their fast paths with the general path’s exact results', () => {
  const b = new CpuJsBackend();

  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype} matmul: narrow products (n = 1, m = 1, k = 1) bit for bit`, () => {
      const rng = new Rng(7);
      const dims: [number, number, number][] = [
        [1000, 1, 20],
        [1000, 20, 1],
        [1, 1000, 20],
        [20, 1000, 1],
        [5, 3, 1],
        [1, 3, 7],
        [7, 9, 3],
        [6, 2, 5],
        [3, 1, 3],
        // Eight-wide blocks, then four, then single sums: n = 1, m = 1 and k = 1.
        [13, 5, 1],
        [1, 5, 13],
        [19, 1, 3],
      ];
      for (const [m, k, n] of dims)
        for (const transA of [false, true])
          for (const transB of [false, true]) {
            const ad = withZeros(rng, dtype, m * k);
            const bd = withZeros(rng, dtype, k * n);
            const out = b.empty(dtype, m * n);
            b.matmul(
              makeStorage(b, dtype, ad),
              makeStorage(b, dtype, bd),
              out,
              { batch: 1, m, k, n },
              { transA, transB, aBatchStride: 0, bBatchStride: 0 },
            );
            const want = refMatmul(ad, bd, m, k, n, transA, transB);
            expectSameValues(
              read(b, out),
              dtype === 'float32' ? Float32Array.from(want) : want,
              `${dtype} ${m}x${k}x${n} tA=${transA} tB=${transB}`,
            );
          }
    });
  }

  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype} matmul with ReLU's backward and with op(a)'s row sums: the general path's values`, () => {
      const rng = new Rng(13);
      for (const [m, k, n] of [
        [1000, 1, 20],
        [13, 1, 3],
        [20, 1000, 1],
        [1, 1000, 20],
        [6, 5, 1],
        [9, 4, 6],
      ] as [number, number, number][])
        for (const transA of [false, true]) {
          const ad = withZeros(rng, dtype, m * k);
          const bd = withZeros(rng, dtype, k * n);
          // A ReLU output: positive, ±0 and NaN.
          const reluOut = randomData(rng, dtype, m * n, { lo: 0.5, hi: 2 });
          for (let i = 0; i < m * n; i += 3) reluOut[i] = [0, -0, Number.NaN][(i / 3) % 3]!;
          const a = makeStorage(b, dtype, ad);
          const bs = makeStorage(b, dtype, bd);
          const opts = { transA, transB: false, aBatchStride: 0, bBatchStride: 0 };
          const dims = { batch: 1, m, k, n };
          const what = `${dtype} ${m}x${k}x${n} tA=${transA}`;
          const product = b.empty(dtype, m * n);
          b.matmul(a, bs, product, dims, opts);
          const masked = b.empty(dtype, m * n);
          b.matmul(a, bs, masked, dims, { ...opts, reluBackwardOf: makeStorage(b, dtype, reluOut) });
          const p = read(b, product);
          expectSameValues(
            read(b, masked),
            p.map((v, i) => (reluOut[i]! <= 0 ? 0 : v)),
            `${what} reluBackwardOf`,
          );
          const sums = b.empty(dtype, m);
          const withSums = b.empty(dtype, m * n);
          b.matmul(a, bs, withSums, dims, { ...opts, rowSumsOfA: sums });
          const wantSums = b.empty(dtype, m);
          if (transA) b.reduce('sum', a, 1, k, m, wantSums);
          else b.reduce('sum', a, m, k, 1, wantSums);
          expectSameValues(read(b, withSums), p, `${what} product beside the row sums`);
          expectSameValues(read(b, sums), read(b, wantSums), `${what} rowSumsOfA`);
        }
    });

    it(`${dtype} matmul with a bias: the product rounded, plus the bias, rounded (k = 1 and the rest)`, () => {
      const rng = new Rng(9);
      const round = dtype === 'float32' ? Math.fround : (x: number) => x;
      for (const [batch, m, k, n] of [
        [1, 1000, 1, 20],
        [1, 7, 1, 5],
        [2, 6, 1, 3],
        [1, 19, 1, 4],
        [1, 1000, 20, 1],
        [1, 9, 4, 6],
        [3, 5, 2, 7],
      ] as [number, number, number, number][])
        for (const transB of [false, true]) {
          const ad = withZeros(rng, dtype, batch * m * k);
          const bd = withZeros(rng, dtype, k * n);
          const bias = withZeros(rng, dtype, n);
          const out = b.empty(dtype, batch * m * n);
          b.matmul(
            makeStorage(b, dtype, ad),
            makeStorage(b, dtype, bd),
            out,
            { batch, m, k, n },
            {
              transA: false,
              transB,
              aBatchStride: m * k,
              bBatchStride: 0,
              bias: makeStorage(b, dtype, bias),
            },
          );
          const want = new Float64Array(batch * m * n);
          for (let bi = 0; bi < batch; bi++) {
            const prod = refMatmul(ad.slice(bi * m * k, (bi + 1) * m * k), bd, m, k, n, false, transB);
            for (let i = 0; i < m * n; i++) want[bi * m * n + i] = round(round(prod[i]!) + bias[i % n]!);
          }
          expectSameValues(
            read(b, out),
            dtype === 'float32' ? Float32Array.from(want) : want,
            `${dtype} ${batch}x${m}x${k}x${n} tB=${transB} with bias`,
          );
          // ReLU in the same call: relu of each stored value (-0 kept), with and without the bias.
          for (const withBias of [true, false]) {
            const outRelu = b.empty(dtype, batch * m * n);
            b.matmul(
              makeStorage(b, dtype, ad),
              makeStorage(b, dtype, bd),
              outRelu,
              { batch, m, k, n },
              {
                transA: false,
                transB,
                aBatchStride: m * k,
                bBatchStride: 0,
                relu: true,
                ...(withBias ? { bias: makeStorage(b, dtype, bias) } : {}),
              },
            );
            const wantRelu = new Float64Array(batch * m * n);
            for (let bi = 0; bi < batch; bi++) {
              const prod = refMatmul(ad.slice(bi * m * k, (bi + 1) * m * k), bd, m, k, n, false, transB);
              for (let i = 0; i < m * n; i++) {
                const v = withBias ? round(round(prod[i]!) + bias[i % n]!) : round(prod[i]!);
                // biome-ignore lint/complexity/useMathMinMax: Math.max(-0, 0) is 0; PyTorch's relu keeps -0.
                wantRelu[bi * m * n + i] = v < 0 ? 0 : v;
              }
            }
            expectSameValues(
              read(b, outRelu),
              dtype === 'float32' ? Float32Array.from(wantRelu) : wantRelu,
              `${dtype} ${batch}x${m}x${k}x${n} tB=${transB} relu, bias=${withBias}`,
            );
          }
        }
    });
  }

  it('float32 binary: same shape, broadcast row, broadcast column and scalar operands', () => {
    const rng = new Rng(11);
    const ops: [BinaryOp, (x: number, y: number) => number][] = [
      ['add', (x, y) => x + y],
      ['sub', (x, y) => x - y],
      ['mul', (x, y) => x * y],
      ['div', (x, y) => x / y],
    ];
    const rows = 37;
    const cols = 21;
    const a = randomData(rng, 'float32', rows * cols, { lo: -5, hi: 5 });
    const row = randomData(rng, 'float32', cols, { lo: -5, hi: 5 });
    const col = randomData(rng, 'float32', rows, { lo: -5, hi: 5 });
    a[3] = 0;
    row[4] = -0;
    const sa = makeStorage(b, 'float32', a);
    const sRow = makeStorage(b, 'float32', row);
    const sCol = makeStorage(b, 'float32', col);
    const shape = [rows, cols];
    for (const [op, f] of ops) {
      const cases: [string, View, View, (i: number, j: number) => number][] = [
        [
          'same shape',
          view(sa, shape, [cols, 1]),
          view(sa, shape, [cols, 1]),
          (i, j) => f(a[i * cols + j]!, a[i * cols + j]!),
        ],
        [
          'row',
          view(sa, shape, [cols, 1]),
          view(sRow, shape, [0, 1]),
          (i, j) => f(a[i * cols + j]!, row[j]!),
        ],
        [
          'row first',
          view(sRow, shape, [0, 1]),
          view(sa, shape, [cols, 1]),
          (i, j) => f(row[j]!, a[i * cols + j]!),
        ],
        [
          'column',
          view(sa, shape, [cols, 1]),
          view(sCol, shape, [1, 0]),
          (i, j) => f(a[i * cols + j]!, col[i]!),
        ],
        [
          'scalar',
          view(sa, shape, [cols, 1]),
          view(sRow, shape, [0, 0], 2),
          (i, j) => f(a[i * cols + j]!, row[2]!),
        ],
      ];
      for (const [what, va, vb, want] of cases) {
        const out = b.empty('float32', rows * cols);
        b.binary(op, va, vb, out, shape);
        const expected = new Float32Array(rows * cols);
        for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expected[i * cols + j] = want(i, j);
        expectSameValues(read(b, out), expected, `${op} ${what}`);
      }
      for (const scalarFirst of [false, true]) {
        const out = b.empty('float32', rows * cols);
        b.binaryScalar(op, sa, 0.1, out, scalarFirst);
        const expected = Float32Array.from(a, (x) => (scalarFirst ? f(0.1, x) : f(x, 0.1)));
        expectSameValues(read(b, out), expected, `${op} scalar first=${scalarFirst}`);
      }
    }
    for (const [op, f] of [
      ['gt', (x: number) => x > 0.5],
      ['le', (x: number) => x <= 0.5],
      ['eq', (x: number) => x === 0.5],
    ] as const) {
      const out = b.empty('bool', rows * cols);
      b.binaryScalar(op, sa, 0.5, out, false);
      expectSameValues(
        read(b, out),
        Uint8Array.from(a, (x) => (f(x) ? 1 : 0)),
        `${op} scalar`,
      );
    }
  });

  it('float32 where under a bool condition, with a broadcast value (relu’s backward)', () => {
    const rng = new Rng(13);
    const n = 1001;
    const c = randomData(rng, 'bool', n);
    const a = randomData(rng, 'float32', n, { lo: -5, hi: 5 });
    const zero = makeStorage(b, 'float32', new Float32Array([0]));
    const sc = makeStorage(b, 'bool', c);
    const sa = makeStorage(b, 'float32', a);
    const out = b.empty('float32', n);
    b.where(view(sc, [n], [1]), view(sa, [n], [1]), view(zero, [n], [0]), out, [n]);
    expectSameValues(
      read(b, out),
      Float32Array.from(a, (x, i) => (c[i] ? x : 0)),
      'where(c, a, 0)',
    );
    b.where(view(sc, [n], [1]), view(zero, [n], [0]), view(sa, [n], [1]), out, [n]);
    expectSameValues(
      read(b, out),
      Float32Array.from(a, (x, i) => (c[i] ? 0 : x)),
      'where(c, 0, a)',
    );
  });

  for (const dtype of ['float32', 'float64'] as DType[]) {
    it(`${dtype} sum over rows of a few columns (a bias gradient), summed in row order`, () => {
      const rng = new Rng(17);
      for (const [outer, len, inner] of [
        [1, 1000, 20],
        [3, 17, 7],
        [2, 5, 64],
        [1, 9, 1],
      ]) {
        const x = randomData(rng, dtype, outer * len * inner, { lo: -5, hi: 5 });
        const out = b.empty(dtype, outer * inner);
        b.reduce('sum', makeStorage(b, dtype, x), outer, len, inner, out);
        const want = new Float64Array(outer * inner);
        for (let o = 0; o < outer; o++)
          for (let k = 0; k < inner; k++) {
            let s = 0;
            for (let j = 0; j < len; j++) s += x[(o * len + j) * inner + k]!;
            want[o * inner + k] = s;
          }
        const got = read(b, out);
        // float32 sums run in float64 in row order; float64 sums are compensated (closer).
        if (dtype === 'float32') expectSameValues(got, Float32Array.from(want), `${outer}x${len}x${inner}`);
        else for (let i = 0; i < want.length; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThan(1e-9);
      }
    });
  }

  it('pools freed arrays: empty reuses them as they are, alloc zero-fills them, memoryBytes counts live ones', () => {
    const p = new CpuJsBackend();
    const s = p.alloc('float32', 100);
    p.fill(s, 7);
    p.free(s);
    expect(p.memoryBytes()).toBe(0);
    const t = p.empty('float32', 100);
    expect(p.memoryBytes()).toBe(400);
    expect(read(p, t)[0]).toBe(7);
    p.free(t);
    const u = p.alloc('float32', 100);
    expect(Array.from(read(p, u)).every((v) => v === 0)).toBe(true);
    // Another length or dtype is a new array.
    const v = p.empty('float64', 100);
    expect(read(p, v)[0]).toBe(0);
    expect(p.memoryBytes()).toBe(400 + 800);
    // A freed storage no longer sees the array it gave back.
    p.free(u);
    expect(read(p, u).length).toBe(0);
    p.destroy();
  });
});
