/**
 * indexSelect, indexAdd, gather and scatterAdd against the reference, with repeated
 * indices (which accumulate), for every dtype.
 */

import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import type { KernelHarness, KernelScope } from './harness.js';

const SHAPES: [outer: number, len: number, inner: number][] = [
  [1, 1, 1],
  [1, 7, 1],
  [3, 5, 4],
  [2, 33, 7],
  [7, 33, 1],
  [2, 1000, 1],
];

export function registerIndexingKernels(h: () => KernelHarness, dtypes: KernelScope): void {
  describe('indexing', () => {
    for (const dtype of dtypes(['float32', 'float64', 'int32', 'bool'])) {
      it(`indexSelect, indexAdd, gather, scatterAdd on ${dtype} (repeated indices)`, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const rng = new SeededRng(51 + dtype.length);
        const draw = (n: number) =>
          Array.from({ length: n }, () =>
            dtype === 'bool' ? rng.int(0, 1) : dtype === 'int32' ? rng.int(-50, 50) : rng.uniform(-3, 3),
          );
        const indices = (n: number, len: number) => Array.from({ length: n }, () => rng.int(0, len - 1));
        for (const [outer, len, inner] of SHAPES) {
          const what = `${dtype} [${outer}, ${len}, ${inner}]`;
          const nIdx = rng.pick([1, 6, 33]);
          const idx = h().input('int32', len === 5 ? [4, 0, 4, 2, 4, 1] : indices(nIdx, len));
          const x = h().input(dtype, draw(outer * len * inner));
          const sel = h().output(dtype, outer * idx.size * inner);
          h().run((k, s) => k.indexSelect(s(x), s(idx), s(sel), outer, len, inner));
          h().expect(sel, 'exact', `indexSelect ${what}`);
          const src = h().input(dtype, draw(outer * idx.size * inner));
          // Repeated indices add in an order of the backend's choosing: held to Σ|terms|.
          const mAdd = h().absOf(x);
          h().run((k, s) => k.indexAdd(s(x), s(idx), s(src), outer, len, inner));
          h().reference.indexAdd(mAdd, idx.r, h().absOf(src), outer, len, inner);
          h().expect(x, 'accumulated', `indexAdd ${what}`, mAdd);

          const lenIdx = rng.pick([1, 2, 4, 7]);
          const gIdx = h().input('int32', indices(outer * lenIdx * inner, len));
          // A fresh x: the one indexAdd wrote may differ from the reference in the last bit.
          const y = h().input(dtype, draw(outer * len * inner));
          const gathered = h().output(dtype, outer * lenIdx * inner);
          h().run((k, s) => k.gather(s(y), s(gIdx), s(gathered), outer, len, inner));
          h().expect(gathered, 'exact', `gather ${what}`);
          const gsrc = h().input(dtype, draw(outer * lenIdx * inner));
          const mScatter = h().absOf(y);
          h().run((k, s) => k.scatterAdd(s(y), s(gIdx), s(gsrc), outer, len, inner));
          h().reference.scatterAdd(mScatter, gIdx.r, h().absOf(gsrc), outer, len, inner);
          h().expect(y, 'accumulated', `scatterAdd ${what}`, mScatter);
        }
      });
    }
  });
}
