import type { BinaryOp, DType, UnaryOp } from '@stepwise/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectSame, type Pair, pair, placements, randomData, rng, tol, upload, view } from './helpers.js';

for (const place of placements()) {
  describe.skipIf(place.refused !== undefined)(place.name, () => {
    let p: Pair;
    beforeAll(async () => {
      p = await pair(place);
    });

    const sizes = [1, 7, 33, 1000];
    const floats: DType[] = ['float32', 'float64'];

    describe('unary', () => {
      const ops: UnaryOp[] = [
        'neg',
        'exp',
        'log',
        'sqrt',
        'rsqrt',
        'abs',
        'sign',
        'square',
        'relu',
        'sigmoid',
        'tanh',
        'softplus',
        'reciprocal',
        'not',
      ];
      for (const dtype of floats) {
        for (const op of ops) {
          it(`${op} ${dtype} matches cpu-js`, () => {
            const r = rng(1);
            for (const n of sizes) {
              const data = randomData(dtype, n, r, -30, 30);
              data[0] = 0;
              if (n > 3) {
                data[1] = Number.NaN;
                data[2] = -0;
              }
              const x = upload(p, dtype, data);
              const od = op === 'not' ? 'bool' : dtype;
              const ow = p.w.alloc(od, n);
              const oc = p.c.alloc(od, n);
              p.w.unary(op, x.w, ow);
              p.c.unary(op, x.c, oc);
              expectSame(p, ow, oc, tol(dtype), `${op}(${dtype}, n=${n})`);
            }
          });
        }
      }
      for (const op of ['neg', 'abs', 'sign', 'square', 'relu'] as UnaryOp[]) {
        it(`${op} int32 matches cpu-js`, () => {
          const data = randomData('int32', 33, rng(2), -100, 100);
          const x = upload(p, 'int32', data);
          const ow = p.w.alloc('int32', 33);
          const oc = p.c.alloc('int32', 33);
          p.w.unary(op, x.w, ow);
          p.c.unary(op, x.c, oc);
          expectSame(p, ow, oc, 0, op);
        });
      }
    });

    describe('binary', () => {
      const ops: BinaryOp[] = [
        'add',
        'sub',
        'mul',
        'div',
        'pow',
        'maximum',
        'minimum',
        'eq',
        'ne',
        'lt',
        'le',
        'gt',
        'ge',
      ];
      const cmp = new Set<BinaryOp>(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
      for (const dtype of [...floats, 'int32'] as DType[]) {
        for (const op of ops) {
          if (dtype === 'int32' && (op === 'div' || op === 'pow')) continue;
          it(`${op} ${dtype}: contiguous, broadcast, strided, scalar`, () => {
            const r = rng(3);
            const od: DType = cmp.has(op) ? 'bool' : dtype;
            const lo = op === 'pow' ? 0.1 : -5;
            for (const n of sizes) {
              // same shape contiguous
              const a = upload(p, dtype, randomData(dtype, n, r, lo, 5));
              const b = upload(p, dtype, randomData(dtype, n, r, lo, 5));
              let ow = p.w.alloc(od, n);
              let oc = p.c.alloc(od, n);
              p.w.binary(op, view(a.w, [n]), view(b.w, [n]), ow, [n]);
              p.c.binary(op, view(a.c, [n]), view(b.c, [n]), oc, [n]);
              expectSame(p, ow, oc, tol(dtype), `${op} contiguous n=${n}`);
              // scalar both orders
              for (const first of [false, true]) {
                // core never pairs an int tensor with a fractional scalar (it promotes first)
                const sv = dtype === 'int32' ? 2 : 1.5;
                p.w.binaryScalar(op, a.w, sv, ow, first);
                p.c.binaryScalar(op, a.c, sv, oc, first);
                expectSame(p, ow, oc, tol(dtype), `${op} scalar first=${first} n=${n}`);
              }
              // broadcast [n, 3] op [1, 3] and [n, 1] op [n, 3]-transposed strided
              const m = upload(p, dtype, randomData(dtype, 3 * n, r, lo, 5));
              const row = upload(p, dtype, randomData(dtype, 3, r, lo, 5));
              ow = p.w.alloc(od, 3 * n);
              oc = p.c.alloc(od, 3 * n);
              p.w.binary(op, view(m.w, [n, 3]), view(row.w, [n, 3], [0, 1]), ow, [n, 3]);
              p.c.binary(op, view(m.c, [n, 3]), view(row.c, [n, 3], [0, 1]), oc, [n, 3]);
              expectSame(p, ow, oc, tol(dtype), `${op} broadcast row n=${n}`);
              // a transposed view [3, n] with strides [1, 3] against a column [3, 1] broadcast
              p.w.binary(op, view(m.w, [3, n], [1, 3]), view(row.w, [3, n], [1, 0]), ow, [3, n]);
              p.c.binary(op, view(m.c, [3, n], [1, 3]), view(row.c, [3, n], [1, 0]), oc, [3, n]);
              expectSame(p, ow, oc, tol(dtype), `${op} strided n=${n}`);
            }
          });
        }
      }
      it('and/or on bools', () => {
        const r = rng(4);
        for (const op of ['and', 'or'] as BinaryOp[]) {
          const a = upload(p, 'bool', randomData('bool', 33, r));
          const b = upload(p, 'bool', randomData('bool', 33, r));
          const ow = p.w.alloc('bool', 33);
          const oc = p.c.alloc('bool', 33);
          p.w.binary(op, view(a.w, [33]), view(b.w, [33]), ow, [33]);
          p.c.binary(op, view(a.c, [33]), view(b.c, [33]), oc, [33]);
          expectSame(p, ow, oc, 0, op);
        }
      });
      it('maximum/minimum propagate NaN', () => {
        const data = new Float32Array([Number.NaN, 1, 2, Number.NaN, 5, 6, 7, 8]);
        const other = new Float32Array([0, Number.NaN, 3, 4, 5, 6, 7, Number.NaN]);
        const a = upload(p, 'float32', data);
        const b = upload(p, 'float32', other);
        for (const op of ['maximum', 'minimum'] as BinaryOp[]) {
          const ow = p.w.alloc('float32', 8);
          const oc = p.c.alloc('float32', 8);
          p.w.binary(op, view(a.w, [8]), view(b.w, [8]), ow, [8]);
          p.c.binary(op, view(a.c, [8]), view(b.c, [8]), oc, [8]);
          expectSame(p, ow, oc, 0, op);
        }
      });
    });

    describe('where, cast, fill, copy', () => {
      it('where with broadcasting', () => {
        const r = rng(5);
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
          for (const n of sizes) {
            const c = upload(p, 'bool', randomData('bool', n, r));
            const a = upload(p, dtype, randomData(dtype, n * 2, r));
            const b = upload(p, dtype, randomData(dtype, 2, r));
            const ow = p.w.alloc(dtype, 2 * n);
            const oc = p.c.alloc(dtype, 2 * n);
            p.w.where(view(c.w, [n, 2], [1, 0]), view(a.w, [n, 2]), view(b.w, [n, 2], [0, 1]), ow, [n, 2]);
            p.c.where(view(c.c, [n, 2], [1, 0]), view(a.c, [n, 2]), view(b.c, [n, 2], [0, 1]), oc, [n, 2]);
            expectSame(p, ow, oc, 0, `where ${dtype} n=${n}`);
            // all contiguous, and a broadcast scalar `b` (relu's backward): the 4-lane path
            const c2 = upload(p, 'bool', randomData('bool', 2 * n, r));
            const b2 = upload(p, dtype, randomData(dtype, 2 * n, r));
            for (const bStrides of [[1], [0]]) {
              p.w.where(view(c2.w, [2 * n]), view(a.w, [2 * n]), view(b2.w, [2 * n], bStrides), ow, [2 * n]);
              p.c.where(view(c2.c, [2 * n]), view(a.c, [2 * n]), view(b2.c, [2 * n], bStrides), oc, [2 * n]);
              expectSame(p, ow, oc, 0, `where contiguous ${dtype} n=${n} bStride=${bStrides[0]}`);
            }
          }
        }
      });
      it('cast between every pair of dtypes', () => {
        const r = rng(6);
        const all: DType[] = ['float32', 'float64', 'int32', 'bool'];
        for (const from of all) {
          for (const to of all) {
            const data = randomData(from, 33, r, -50, 50);
            if (from !== 'bool' && from !== 'int32') data[3] = Number.NaN;
            const x = upload(p, from, data);
            const ow = p.w.alloc(to, 33);
            const oc = p.c.alloc(to, 33);
            p.w.cast(x.w, ow);
            p.c.cast(x.c, oc);
            expectSame(p, ow, oc, 0, `cast ${from} -> ${to}`);
          }
        }
      });
      it('fill', () => {
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
          for (const n of sizes) {
            const ow = p.w.alloc(dtype, n);
            const oc = p.c.alloc(dtype, n);
            p.w.fill(ow, 2.5);
            p.c.fill(oc, 2.5);
            expectSame(p, ow, oc, 0, `fill ${dtype}`);
          }
        }
      });
      it('strided copy: permute, narrow, expand', () => {
        const r = rng(7);
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
          const x = upload(p, dtype, randomData(dtype, 2 * 3 * 4 * 5, r));
          const cases: [number[], number[], number][] = [
            [[5, 4, 3, 2], [1, 5, 20, 60], 0], // full permute
            [[2, 2, 5], [60, 5, 1], 7], // narrow with offset
            [[3, 4, 7], [0, 5, 0], 1], // expand
            [[120], [1], 0], // contiguous
            [[], [], 11], // scalar
          ];
          for (const [shape, strides, offset] of cases) {
            const n = shape.reduce((a, b) => a * b, 1);
            const ow = p.w.alloc(dtype, n);
            const oc = p.c.alloc(dtype, n);
            p.w.copy(view(x.w, shape, strides, offset), ow);
            p.c.copy(view(x.c, shape, strides, offset), oc);
            expectSame(p, ow, oc, 0, `copy ${dtype} ${shape}`);
          }
        }
      });
      it('transposes (the tiled path) with ragged tiles and an outer dim', () => {
        const r = rng(8);
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
          const x = upload(p, dtype, randomData(dtype, 3 * 20 * 17 + 5, r));
          const cases: [number[], number[], number][] = [
            [[3, 17, 20], [340, 1, 17], 0], // permute(0, 2, 1) of [3, 20, 17]
            [[17, 60], [1, 17], 5], // a 2-d transpose with an offset
            [[16, 16], [1, 16], 0],
          ];
          for (const [shape, strides, offset] of cases) {
            const n = shape.reduce((a, b) => a * b, 1);
            const ow = p.w.alloc(dtype, n);
            const oc = p.c.alloc(dtype, n);
            p.w.copy(view(x.w, shape, strides, offset), ow);
            p.c.copy(view(x.c, shape, strides, offset), oc);
            expectSame(p, ow, oc, 0, `copy ${dtype} ${shape}`);
          }
        }
      });
    });

    describe('float32 exp and sigmoid (vectorised)', () => {
      it('stay within 2 ulp of the correctly rounded result over the whole range', () => {
        const r = rng(9);
        const n = 50_000;
        const data = Float32Array.from({ length: n }, () => -104 + 193 * r());
        data.set(
          [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 88.72, 88.73, -103.9],
          0,
        );
        const x = p.w.alloc('float32', n);
        p.w.write(x, data);
        const out = p.w.alloc('float32', n);
        const refs: [UnaryOp, (v: number) => number][] = [
          ['exp', Math.exp],
          ['sigmoid', (v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v)))],
        ];
        for (const [op, ref] of refs) {
          p.w.unary(op, x, out);
          const got = p.w.readSync!(out);
          for (let i = 0; i < n; i++) {
            const want = Math.fround(ref(data[i]!));
            const g = got[i]!;
            if (Number.isNaN(want)) {
              expect(Number.isNaN(g), `${op}(${data[i]})`).toBe(true);
              continue;
            }
            // ulps of float32 at the expected value (subnormals: the smallest step)
            const ulp = Math.max(2 ** -149, Math.abs(want) * 2 ** -23);
            if (g !== want && !(Math.abs(g - want) <= 2 * ulp))
              expect.fail(`${op}(${data[i]}): got ${g}, want ${want}`);
          }
        }
      });
    });
  });
}
