import type { Backend } from '@stepwise/core';
import { defineFused, interpretFused } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';
import { type Pair, pair, placements, randomData, rng } from './helpers.js';

const c: Backend = cpuJs();

function close(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, what: string): void {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const ok = Number.isNaN(b[i])
      ? Number.isNaN(a[i])
      : Math.abs(a[i] - b[i]) <= rtol * Math.max(1, Math.abs(b[i]));
    if (!ok) expect.fail(`${what}[${i}]: threaded ${a[i]}, reference ${b[i]}`);
  }
}

for (const place of placements(true)) {
  describe.skipIf(place.refused !== undefined)(`threads, ${place.name}`, () => {
    let w: WasmSimdBackend;
    let p: Pair;
    beforeAll(async () => {
      p = await pair(place, 3);
      w = p.w as WasmSimdBackend;
    });
    afterAll(() => w.destroy());

    describe('threads (a worker pool over a shared memory)', () => {
      it('runs on three threads in Node', () => {
        expect(w.threads).toBe(3);
        expect(w.wasmMemoryBytes()).toBeGreaterThan(0);
      });

      it('matmul split along M and along N matches cpu-js, batched and transposed', () => {
        const r = rng(71);
        const shapes: [number, number, number, number][] = [
          // each above the parallel threshold (4 MFLOP)
          [1, 130, 257, 67], // split along M
          [1, 6, 300, 2001], // too few rows: split along N
          [3, 33, 200, 129], // batched
        ];
        for (const dtype of ['float32', 'float64'] as const) {
          for (const [batch, m, k, n] of shapes) {
            for (const transB of [false, true]) {
              const a = randomData(dtype, batch * m * k, r);
              const b = randomData(dtype, batch * k * n, r);
              const opts = { transA: false, transB, aBatchStride: m * k, bBatchStride: k * n };
              const out = (be: Backend) => {
                const sa = be.alloc(dtype, a.length);
                be.write(sa, a);
                const sb = be.alloc(dtype, b.length);
                be.write(sb, b);
                const so = be.alloc(dtype, batch * m * n);
                be.matmul(sa, sb, so, { batch, m, k, n }, opts);
                return be.readSync!(so);
              };
              close(
                out(w),
                out(c),
                dtype === 'float32' ? 1e-4 : 1e-10,
                `matmul ${dtype} ${[batch, m, k, n]}`,
              );
            }
          }
        }
      });

      it('fused programs split across threads match the reference interpreter (ragged sizes)', () => {
        const prog = defineFused('mt-axpby', ['y', 'x'], ['a', 'b'], (f) => {
          const t = f.let(f.buf.y.mul(f.s.b).add(f.buf.x.mul(f.s.a)));
          f.store('y', t.max(t.neg()).sqrt());
          f.store('x', f.buf.x.div(f.s.b));
        });
        const r = rng(72);
        for (const dtype of ['float32', 'float64'] as const) {
          for (const n of [100_003, 1 << 17]) {
            const host = [randomData(dtype, n, r), randomData(dtype, n, r)] as (
              | Float32Array
              | Float64Array
            )[];
            const st = host.map((h) => {
              const s = w.alloc(dtype, n);
              w.write(s, h);
              return s;
            });
            w.fused(prog, [{ buffers: st, scalars: [0.5, 3] }]);
            interpretFused(prog, host, [0.5, 3]);
            close(
              w.readSync!(st[0]!),
              host[0]!,
              dtype === 'float32' ? 1e-5 : 1e-12,
              `fused y ${dtype} n=${n}`,
            );
            close(
              w.readSync!(st[1]!),
              host[1]!,
              dtype === 'float32' ? 1e-5 : 1e-12,
              `fused x ${dtype} n=${n}`,
            );
            for (const s of st) w.free(s);
          }
        }
      });

      it('conv2d forward and backward pieces split by batch match cpu-js', () => {
        const r = rng(74);
        // batch 2 (fewer images than threads: one share idle) and batch 7 (ragged shares)
        for (const batch of [2, 7]) {
          const g = {
            batch,
            inChannels: 16,
            inH: 40,
            inW: 39,
            outChannels: 32,
            outH: 40,
            outW: 39,
            kH: 3,
            kW: 3,
            strideH: 1,
            strideW: 1,
            padH: 1,
            padW: 1,
            dilationH: 1,
            dilationW: 1,
            groups: 2,
          };
          // above the parallel threshold (4 MFLOP) for both batches
          const xs = batch * 16 * 40 * 39;
          const ws = 32 * 8 * 9;
          const os = batch * 32 * 40 * 39;
          const x = randomData('float32', xs, r);
          const wt = randomData('float32', ws, r);
          const go = randomData('float32', os, r);
          const run = (be: Backend) => {
            const up = (d: Float32Array | Float64Array | Int32Array | Uint8Array) => {
              const s = be.alloc('float32', d.length);
              be.write(s, d);
              return s;
            };
            const sx = up(x);
            const sw = up(wt);
            const sg = up(go);
            const o = be.alloc('float32', os);
            const gx = be.alloc('float32', xs);
            const gw = be.alloc('float32', ws);
            be.fill(gw, 123); // must be overwritten
            be.conv2d(sx, sw, o, g);
            be.conv2dBackwardInput(sg, sw, gx, g);
            be.conv2dBackwardWeight(sg, sx, gw, g);
            return [be.readSync!(o), be.readSync!(gx), be.readSync!(gw)];
          };
          const got = run(w);
          const want = run(c);
          // gradW sums batch x 1560 products per element: float32 accumulation drifts further
          // from cpu-js's float64 sums than one op does.
          for (let i = 0; i < 3; i++)
            close(got[i]!, want[i]!, i === 2 ? 1e-3 : 1e-4, `conv piece ${i} batch ${batch}`);
        }
      });

      it('large binary ops (contiguous, broadcast scalar, scalar operand, into bool) split across threads', () => {
        const r = rng(75);
        const n = 100_001;
        const a = randomData('float32', n, r);
        const b = randomData('float32', n, r);
        const one = randomData('float32', 1, r);
        for (const op of ['add', 'mul', 'maximum', 'gt'] as const) {
          const od = op === 'gt' ? 'bool' : 'float32';
          const res = [w, c].map((be) => {
            const sa = be.alloc('float32', n);
            be.write(sa, a);
            const sb = be.alloc('float32', n);
            be.write(sb, b);
            const s1 = be.alloc('float32', 1);
            be.write(s1, one);
            const v = (s: typeof sa, strides: number[]) => ({ storage: s, shape: [n], strides, offset: 0 });
            const o1 = be.alloc(od, n);
            be.binary(op, v(sa, [1]), v(sb, [1]), o1, [n]);
            const o2 = be.alloc(od, n);
            be.binary(op, v(sa, [1]), v(s1, [0]), o2, [n]);
            const o3 = be.alloc(od, n);
            be.binaryScalar(op, sa, 0.25, o3, true);
            return [be.readSync!(o1), be.readSync!(o2), be.readSync!(o3)];
          });
          for (let i = 0; i < 3; i++) close(res[0]![i]!, res[1]![i]!, 1e-6, `${op} case ${i}`);
        }
      });

      it('max pooling and its backward split by channel match cpu-js exactly (2x2 fast path, general windows)', () => {
        const r = rng(76);
        const geoms = [
          // 2 x 2 / 2 tiling the plane (the SIMD paths of both directions), 41 channels
          {
            channels: 41,
            inH: 64,
            inW: 64,
            outH: 32,
            outW: 32,
            kH: 2,
            kW: 2,
            strideH: 2,
            strideW: 2,
            padH: 0,
            padW: 0,
            dilationH: 1,
            dilationW: 1,
          },
          // 2 x 2 / 2 with an odd edge (the backward's general path) and a ragged row
          {
            channels: 41,
            inH: 45,
            inW: 43,
            outH: 22,
            outW: 21,
            kH: 2,
            kW: 2,
            strideH: 2,
            strideW: 2,
            padH: 0,
            padW: 0,
            dilationH: 1,
            dilationW: 1,
          },
          // 3 x 3 / 2 padded: overlapping windows
          {
            channels: 80,
            inH: 33,
            inW: 31,
            outH: 17,
            outW: 16,
            kH: 3,
            kW: 3,
            strideH: 2,
            strideW: 2,
            padH: 1,
            padW: 1,
            dilationH: 1,
            dilationW: 1,
          },
        ];
        for (const g of geoms) {
          const xs = g.channels * g.inH * g.inW;
          const os = g.channels * g.outH * g.outW;
          const x = randomData('float32', xs, r);
          x[7] = Number.NaN;
          const go = randomData('float32', os, r);
          const res = [w, c].map((be) => {
            const sx = be.alloc('float32', xs);
            be.write(sx, x);
            const o = be.alloc('float32', os);
            const am = be.alloc('int32', os);
            be.maxPool2d(sx, o, am, g);
            const sg = be.alloc('float32', os);
            be.write(sg, go);
            const gx = be.alloc('float32', xs);
            be.fill(gx, 5); // must be overwritten
            be.maxPool2dBackward(sg, am, gx, g);
            return [be.readSync!(o), be.readSync!(am), be.readSync!(gx)];
          });
          for (let i = 0; i < 3; i++)
            close(res[0]![i]!, res[1]![i]!, 0, `pool piece ${i} ${g.inH}x${g.inW} k${g.kH}`);
        }
      });

      it('large n-d broadcast binary ops and where split along the first dimension match cpu-js', () => {
        const r = rng(77);
        // A bias added over [N, C, H*W], and relu's backward where(x > 0, g, 0) (one dimension).
        const [n, ch, hw] = [37, 24, 81];
        const size = n * ch * hw;
        const x = randomData('float32', size, r);
        const bias = randomData('float32', ch, r);
        const res = [w, c].map((be) => {
          const sx = be.alloc('float32', size);
          be.write(sx, x);
          const sb = be.alloc('float32', ch);
          be.write(sb, bias);
          const sum = be.alloc('float32', size);
          be.binary(
            'add',
            { storage: sx, shape: [n, ch, hw], strides: [ch * hw, hw, 1], offset: 0 },
            { storage: sb, shape: [n, ch, hw], strides: [0, 1, 0], offset: 0 },
            sum,
            [n, ch, hw],
          );
          const mask = be.alloc('bool', size);
          be.binaryScalar('gt', sx, 0, mask, false);
          const zero = be.alloc('float32', 1);
          const v = (s: typeof sx, strides: number[], shape = [size]) => ({
            storage: s,
            shape,
            strides,
            offset: 0,
          });
          const back = be.alloc('float32', size);
          be.where(v(mask, [1]), v(sum, [1]), v(zero, [0]), back, [size]);
          // n-d where: a condition broadcast along the last dimension.
          const rowMask = be.alloc('bool', n * ch);
          be.binaryScalar('gt', sb, 0, rowMask, false); // first ch entries used below
          const nd = be.alloc('float32', size);
          be.where(
            v(rowMask, [0, 1, 0], [n, ch, hw]),
            v(sx, [ch * hw, hw, 1], [n, ch, hw]),
            v(sum, [ch * hw, hw, 1], [n, ch, hw]),
            nd,
            [n, ch, hw],
          );
          return [be.readSync!(sum), be.readSync!(back), be.readSync!(nd)];
        });
        for (let i = 0; i < 3; i++) close(res[0]![i]!, res[1]![i]!, 0, `rows case ${i}`);
      });

      it('large reductions split by rows match cpu-js (sum, max, argmax; inner 1 and wide)', () => {
        const r = rng(78);
        for (const [outer, len, inner] of [
          [300, 257, 1],
          [37, 19, 130],
        ] as const) {
          const n = outer * len * inner;
          const x = randomData('float32', n, r);
          const res = [w, c].map((be) => {
            const sx = be.alloc('float32', n);
            be.write(sx, x);
            const got = [];
            for (const op of ['sum', 'max', 'argmax'] as const) {
              const o = be.alloc(op === 'argmax' ? 'int32' : 'float32', outer * inner);
              be.reduce(op, sx, outer, len, inner, o);
              got.push(be.readSync!(o));
            }
            return got;
          });
          close(res[0]![0]!, res[1]![0]!, 1e-5, `sum ${outer}x${len}x${inner}`);
          close(res[0]![1]!, res[1]![1]!, 0, `max ${outer}x${len}x${inner}`);
          close(res[0]![2]!, res[1]![2]!, 0, `argmax ${outer}x${len}x${inner}`);
        }
      });

      it('a reused large heap block comes back zeroed (the pool zero-fills it)', () => {
        const n = 5 << 20; // 20 MiB of float32 (the pool zero-fills from 8 MiB)
        const s = w.alloc('float32', n);
        w.fill(s, 7);
        w.free(s);
        const t = w.alloc('float32', n);
        const got = w.readSync!(t);
        let bad = -1;
        for (let i = 0; i < n; i++) if (got[i] !== 0) bad = i;
        expect(bad).toBe(-1);
        w.free(t);
      });

      it('large unary ops split across threads match cpu-js', () => {
        const r = rng(73);
        const n = 200_001;
        const data = randomData('float32', n, r);
        for (const op of ['exp', 'tanh', 'relu'] as const) {
          const res = [w, c].map((be) => {
            const s = be.alloc('float32', n);
            be.write(s, data);
            const o = be.alloc('float32', n);
            be.unary(op, s, o);
            return be.readSync!(o);
          });
          close(res[0]!, res[1]!, 1e-5, op);
        }
      });
    });
  });
}

describe('threads: options and destroy', () => {
  it("threads: 'auto' uses the machine's cores (at most 16); bad values are a clear error", async () => {
    const b = (await wasmSimd({ initialMemoryMB: 16, threads: 'auto' })) as WasmSimdBackend;
    expect(b.threads).toBeGreaterThanOrEqual(1);
    expect(b.threads).toBeLessThanOrEqual(16);
    b.destroy();
    await expect(wasmSimd({ threads: 0 })).rejects.toThrow(/threads must be a positive integer/);
    await expect(wasmSimd({ threads: 2.5 })).rejects.toThrow(/threads must be a positive integer/);
  });

  it('keeps working on one thread after destroy() stops the pool', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 16, threads: 2 })) as WasmSimdBackend;
    b.destroy();
    expect(b.threads).toBe(1);
    const prog = defineFused('mt-after-destroy', ['y'], ['a'], (f) => f.store('y', f.buf.y.mul(f.s.a)));
    const s = b.alloc('float32', 100_000);
    b.fill(s, 2);
    b.fused(prog, [{ buffers: [s], scalars: [3] }]);
    expect(b.readSync!(s)[99_999]).toBe(6);
  });
});
