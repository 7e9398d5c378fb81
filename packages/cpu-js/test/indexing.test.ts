import type { DType } from '@stepwise/core';
import { describe, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { arrayFor, expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [7, 33, 1],
  [1, 33, 7],
  [3, 5, 33],
  [2, 1000, 1],
];

function randomIndex(rng: Rng, n: number, len: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = rng.int(0, len - 1);
  return idx;
}

describe('indexing', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    it(`indexSelect and indexAdd ${dtype} (repeated indices accumulate)`, () => {
      const rng = new Rng(dtype.length * 3);
      for (const [outer, len, inner] of SHAPES) {
        const nIndex = rng.pick([1, 7, 33]);
        const idx = randomIndex(rng, nIndex, len);
        const xd = randomData(rng, dtype, outer * len * inner, { lo: -50, hi: 50 });
        const I = makeStorage(b, 'int32', idx);
        const out = b.alloc(dtype, outer * nIndex * inner);
        b.indexSelect(makeStorage(b, dtype, xd), I, out, outer, len, inner);
        const want = arrayFor(dtype, outer * nIndex * inner);
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < nIndex; j++)
            for (let k = 0; k < inner; k++)
              want[(o * nIndex + j) * inner + k] = xd[(o * len + idx[j]) * inner + k];
        expectSameValues(read(b, out), want, `select [${outer}, ${len}, ${inner}]`);

        const src = randomData(rng, dtype, outer * nIndex * inner, { lo: -50, hi: 50 });
        const base = randomData(rng, dtype, outer * len * inner, { lo: -50, hi: 50 });
        const acc = makeStorage(b, dtype, base);
        b.indexAdd(acc, I, makeStorage(b, dtype, src), outer, len, inner);
        const wantAdd = Float64Array.from(base);
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < nIndex; j++)
            for (let k = 0; k < inner; k++)
              wantAdd[(o * len + idx[j]) * inner + k] += src[(o * nIndex + j) * inner + k];
        const wantTyped = arrayFor(dtype, wantAdd.length);
        for (let i = 0; i < wantAdd.length; i++)
          wantTyped[i] = dtype === 'bool' ? Number(wantAdd[i] !== 0) : wantAdd[i];
        if (dtype === 'float32') {
          // float32 accumulates in storage precision, like PyTorch: compare per-add rounding.
          const seq = Float32Array.from(base);
          for (let o = 0; o < outer; o++)
            for (let j = 0; j < nIndex; j++)
              for (let k = 0; k < inner; k++)
                seq[(o * len + idx[j]) * inner + k] += src[(o * nIndex + j) * inner + k];
          expectSameValues(read(b, acc), seq, `indexAdd [${outer}, ${len}, ${inner}]`);
        } else expectSameValues(read(b, acc), wantTyped, `indexAdd [${outer}, ${len}, ${inner}]`);
      }
    });

    it(`gather and scatterAdd ${dtype}`, () => {
      const rng = new Rng(dtype.length * 5);
      for (const [outer, len, inner] of SHAPES) {
        const lenIdx = rng.pick([1, 2, 7]);
        const n = outer * lenIdx * inner;
        const idx = randomIndex(rng, n, len);
        const I = makeStorage(b, 'int32', idx);
        const xd = randomData(rng, dtype, outer * len * inner, { lo: -50, hi: 50 });
        const out = b.alloc(dtype, n);
        b.gather(makeStorage(b, dtype, xd), I, out, outer, len, inner);
        const want = arrayFor(dtype, n);
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < lenIdx; j++)
            for (let k = 0; k < inner; k++) {
              const p = (o * lenIdx + j) * inner + k;
              want[p] = xd[(o * len + idx[p]) * inner + k];
            }
        expectSameValues(read(b, out), want, `gather [${outer}, ${len}, ${inner}]`);

        const src = randomData(rng, dtype, n, { lo: -50, hi: 50 });
        const base = randomData(rng, dtype, outer * len * inner, { lo: -50, hi: 50 });
        const acc = makeStorage(b, dtype, base);
        b.scatterAdd(acc, I, makeStorage(b, dtype, src), outer, len, inner);
        const wantAdd = arrayFor(dtype, base.length);
        wantAdd.set(base);
        for (let o = 0; o < outer; o++)
          for (let j = 0; j < lenIdx; j++)
            for (let k = 0; k < inner; k++) {
              const p = (o * lenIdx + j) * inner + k;
              const q = (o * len + idx[p]) * inner + k;
              wantAdd[q] = dtype === 'bool' ? Number(wantAdd[q] + src[p] !== 0) : wantAdd[q] + src[p];
            }
        expectSameValues(read(b, acc), wantAdd, `scatterAdd [${outer}, ${len}, ${inner}]`);
      }
    });
  }
});
