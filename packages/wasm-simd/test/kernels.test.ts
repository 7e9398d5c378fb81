/**
 * wasm-simd's kernels: the conformance package's kernel layer against cpu-js in float64
 * (every kernel of the Backend interface), run at each heap placement, since offsets at
 * or past 2 GiB have the top bit set and a signed `>>` or an `<i32>` comparison on them
 * goes wrong; then what is wasm-simd's own: the accuracy of its vectorised float32 exp and
 * sigmoid, and its storage.
 */

import { runKernelConformance } from '@stepwise/conformance';
import type { UnaryOp } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { beforeAll, describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import { type Pair, pair, placements, rng } from './helpers.js';

for (const place of placements()) {
  describe.skipIf(place.refused !== undefined)(place.name, () => {
    runKernelConformance(`wasm-simd, ${place.name}`, async () => (await pair(place)).w, {
      reference: () => cpuJs(),
    });

    let p: Pair;
    beforeAll(async () => {
      p = await pair(place);
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
