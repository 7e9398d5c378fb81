/**
 * Elementwise kernels against the reference: `unary` over special and random values at
 * the lengths that end SIMD loops in every way (1, 7, 33, 1000); `binary` and `where` over
 * contiguous, broadcast, transposed and random strided views; `binaryScalar` in both
 * operand orders.
 */

import type { DType } from '@stepwise/core';
import { describe, it } from 'vitest';
import { SeededRng } from '../seeded.js';
import { type KernelHarness, type KernelScope, numel, randomLayout, randomShape } from './harness.js';
import { type BinaryInfo, binaryOps, unaryOps } from './ops.js';

const SIZES = [1, 7, 33, 1000];

/** Values where kernels go wrong: signed zeros, the softplus threshold, exp's overflow, NaN, infinities. */
const SPECIALS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e-4,
  -1e-4,
  1e-7,
  20,
  20.5,
  21,
  -20,
  -30,
  30,
  88,
  88.72,
  88.73,
  -88,
  -103.9,
  100,
  -100,
  800,
  -800,
  1e-30,
  1e30,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
];

const INT_SPECIALS = [0, 1, -1, 7, -7, 46340, 46341, -100000, 2147483647, -2147483648];

/** Float inputs of a unary op: the specials, then uniform values over [-30, 30] and its dense range. */
function unaryValues(rng: SeededRng, dense: readonly [number, number] = [-3, 3]): number[] {
  const v = [...SPECIALS, ...rng.values(500, -30, 30)];
  return [...v, ...rng.values(1000 - v.length, dense[0], dense[1])];
}

const outOf = (info: BinaryInfo, dtype: DType): DType => (info.writesBool ? 'bool' : dtype);
const kindOf = (exact: boolean, dtype: DType) =>
  exact || dtype === 'int32' || dtype === 'bool' ? 'exact' : 'elementwise';

/**
 * Random operands of `dtype` for `op`: floats with ties, signed zeros, NaN and infinities;
 * int32 over the op's domain, `second` picking the right
 * operand's (pow's exponent).
 */
function operand(rng: SeededRng, dtype: DType, n: number, op?: BinaryInfo, second = false): number[] {
  const specials = [0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  return Array.from({ length: n }, () => {
    if (dtype === 'bool') return rng.next() < 0.5 ? 1 : 0;
    if (dtype === 'int32') {
      const domain = op?.int32Domain?.[second ? 1 : 0];
      if (domain) return rng.int(domain[0], domain[1]);
      return rng.next() < 0.1 ? rng.pick(INT_SPECIALS) : rng.int(-100000, 100000);
    }
    const u = rng.next();
    if (u < 0.04) return rng.pick(specials);
    if (u < 0.2) return rng.int(-3, 3); // ties between operands
    return rng.uniform(-5, 5);
  });
}

export function registerElementwiseKernels(h: () => KernelHarness, dtypes: KernelScope): void {
  describe('unary', () => {
    for (const info of unaryOps) {
      for (const dtype of dtypes(['float32', 'float64', 'int32'])) {
        if (dtype === 'int32' && !info.int32) continue;
        it(`${info.op} ${dtype}`, ({ skip }) => {
          if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
          const rng = new SeededRng(info.op.length * 97 + dtype.length);
          const all =
            dtype === 'int32'
              ? [...INT_SPECIALS, ...Array.from({ length: 990 }, () => rng.int(-70000, 70000))]
              : unaryValues(rng, info.dense);
          for (const n of SIZES) {
            const x = h().input(dtype, all.slice(0, n));
            const out = h().output(info.op === 'not' ? 'bool' : dtype, n);
            h().run((k, s) => k.unary(info.op, s(x), s(out)));
            h().expect(out, kindOf(info.exact, dtype), `${info.op}(${dtype}) n=${n}`);
          }
        });
      }
    }
    it('not: a float input into a float output', () => {
      const x = h().input('float32', [0, -0, 1, Number.NaN, -2.5, 0, 3, 0]);
      const out = h().output('float32', 8);
      h().run((k, s) => k.unary('not', s(x), s(out)));
      h().expect(out, 'exact', 'not float32 -> float32');
    });
  });

  describe('binary', () => {
    for (const info of binaryOps) {
      for (const dtype of dtypes(info.dtypes)) {
        it(`${info.op} ${dtype}: contiguous, broadcast rows and columns, transposed, random strided views`, ({
          skip,
        }) => {
          if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
          const rng = new SeededRng(info.op.length * 31 + dtype.length * 7 + 1);
          const od = outOf(info, dtype);
          const kind = kindOf(info.exact, dtype);
          const a = (n: number) => h().input(dtype, operand(rng, dtype, n, info));
          const b = (n: number) => h().input(dtype, operand(rng, dtype, n, info, true));
          const check = (
            av: ReturnType<KernelHarness['view']>,
            bv: ReturnType<KernelHarness['view']>,
            shape: number[],
            what: string,
          ) => {
            const out = h().output(od, numel(shape));
            h().run((k, s) => k.binary(info.op, s(av), s(bv), s(out), shape));
            h().expect(out, kind, `${info.op} ${dtype} ${what} [${shape}]`);
          };
          // Same shape, contiguous: the fast path, at every loop-tail length.
          for (const n of SIZES) check(h().view(a(n), [n]), h().view(b(n), [n]), [n], 'contiguous');
          for (const n of [7, 1000]) {
            // [n, 3] with a row [1, 3] broadcast, and the row first.
            const m = a(3 * n);
            const row = b(3);
            check(h().view(m, [n, 3]), h().view(row, [n, 3], [0, 1]), [n, 3], 'row broadcast');
            check(h().view(a(3), [n, 3], [0, 1]), h().view(b(3 * n), [n, 3]), [n, 3], 'row broadcast first');
            // [3, n] read transposed, against a column broadcast.
            check(h().view(m, [3, n], [1, 3]), h().view(row, [3, n], [1, 0]), [3, n], 'transposed');
          }
          if (dtype === 'int32' && info.int32Pairs) {
            const [pa, pb] = info.int32Pairs;
            check(
              h().view(h().input(dtype, pa), [pa.length]),
              h().view(h().input(dtype, pb), [pb.length]),
              [pa.length],
              'fixed pairs',
            );
          }
          // [3, 1, 5] op [4, 5] into [3, 4, 5].
          check(
            h().view(a(15), [3, 4, 5], [5, 0, 1]),
            h().view(b(20), [3, 4, 5], [0, 5, 1]),
            [3, 4, 5],
            'both broadcast',
          );
          for (let t = 0; t < 6; t++) {
            const shape = randomShape(rng);
            const la = randomLayout(rng, shape);
            const lb = randomLayout(rng, shape);
            check(
              h().view(a(la.size), shape, la.strides, la.offset),
              h().view(b(lb.size), shape, lb.strides, lb.offset),
              shape,
              `random views ${t}`,
            );
          }
        });
      }
    }
  });

  describe('binaryScalar', () => {
    for (const info of binaryOps) {
      for (const dtype of dtypes(info.dtypes)) {
        if (dtype === 'bool') continue; // core promotes a bool tensor with a number first
        it(`${info.op} ${dtype}, both operand orders`, ({ skip }) => {
          if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
          const rng = new SeededRng(info.op.length * 13 + dtype.length);
          // Core never pairs an int32 tensor with a fractional scalar (it promotes first).
          const scalarsFor = (first: boolean): number[] => {
            if (dtype !== 'int32') return [0.5, -2, 3.25, 2.5, 0, Number.NaN];
            const d = info.int32Domain?.[first ? 0 : 1];
            return d ? [d[0], d[1], rng.int(d[0], d[1])] : [2, -3, 0, rng.int(-100000, 100000)];
          };
          for (const [j, n] of SIZES.entries()) {
            for (const first of [false, true]) {
              // The tensor is the right operand (pow's exponent) when the scalar comes first.
              const x = h().input(dtype, operand(rng, dtype, n, info, first));
              // Half the scalars at each length, the other half at the next.
              for (const sv of scalarsFor(first).filter((_, i) => i % 2 === j % 2)) {
                const out = h().output(outOf(info, dtype), n);
                h().run((k, s) => k.binaryScalar(info.op, s(x), sv, s(out), first));
                h().expect(
                  out,
                  kindOf(info.exact, dtype),
                  `${info.op} ${dtype} scalar ${sv} first=${first} n=${n}`,
                );
              }
            }
          }
        });
      }
    }
  });

  describe('where', () => {
    for (const dtype of dtypes(['float32', 'float64', 'int32', 'bool'])) {
      it(`${dtype}: broadcast condition and operands, contiguous, random strided views`, ({ skip }) => {
        if (!h().supports(dtype)) return skip(`${h().backend.name} stores no ${dtype}`);
        const rng = new SeededRng(77 + dtype.length);
        const cond = (n: number) => h().input('bool', operand(rng, 'bool', n));
        const val = (n: number) => h().input(dtype, operand(rng, dtype, n));
        const check = (
          c: ReturnType<KernelHarness['view']>,
          a: ReturnType<KernelHarness['view']>,
          b: ReturnType<KernelHarness['view']>,
          shape: number[],
          what: string,
        ) => {
          const out = h().output(dtype, numel(shape));
          h().run((k, s) => k.where(s(c), s(a), s(b), s(out), shape));
          h().expect(out, 'exact', `where ${dtype} ${what} [${shape}]`);
        };
        for (const n of SIZES) {
          check(
            h().view(cond(n), [n, 2], [1, 0]),
            h().view(val(2 * n), [n, 2]),
            h().view(val(2), [n, 2], [0, 1]),
            [n, 2],
            'broadcast',
          );
          // All contiguous, and a broadcast scalar `b` (relu's backward).
          const a = val(2 * n);
          for (const bStrides of [[1], [0]]) {
            check(
              h().view(cond(2 * n), [2 * n]),
              h().view(a, [2 * n]),
              h().view(val(2 * n), [2 * n], bStrides),
              [2 * n],
              `contiguous b stride ${bStrides[0]}`,
            );
          }
        }
        for (let t = 0; t < 12; t++) {
          const shape = randomShape(rng);
          const [lc, la, lb] = [randomLayout(rng, shape), randomLayout(rng, shape), randomLayout(rng, shape)];
          check(
            h().view(cond(lc.size), shape, lc.strides, lc.offset),
            h().view(val(la.size), shape, la.strides, la.offset),
            h().view(val(lb.size), shape, lb.strides, lb.offset),
            shape,
            `random views ${t}`,
          );
        }
      });
    }
  });
}
