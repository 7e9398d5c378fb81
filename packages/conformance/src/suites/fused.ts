/**
 * Fused programs through `torch.runFused` on the backend under test: every op of the
 * language (and `Ex.lerp`'s two formulas) against the reference interpreter, entries as
 * named records with clear errors, and the composed fallback core runs for a backend
 * without `fused`, which must agree with the backend's own fused pass.
 */

import type { Backend, DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { SeededRng } from '../seeded.js';
import { makeParams, setGrads } from './optim/params.js';
import { expectValues, tensorOf, thrown, tol, values } from './util.js';

const { defineFused, Ex, interpretFused, runFused } = torch;

/** Every op, a loop-invariant local, invariant subexpressions, a division by a constant and lerp both ways. */
const everyOp = defineFused('conformanceOps', ['a', 'b', 'c'], ['s', 'w'], ({ buf, s, let: bind, store }) => {
  const spread = bind(buf.a.min(buf.b).sub(buf.a.max(buf.b)).abs().neg());
  const scale = bind(s.s.add(s.s).add(1));
  const isGreater = bind(buf.a.gt(buf.b));
  store('b', buf.b.mul(scale).sub(s.s.sqrt().sign().div(2)));
  store('c', buf.b.eq(s.s).add(buf.a.lt(0)).add(isGreater).add(spread.sign()));
  store('a', Ex.select(isGreater, buf.a.add(buf.a), buf.b.div(3)));
  store('b', Ex.select(buf.c, buf.a.abs().sqrt(), buf.b.lerp(buf.a, 0.75)));
  store('c', buf.c.lerp(buf.a, s.w).add(buf.b.lerp(buf.a, 0.25)).div(s.w));
});

/** Seeded data in [-2, 2) with exact zeros of both signs (no NaN: WGSL may assume none). */
function data(rng: SeededRng, n: number): number[] {
  const xs = rng.values(n, -2, 2);
  if (n > 5) [xs[2], xs[3]] = [0, -0];
  return xs;
}

/** The backend without its `fused` kernel (so core runs the composed fallback), under its own name. */
function withoutFused(b: Backend): Backend {
  return new Proxy(b, {
    get(target, key) {
      if (key === 'fused') return undefined;
      if (key === 'name') return `${target.name}-without-fused`;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

const dtypes = ['float32', 'float64'] as const;

export function registerFusedTests(ctx: ConformanceContext): void {
  describe('runFused', () => {
    for (const dtype of dtypes) {
      it(`${dtype}: every op agrees with the reference interpreter (sizes 1, 7, 33, 1000)`, async () => {
        if (!ctx.supports(dtype)) return;
        const rng = new SeededRng(11);
        for (const n of [1, 7, 33, 1000]) {
          for (const weight of [0.3, 0.8, -0.6]) {
            const host = [0, 1, 2].map(() =>
              (dtype === 'float32' ? Float32Array : Float64Array).from(data(rng, n)),
            );
            const [a, b, c] = host.map((h) => tensorOf(Array.from(h), [n], dtype));
            const scalars = { s: 0.4, w: weight };
            runFused(everyOp, [{ buffers: { a: a!, b: b!, c: c! }, scalars }]);
            interpretFused(everyOp, host, [scalars.s, scalars.w]);
            for (const [k, t] of [a!, b!, c!].entries()) {
              await expectValues(
                t,
                Array.from(host[k]!),
                tol(dtype),
                `${dtype} n=${n} w=${weight} buffer ${'abc'[k]}`,
              );
            }
          }
        }
      });
    }

    it('takes buffers and scalars by name; a missing one, an integer buffer or another backend is a clear error', async () => {
      const axpy = defineFused('conformanceAxpy', ['y', 'x'], ['alpha'], (f) =>
        f.store('y', f.buf.y.add(f.buf.x.mul(f.s.alpha))),
      );
      const y = torch.tensor([1, 2, 3]);
      const x = torch.tensor([1, 1, 1]);
      // A JS caller can get the names wrong; TypeScript refuses these at compile time.
      const loose = runFused as (p: unknown, e: unknown[]) => void;
      expect(thrown(() => loose(axpy, [{ buffers: { y, z: x }, scalars: { alpha: 2 } }])).message).toContain(
        "fused program 'conformanceAxpy': entry 0 has no tensor for buffer 'x' (got undefined)",
      );
      expect(thrown(() => loose(axpy, [{ buffers: { y, x }, scalars: { a: 2 } }])).message).toContain(
        "entry 0 has no number for scalar 'alpha'",
      );
      const i = torch.tensor([1, 2, 3], { dtype: 'int32' });
      expect(
        thrown(() => runFused(axpy, [{ buffers: { y: i, x: i }, scalars: { alpha: 2 } }])),
      ).toBeInstanceOf(torch.DTypeError);
      const other = withoutFused(ctx.backend());
      const far = torch.tensor([1, 1, 1], { backend: other });
      expect(
        thrown(() => runFused(axpy, [{ buffers: { y, x: far }, scalars: { alpha: 2 } }])).message,
      ).toContain(`buffer 'x' is float32 [3] on '${other.name}'`);
      runFused(axpy, [{ buffers: { y, x }, scalars: { alpha: 2 } }]);
      expect(await values(y)).toEqual([3, 4, 5]);
    });
  });

  describe('a backend without fused', () => {
    const configs: [string, (ps: Tensor[]) => InstanceType<typeof torch.optim.Optimizer>][] = [
      [
        'SGD nesterov, weight decay',
        (ps) => new torch.optim.SGD(ps, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
      ],
      [
        'Adam amsgrad, maximize',
        (ps) => new torch.optim.Adam(ps, { lr: 0.05, amsgrad: true, maximize: true }),
      ],
      ['AdamW', (ps) => new torch.optim.AdamW(ps, { lr: 0.05 })],
      [
        'RMSprop centered, momentum',
        (ps) => new torch.optim.RMSprop(ps, { lr: 0.01, centered: true, momentum: 0.5 }),
      ],
      ['NAdam', (ps) => new torch.optim.NAdam(ps, { lr: 0.05 })],
      ['RAdam', (ps) => new torch.optim.RAdam(ps, { lr: 0.05 })],
      ['Rprop', (ps) => new torch.optim.Rprop(ps, { lr: 0.01 })],
      ['ASGD', (ps) => new torch.optim.ASGD(ps, { lr: 0.05, t0: 2 })],
    ];
    for (const [name, make] of configs) {
      it(`${name}: core's composed fallback agrees with the backend's fused pass (6 steps)`, async () => {
        const bare = withoutFused(ctx.backend());
        for (const dtype of dtypes as readonly DType[]) {
          if (!ctx.supports(dtype)) continue;
          const shapes = [[7], [3, 5], [1]];
          const fused = makeParams(shapes, dtype);
          torch.setBackend(bare);
          const composed = makeParams(shapes, dtype);
          torch.setBackend(ctx.backend());
          const oa = make(fused);
          const ob = make(composed);
          for (let t = 0; t < 6; t++) {
            setGrads(fused, t);
            torch.setBackend(bare);
            setGrads(composed, t);
            torch.setBackend(ctx.backend());
            oa.step();
            ob.step();
          }
          for (let k = 0; k < shapes.length; k++) {
            expect(composed[k]!.backend.name).toBe(bare.name);
            await expectValues(
              composed[k]!,
              await values(fused[k]!),
              tol(dtype, 'loose'),
              `${dtype} param ${k}`,
            );
          }
        }
      });
    }
  });
}
