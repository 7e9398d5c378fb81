import type { Backend } from '@stepwise/core';
import { defineFused, Ex, interpretFused } from '@stepwise/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Pair, pair, placements, randomData, rng } from './helpers.js';

for (const place of placements()) {
  describe.skipIf(place.refused !== undefined)(place.name, () => {
    let w: Backend;
    let p: Pair;
    beforeAll(async () => {
      p = await pair(place);
      w = p.w;
    });

    // Adam's update as optimizers write it (every op the compiler knows appears somewhere below).
    const adam = defineFused(
      'test-adam',
      ['param', 'grad', 'm', 'v'],
      ['lr', 'b1', 'b2', 'bc1', 'bc2', 'eps'],
      (f) => {
        const g = f.let(f.buf.grad);
        const m = f.let(f.buf.m.mul(f.s.b1).add(g.mul(f.s.b1.neg().add(1))));
        const v = f.let(f.buf.v.mul(f.s.b2).add(g.square().mul(f.s.b2.neg().add(1))));
        f.store('m', m);
        f.store('v', v);
        const denom = v.div(f.s.bc2).sqrt().add(f.s.eps);
        f.store('param', f.buf.param.sub(m.div(f.s.bc1).div(denom).mul(f.s.lr)));
      },
    );

    const everyOp = defineFused('test-ops', ['a', 'b', 'c'], ['s'], (f) => {
      const a = f.buf.a;
      const b = f.buf.b;
      const x = f.let(a.max(b).sub(a.min(b)).abs().neg());
      // a loop-invariant local and a loop-invariant subexpression (both hoisted by core's lowering)
      const k2 = f.let(f.s.s.mul(2).add(1));
      f.store('b', b.mul(k2).sub(f.s.s.sqrt().sign().mul(0.5)));
      f.store('c', x.sign().add(a.gt(b)).add(a.lt(0)).add(b.eq(f.s.s)));
      const sel = f.let(a.gt(b));
      f.store('a', Ex.select(sel, a.mul(2), b.div(3)));
      f.store('b', Ex.select(f.buf.c, f.buf.a.sqrt(), f.buf.b.lerp(a, 0.25)));
    });

    describe('fused programs compiled to wasm', () => {
      for (const dtype of ['float32', 'float64'] as const) {
        for (const program of [adam, everyOp]) {
          it(`${program.name} ${dtype} matches interpretFused for sizes 1, 7, 33, 1000`, () => {
            const r = rng(61);
            for (const n of [1, 7, 33, 1000]) {
              const nb = program.buffers.length;
              const host = Array.from({ length: nb }, (_, i) => {
                const d = randomData(dtype, n, r, i === 3 ? 0 : -2, 2) as Float32Array | Float64Array;
                if (n > 5 && program === everyOp) {
                  d[1] = Number.NaN;
                  d[2] = 0;
                  d[3] = -0;
                }
                return d;
              });
              const scalars = Array.from({ length: program.scalars.length }, (_, i) =>
                i === 5 ? 1e-8 : 0.3 + 0.1 * i,
              );
              const stor = host.map((h) => {
                const s = w.alloc(dtype, n);
                w.write(s, h);
                return s;
              });
              w.fused!(program, [{ buffers: stor, scalars }]);
              interpretFused(program, host, scalars);
              for (let b = 0; b < nb; b++) {
                const got = w.readSync!(stor[b]!);
                const want = host[b]!;
                for (let i = 0; i < n; i++) {
                  const ok = Number.isNaN(want[i]!)
                    ? Number.isNaN(got[i]!)
                    : Math.abs(got[i]! - want[i]!) <=
                      (dtype === 'float32' ? 1e-5 : 1e-12) * Math.max(1, Math.abs(want[i]!));
                  if (!ok)
                    expect.fail(
                      `${program.name} ${dtype} n=${n} buffer ${b}[${i}]: got ${got[i]}, want ${want[i]}`,
                    );
                }
              }
              for (const s of stor) w.free(s);
            }
          });
        }
      }
      it('runs several tensors in one call, each with its own scalars', () => {
        const prog = defineFused('axpy', ['y', 'x'], ['a'], (f) =>
          f.store('y', f.buf.y.add(f.buf.x.mul(f.s.a))),
        );
        const mk = (vals: number[]) => {
          const s = w.alloc('float32', vals.length);
          w.write(s, new Float32Array(vals));
          return s;
        };
        const y1 = mk([1, 2, 3]);
        const x1 = mk([1, 1, 1]);
        const y2 = mk([5]);
        const x2 = mk([2]);
        w.fused!(prog, [
          { buffers: [y1, x1], scalars: [2] },
          { buffers: [y2, x2], scalars: [-1] },
        ]);
        expect(Array.from(w.readSync!(y1))).toEqual([3, 4, 5]);
        expect(Array.from(w.readSync!(y2))).toEqual([3]);
      });
    });
  });
}
