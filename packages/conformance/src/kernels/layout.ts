/**
 * Data movement against the reference: `cast` between every pair of dtypes, `fill`, and
 * `copy` of permuted, narrowed, stepped and expanded views (also the tiled transposes and
 * random views of rank 0 to 5).
 */

import type { DType } from '@stepwise/core';
import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import { type KernelHarness, type KernelScope, numel, randomLayout, randomShape } from './harness.js';

const DTYPES: DType[] = ['float32', 'float64', 'int32', 'bool'];

export function registerLayoutKernels(h: () => KernelHarness, dtypes: KernelScope): void {
  describe('cast', () => {
    for (const from of dtypes(DTYPES)) {
      it(`${from} to every dtype`, ({ skip }) => {
        if (!h().supports(from)) return skip(`${h().backend.name} stores no ${from}`);
        const rng = new SeededRng(6 + from.length);
        const values = [0, -0, 1.7, -2.5, 3, -0.2, 100.9, -1, 1, ...rng.values(24, -50, 50)];
        if (from === 'float32' || from === 'float64') values[3] = Number.NaN;
        for (const to of DTYPES) {
          if (!h().supports(to)) continue;
          const x = h().input(from, values);
          const out = h().output(to, values.length);
          h().run((k, s) => k.cast(s(x), s(out)));
          h().expect(out, 'exact', `cast ${from} -> ${to}`);
        }
      });
    }
  });

  describe('fill', () => {
    for (const dtype of dtypes(DTYPES)) {
      it(dtype, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const values =
          dtype === 'bool' ? [0, 1] : dtype === 'int32' ? [-3, 0, 7] : [2.5, 0, -0.1, Number.NaN];
        for (const n of [1, 7, 33, 1000]) {
          for (const v of values) {
            const out = h().output(dtype, n);
            h().run((k, s) => k.fill(s(out), v));
            h().expect(out, 'exact', `fill ${dtype} ${v} n=${n}`);
          }
        }
      });
    }
  });

  describe('copy', () => {
    for (const dtype of dtypes(DTYPES)) {
      it(`${dtype}: permuted, narrowed, expanded, tiled transposes and random strided views`, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const rng = new SeededRng(123 + dtype.length);
        const source = (n: number) =>
          h().input(
            dtype,
            Array.from({ length: n }, () =>
              dtype === 'bool' ? rng.int(0, 1) : rng.int(-100, 100) + (dtype === 'int32' ? 0 : rng.next()),
            ),
          );
        const check = (
          x: ReturnType<typeof source>,
          shape: number[],
          strides: number[],
          offset: number,
          what: string,
        ) => {
          const out = h().output(dtype, numel(shape));
          h().run((k, s) => k.copy(s(h().view(x, shape, strides, offset)), s(out)));
          h().expect(
            out,
            'exact',
            `copy ${dtype} ${what} shape [${shape}] strides [${strides}] offset ${offset}`,
          );
        };
        const x = source(2 * 3 * 4 * 5);
        const cases: [number[], number[], number][] = [
          [[5, 4, 3, 2], [1, 5, 20, 60], 0], // a full permute
          [[2, 2, 5], [60, 5, 1], 7], // narrowed, at an offset
          [[3, 4, 7], [0, 5, 0], 1], // expanded
          [[120], [1], 0], // contiguous
          [[], [], 11], // a scalar
        ];
        for (const [shape, strides, offset] of cases) check(x, shape, strides, offset, 'fixed');
        // Transposes (the tiled path) with ragged tiles, an outer dim, offsets and padding.
        const t = source(2000 * 10 + 5);
        const transposes: [number[], number[], number][] = [
          [[3, 17, 20], [340, 1, 17], 0], // permute(0, 2, 1) of [3, 20, 17]
          [[17, 60], [1, 17], 5],
          [[16, 16], [1, 16], 0],
          [[70, 90], [1, 70], 0],
          [[2000, 7], [1, 2003], 5],
          [[33, 500], [1, 34], 2],
        ];
        for (const [shape, strides, offset] of transposes) check(t, shape, strides, offset, 'transpose');
        for (let trial = 0; trial < 30; trial++) {
          const shape = randomShape(rng, 5);
          const l = randomLayout(rng, shape, { contiguous: trial % 5 === 0 });
          check(source(l.size), shape, l.strides, l.offset, `random ${trial}`);
        }
      });
    }
  });
}
