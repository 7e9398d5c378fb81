import type { DType, ReduceOp } from '@stepwise/core';
import { describe, it } from 'vitest';
import { cpu, expectSame, gpu, gpuVariant, pair, pairAlloc, randomValues, rng } from './helpers.js';

const ops: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];
// Short axes take the one-invocation-per-output path, long ones the workgroup tree.
const shapes: [number, number, number][] = [
  [3, 5, 4],
  [1, 1, 1],
  [2, 300, 3],
  [1, 5000, 1],
  [1, 100_003, 1],
  [3, 40_000, 2],
  [1, 200, 3000],
  [4, 70, 600],
  [70, 1, 2],
  [0, 3, 2],
];

describe('reduce', () => {
  for (const op of ops) {
    for (const [outer, len, inner] of shapes) {
      it(`${op} over [${outer}, ${len}, ${inner}] float32`, async () => {
        const r = rng(outer * 31 + len);
        const lo = op === 'prod' ? 0.9 : -3;
        const hi = op === 'prod' ? 1.1 : 3;
        const vals = randomValues(outer * len * inner, r, lo, hi).map((v) =>
          op.startsWith('arg') ? Math.round(v) : v,
        );
        const x = await pair('float32', vals);
        const out = await pairAlloc(op.startsWith('arg') ? 'int32' : 'float32', outer * inner);
        cpu.reduce(op, x.c, outer, len, inner, out.c);
        const loose = len > 100;
        // Both strategies: this adapter's choice and the one for real GPUs.
        for (const be of [await gpu(), await gpuVariant()]) {
          be.fill(out.g, 7);
          be.reduce(op, x.g, outer, len, inner, out.g);
          await expectSame(out, op, loose ? 1e-4 : 1e-5, loose ? 1e-4 : 1e-6);
        }
      });
    }
  }
  for (const op of ['max', 'min', 'argmax', 'argmin', 'sum'] as ReduceOp[]) {
    for (const len of [5, 400]) {
      it(`${op} propagates NaN and keeps the first of ties (len ${len})`, async () => {
        const vals = Array.from({ length: len * 2 }, (_, i) => (i % 7 === 3 ? 2 : i % 5));
        vals[len - 2] = Number.NaN;
        vals[len + 1] = Number.NaN;
        vals[len + 3] = Number.NaN;
        const x = await pair('float32', vals);
        const out = await pairAlloc(op.startsWith('arg') ? 'int32' : 'float32', 2);
        cpu.reduce(op, x.c, 2, len, 1, out.c);
        for (const be of [await gpu(), await gpuVariant()]) {
          be.fill(out.g, 7);
          be.reduce(op, x.g, 2, len, 1, out.g);
          await expectSame(out, op);
        }
      });
    }
  }
  for (const dt of ['int32', 'bool'] as DType[]) {
    it(`sum/max/argmax of ${dt}`, async () => {
      const vals = Array.from({ length: 3 * 100 }, (_, i) =>
        dt === 'bool' ? (i * 7) % 3 === 0 : (i * 37) % 11,
      );
      const x = await pair(dt, vals.map(Number));
      for (const op of ['sum', 'max', 'argmax'] as ReduceOp[]) {
        const outDt: DType = op === 'argmax' ? 'int32' : op === 'sum' ? 'int32' : dt;
        const out = await pairAlloc(outDt, 3);
        (await gpu()).reduce(op, x.g, 3, 100, 1, out.g);
        cpu.reduce(op, x.c, 3, 100, 1, out.c);
        await expectSame(out, `${op} ${dt}`);
      }
    });
  }
});
