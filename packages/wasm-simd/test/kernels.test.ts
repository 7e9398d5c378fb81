import type { DType, ReduceOp } from '@stepwise/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import { expectSame, type Pair, pair, placements, randomData, rng, tol, upload } from './helpers.js';

for (const place of placements()) {
  describe.skipIf(place.refused !== undefined)(place.name, () => {
    let p: Pair;
    beforeAll(async () => {
      p = await pair(place);
    });

    const floats: DType[] = ['float32', 'float64'];

    describe('reduce', () => {
      const ops: ReduceOp[] = ['sum', 'prod', 'max', 'min', 'argmax', 'argmin'];
      const shapes: [number, number, number][] = [
        [1, 1, 1],
        [1, 7, 1],
        [3, 33, 1],
        [1, 1000, 1],
        [2, 7, 5],
        [4, 33, 9],
        [1, 1000, 3],
        [5, 1, 7],
      ];
      for (const dtype of [...floats, 'int32'] as DType[]) {
        for (const op of ops) {
          it(`${op} ${dtype}`, () => {
            const r = rng(11);
            for (const [outer, len, inner] of shapes) {
              const n = outer * len * inner;
              const lo = op === 'prod' ? 0.5 : -5;
              const hi = op === 'prod' ? 1.5 : 5;
              const x = upload(p, dtype, randomData(dtype, n, r, lo, hi));
              const od: DType = op === 'argmax' || op === 'argmin' ? 'int32' : dtype;
              const ow = p.w.alloc(od, outer * inner);
              const oc = p.c.alloc(od, outer * inner);
              p.w.reduce(op, x.w, outer, len, inner, ow);
              p.c.reduce(op, x.c, outer, len, inner, oc);
              const t = dtype === 'float32' ? 1e-4 : tol(dtype) * 100;
              expectSame(p, ow, oc, t, `${op} ${dtype} [${outer},${len},${inner}]`);
            }
          });
        }
      }
      it('max/argmax propagate NaN (first NaN wins)', () => {
        const data = new Float32Array([1, Number.NaN, 3, Number.NaN, 0, 2, 9, 4]);
        const x = upload(p, 'float32', data);
        for (const op of ['max', 'min', 'argmax', 'argmin'] as ReduceOp[]) {
          const od: DType = op.startsWith('arg') ? 'int32' : 'float32';
          for (const [outer, len, inner] of [
            [1, 8, 1],
            [2, 4, 1],
            [1, 4, 2],
          ]) {
            const ow = p.w.alloc(od, outer * inner);
            const oc = p.c.alloc(od, outer * inner);
            p.w.reduce(op, x.w, outer, len, inner, ow);
            p.c.reduce(op, x.c, outer, len, inner, oc);
            expectSame(p, ow, oc, 0, `${op} NaN [${outer},${len},${inner}]`);
          }
        }
      });
    });

    describe('matmul', () => {
      const shapes: [number, number, number, number][] = [
        [1, 1, 1, 1],
        [1, 7, 33, 5],
        [2, 33, 7, 9],
        [1, 64, 300, 40],
        [3, 5, 1, 1000],
        [1, 130, 257, 17],
      ];
      for (const dtype of [...floats, 'int32'] as DType[]) {
        for (const transA of [false, true]) {
          for (const transB of [false, true]) {
            it(`${dtype} transA=${transA} transB=${transB}`, () => {
              const r = rng(21);
              for (const [batch, m, k, n] of shapes) {
                for (const shareB of [false, true]) {
                  const a = upload(p, dtype, randomData(dtype, batch * m * k, r, -3, 3));
                  const b = upload(p, dtype, randomData(dtype, (shareB ? 1 : batch) * k * n, r, -3, 3));
                  const ow = p.w.alloc(dtype, batch * m * n);
                  const oc = p.c.alloc(dtype, batch * m * n);
                  const opts = { transA, transB, aBatchStride: m * k, bBatchStride: shareB ? 0 : k * n };
                  p.w.matmul(a.w, b.w, ow, { batch, m, k, n }, opts);
                  p.c.matmul(a.c, b.c, oc, { batch, m, k, n }, opts);
                  const t = dtype === 'float32' ? 1e-4 : tol(dtype) * 100;
                  expectSame(p, ow, oc, t, `matmul ${dtype} [${batch},${m},${k},${n}] shareB=${shareB}`);
                }
              }
            });
          }
        }
      }
    });

    describe('conv2d and max pooling', () => {
      const geoms = [
        {
          batch: 2,
          inChannels: 3,
          inH: 7,
          inW: 6,
          outChannels: 4,
          kH: 3,
          kW: 3,
          s: 1,
          pad: 1,
          d: 1,
          groups: 1,
        },
        {
          batch: 1,
          inChannels: 4,
          inH: 9,
          inW: 9,
          outChannels: 6,
          kH: 3,
          kW: 2,
          s: 2,
          pad: 0,
          d: 2,
          groups: 2,
        },
        {
          batch: 3,
          inChannels: 5,
          inH: 4,
          inW: 5,
          outChannels: 7,
          kH: 1,
          kW: 1,
          s: 1,
          pad: 0,
          d: 1,
          groups: 1,
        },
        {
          batch: 1,
          inChannels: 1,
          inH: 33,
          inW: 1,
          outChannels: 2,
          kH: 5,
          kW: 1,
          s: 3,
          pad: 2,
          d: 1,
          groups: 1,
        },
      ];
      for (const dtype of floats) {
        it(`conv2d forward and both backward pieces, ${dtype}`, () => {
          const r = rng(31);
          for (const q of geoms) {
            const outH = Math.floor((q.inH + 2 * q.pad - q.d * (q.kH - 1) - 1) / q.s) + 1;
            const outW = Math.floor((q.inW + 2 * q.pad - q.d * (q.kW - 1) - 1) / q.s) + 1;
            const g = {
              batch: q.batch,
              inChannels: q.inChannels,
              inH: q.inH,
              inW: q.inW,
              outChannels: q.outChannels,
              outH,
              outW,
              kH: q.kH,
              kW: q.kW,
              strideH: q.s,
              strideW: q.s,
              padH: q.pad,
              padW: q.pad,
              dilationH: q.d,
              dilationW: q.d,
              groups: q.groups,
            };
            const xs = q.batch * q.inChannels * q.inH * q.inW;
            const ws = (q.outChannels * q.inChannels * q.kH * q.kW) / q.groups;
            const os = q.batch * q.outChannels * outH * outW;
            const x = upload(p, dtype, randomData(dtype, xs, r));
            const w = upload(p, dtype, randomData(dtype, ws, r));
            const go = upload(p, dtype, randomData(dtype, os, r));
            const t = dtype === 'float32' ? 1e-4 : 1e-10;
            const ow = p.w.alloc(dtype, os);
            const oc = p.c.alloc(dtype, os);
            p.w.conv2d(x.w, w.w, ow, g);
            p.c.conv2d(x.c, w.c, oc, g);
            expectSame(p, ow, oc, t, `conv2d ${JSON.stringify(q)}`);
            const gxw = p.w.alloc(dtype, xs);
            const gxc = p.c.alloc(dtype, xs);
            p.w.conv2dBackwardInput(go.w, w.w, gxw, g);
            p.c.conv2dBackwardInput(go.c, w.c, gxc, g);
            expectSame(p, gxw, gxc, t, `conv2d gradX ${JSON.stringify(q)}`);
            const gww = p.w.alloc(dtype, ws);
            const gwc = p.c.alloc(dtype, ws);
            p.w.conv2dBackwardWeight(go.w, x.w, gww, g);
            p.c.conv2dBackwardWeight(go.c, x.c, gwc, g);
            expectSame(p, gww, gwc, t, `conv2d gradW ${JSON.stringify(q)}`);
          }
        });
        it(`maxPool2d and backward, ${dtype}`, () => {
          const r = rng(41);
          const cases = [
            { channels: 6, inH: 8, inW: 7, k: 2, s: 2, pad: 0, d: 1 },
            { channels: 2, inH: 9, inW: 9, k: 3, s: 2, pad: 1, d: 1 },
            { channels: 3, inH: 10, inW: 6, k: 2, s: 1, pad: 1, d: 2 },
          ];
          for (const q of cases) {
            const outH = Math.floor((q.inH + 2 * q.pad - q.d * (q.k - 1) - 1) / q.s) + 1;
            const outW = Math.floor((q.inW + 2 * q.pad - q.d * (q.k - 1) - 1) / q.s) + 1;
            const g = {
              channels: q.channels,
              inH: q.inH,
              inW: q.inW,
              outH,
              outW,
              kH: q.k,
              kW: q.k,
              strideH: q.s,
              strideW: q.s,
              padH: q.pad,
              padW: q.pad,
              dilationH: q.d,
              dilationW: q.d,
            };
            const data = randomData(dtype, q.channels * q.inH * q.inW, r);
            data[5] = Number.NaN;
            const x = upload(p, dtype, data);
            const os = q.channels * outH * outW;
            const ow = p.w.alloc(dtype, os);
            const oc = p.c.alloc(dtype, os);
            const aw = p.w.alloc('int32', os);
            const ac = p.c.alloc('int32', os);
            p.w.maxPool2d(x.w, ow, aw, g);
            p.c.maxPool2d(x.c, oc, ac, g);
            expectSame(p, ow, oc, 0, 'maxPool2d values');
            expectSame(p, aw, ac, 0, 'maxPool2d argmax');
            const go = upload(p, dtype, randomData(dtype, os, r));
            const gw = p.w.alloc(dtype, data.length);
            const gc = p.c.alloc(dtype, data.length);
            p.w.maxPool2dBackward(go.w, aw, gw, g);
            p.c.maxPool2dBackward(go.c, ac, gc, g);
            expectSame(p, gw, gc, tol(dtype), 'maxPool2d backward');
          }
        });
      }
    });

    describe('indexing', () => {
      for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
        it(`indexSelect, indexAdd, gather, scatterAdd on ${dtype}`, () => {
          const r = rng(51);
          for (const [outer, len, inner] of [
            [1, 7, 1],
            [3, 5, 4],
            [2, 33, 7],
          ]) {
            const x = upload(p, dtype, randomData(dtype, outer * len * inner, r));
            const nIdx = 6;
            const idx = upload(
              p,
              'int32',
              Int32Array.from({ length: nIdx }, () => Math.floor(r() * len)),
            );
            let ow = p.w.alloc(dtype, outer * nIdx * inner);
            let oc = p.c.alloc(dtype, outer * nIdx * inner);
            p.w.indexSelect(x.w, idx.w, ow, outer, len, inner);
            p.c.indexSelect(x.c, idx.c, oc, outer, len, inner);
            expectSame(p, ow, oc, 0, 'indexSelect');
            const src = upload(p, dtype, randomData(dtype, outer * nIdx * inner, r));
            p.w.indexAdd(x.w, idx.w, src.w, outer, len, inner);
            p.c.indexAdd(x.c, idx.c, src.c, outer, len, inner);
            expectSame(p, x.w, x.c, tol(dtype), 'indexAdd');
            const gIdx = upload(
              p,
              'int32',
              Int32Array.from({ length: outer * 4 * inner }, () => Math.floor(r() * len)),
            );
            ow = p.w.alloc(dtype, outer * 4 * inner);
            oc = p.c.alloc(dtype, outer * 4 * inner);
            p.w.gather(x.w, gIdx.w, ow, outer, len, inner);
            p.c.gather(x.c, gIdx.c, oc, outer, len, inner);
            expectSame(p, ow, oc, 0, 'gather');
            const gsrc = upload(p, dtype, randomData(dtype, outer * 4 * inner, r));
            p.w.scatterAdd(x.w, gIdx.w, gsrc.w, outer, len, inner);
            p.c.scatterAdd(x.c, gIdx.c, gsrc.c, outer, len, inner);
            expectSame(p, x.w, x.c, tol(dtype), 'scatterAdd');
          }
        });
      }
    });

    describe('storage', () => {
      it('rejects a bad initialMemoryMB and allocation sizes with clear errors', async () => {
        await expect(wasmSimd({ initialMemoryMB: 0 })).rejects.toThrow(/initialMemoryMB/);
        expect(() => p.w.alloc('float32', -1)).toThrow(/cannot allocate -1 elements of float32/);
        expect(() => p.w.alloc('float32', 1.5)).toThrow(/cannot allocate/);
      });

      it('alloc zero-fills reused blocks, memoryBytes tracks live bytes, memory does not grow in a loop', () => {
        const w = p.w;
        const before = w.memoryBytes();
        const s = w.alloc('float32', 1000);
        expect(w.memoryBytes() - before).toBe(4000);
        w.fill(s, 7);
        w.free(s);
        expect(w.memoryBytes()).toBe(before);
        const t = w.alloc('float32', 1000);
        expect(Array.from(w.readSync!(t)).every((v) => v === 0)).toBe(true);
        w.free(t);
        const grown = (w as unknown as { wasmMemoryBytes(): number }).wasmMemoryBytes();
        for (let i = 0; i < 10000; i++) {
          const a = w.alloc('float32', 1 + (i % 97) * 31);
          const b = w.alloc('float64', 5 + (i % 13) * 1000);
          w.free(a);
          w.free(b);
        }
        expect((w as unknown as { wasmMemoryBytes(): number }).wasmMemoryBytes()).toBe(grown);
        expect(w.memoryBytes()).toBe(before);
      });
      it('grows the memory past the initial reservation and keeps data', () => {
        const w = p.w;
        const n = 20 * 1024 * 1024; // 80 MB of float32 in a 64 MiB backend
        const keep = w.alloc('float64', 3);
        w.write(keep, new Float64Array([1, 2, 3]));
        const big = w.alloc('float32', n);
        w.fill(big, 1);
        expect(Array.from(w.readSync!(keep))).toEqual([1, 2, 3]);
        expect(w.readSync!(big)[n - 1]).toBe(1);
        w.free(big);
        w.free(keep);
      });
    });
  });
}
