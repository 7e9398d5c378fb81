import { describe, expect, it } from 'vitest';
import { interpretFused } from '../src/fused/interpret.js';
import { fusedScalars, lowerFused } from '../src/fused/lower.js';
import { defineFused, Ex, type FusedProgram } from '../src/fused/program.js';
import { runFused } from '../src/fused/run.js';
import type { Tensor } from '../src/tensor.js';

const sgdMomentum = defineFused('sgdm', ['param', 'grad', 'buf'], ['lr', 'mu'], (f) => {
  const b = f.let(f.buf.buf.mul(f.s.mu).add(f.buf.grad));
  f.store('buf', b);
  f.store('param', f.buf.param.sub(b.mul(f.s.lr)));
});

describe('defineFused', () => {
  it('numbers buffers, scalars and locals in declaration order', () => {
    expect(sgdMomentum.buffers).toEqual(['param', 'grad', 'buf']);
    expect(sgdMomentum.scalars).toEqual(['lr', 'mu']);
    expect(sgdMomentum.numLocals).toBe(1);
    expect(sgdMomentum.body.map((st) => st.kind)).toEqual(['let', 'store', 'store']);
  });

  it('gives programs that differ only in a NaN, infinite or -0 constant different keys', () => {
    const keys = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, null].map(
      (c) => defineFused('k', ['x'], [], (f) => f.store('x', f.buf.x.add(c ?? 1))).key,
    );
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('gives equal programs equal keys and different programs different keys', () => {
    const again = defineFused('sgdm', ['param', 'grad', 'buf'], ['lr', 'mu'], (f) => {
      const b = f.let(f.buf.buf.mul(f.s.mu).add(f.buf.grad));
      f.store('buf', b);
      f.store('param', f.buf.param.sub(b.mul(f.s.lr)));
    });
    const other = defineFused('sgdm', ['param', 'grad', 'buf'], ['lr', 'mu'], (f) => {
      f.store('param', f.buf.param.sub(f.buf.grad.mul(f.s.lr)));
    });
    expect(again.key).toBe(sgdMomentum.key);
    expect(other.key).not.toBe(sgdMomentum.key);
  });

  it('refuses a name declared twice and a store to an undeclared buffer', () => {
    expect(() => defineFused('dup', ['x', 'x'], [], () => {})).toThrow(/'x' is declared twice/);
    expect(() =>
      defineFused('bad', ['x'], [], (f) => (f.store as (n: string, e: number) => void)('y', 1)),
    ).toThrow(/stores to 'y', which is not one of its buffers \(x\)/);
  });

  it('interprets in place, with stores visible to later reads and float32 rounding on store', () => {
    const param = new Float32Array([1, 2, 3]);
    const grad = new Float32Array([0.1, 0.2, 0.3]);
    const buf = new Float32Array([1, 1, 1]);
    interpretFused(sgdMomentum, [param, grad, buf], [0.5, 0.9]);
    const expBuf = [0.9 + 0.1, 0.9 + 0.2, 0.9 + 0.3].map(Math.fround);
    expect([...buf]).toEqual(expBuf);
    expect([...param]).toEqual([1, 2, 3].map((p, i) => Math.fround(p - expBuf[i]! * 0.5)));
  });

  it('follows the documented semantics of sign, max/min with NaN, comparisons and select', () => {
    const p = defineFused('ops', ['x', 'a', 'b', 'c', 'd'], [], ({ buf, store }) => {
      const x = buf.x;
      store('a', x.sign());
      store('b', x.max(0));
      store('c', Ex.select(x.gt(0), 10, 20));
      store('d', x.eq(x));
    });
    const x = new Float64Array([-2, 0, 3, Number.NaN]);
    const [a, b, c, d] = [1, 2, 3, 4].map(() => new Float64Array(4));
    interpretFused(p, [x, a!, b!, c!, d!], []);
    expect([...a!]).toEqual([-1, 0, 1, 0]);
    expect([...b!]).toEqual([0, 0, 3, Number.NaN]);
    expect([...c!]).toEqual([20, 20, 10, 20]);
    expect([...d!]).toEqual([1, 1, 1, 0]);
  });

  it('takes entries as named records: a missing, unknown or misspelt name is a type error', () => {
    // Type-level only (tsc checks this file); never called.
    const typed = (p: Tensor, g: Tensor, m: Tensor) => {
      const buffers = { param: p, grad: g, buf: m };
      runFused(sgdMomentum, [{ buffers, scalars: { lr: 0.1, mu: 0.9 } }]);
      // @ts-expect-error: 'buf' is missing
      runFused(sgdMomentum, [{ buffers: { param: p, grad: g }, scalars: { lr: 0.1, mu: 0.9 } }]);
      // @ts-expect-error: 'momentum' is not a scalar of sgdm
      runFused(sgdMomentum, [{ buffers, scalars: { lr: 0.1, momentum: 0.9 } }]);
      // @ts-expect-error: by position is gone
      runFused(sgdMomentum, [{ buffers: [p, g, m], scalars: [0.1, 0.9] }]);
    };
    expect(typeof typed).toBe('function');
  });
});

/** PyTorch's lerp (aten/src/ATen/native/Lerp.h), in float64. */
function torchLerp(start: number, end: number, w: number): number {
  return Math.abs(w) < 0.5 ? start + w * (end - start) : end - (end - start) * (1 - w);
}

describe('Ex.lerp', () => {
  const weights = [
    0,
    0.1,
    0.25,
    0.4999,
    0.5,
    0.75,
    0.9,
    1,
    1.5,
    -0.3,
    -0.5,
    -2,
    Number.NaN,
    Number.POSITIVE_INFINITY,
  ];
  const starts = [0, 1, -3.5, 1e-7, 123.456, 0.1, Number.POSITIVE_INFINITY];
  const ends = [1, 0.3, -7, 1e30, 0.7];

  it('is PyTorch two-formula lerp, bit for bit, for an expression weight (per element)', () => {
    const p = defineFused('lerp', ['out', 'start', 'end', 'w'], [], (f) =>
      f.store('out', f.buf.start.lerp(f.buf.end, f.buf.w)),
    );
    const cases = weights.flatMap((w) => starts.flatMap((s) => ends.map((e) => [s, e, w] as const)));
    const out = new Float64Array(cases.length);
    interpretFused(
      p,
      [
        out,
        Float64Array.from(cases, (c) => c[0]),
        Float64Array.from(cases, (c) => c[1]),
        Float64Array.from(cases, (c) => c[2]),
      ],
      [],
    );
    for (const [i, [s, e, w]] of cases.entries())
      expect(out[i], `lerp(${s}, ${e}, ${w})`).toBe(torchLerp(s, e, w));
  });

  it('is the same for a scalar weight and for a number weight (which picks its formula when built)', () => {
    for (const w of weights) {
      const byScalar = defineFused('lerpS', ['x', 'y'], ['w'], (f) =>
        f.store('x', f.buf.x.lerp(f.buf.y, f.s.w)),
      );
      const byNumber = defineFused('lerpN', ['x', 'y'], [], (f) => f.store('x', f.buf.x.lerp(f.buf.y, w)));
      const a = Float64Array.from(starts);
      const b = Float64Array.from(starts);
      const end = Float64Array.from(starts, (_, i) => ends[i % ends.length]!);
      interpretFused(byScalar, [a, end], [w]);
      interpretFused(byNumber, [b, end], []);
      starts.forEach((s, i) => {
        expect(a[i]).toEqual(torchLerp(s, end[i]!, w));
        expect(b[i]).toEqual(torchLerp(s, end[i]!, w));
      });
    }
  });
});

describe('lowerFused', () => {
  const adam = defineFused('adamLike', ['param', 'grad', 'm', 'v'], ['lr', 'beta1', 'bc1', 'eps'], (f) => {
    const oneMinus = f.let(f.s.beta1.neg().add(1));
    const m = f.let(f.buf.m.mul(f.s.beta1).add(f.buf.grad.mul(oneMinus)));
    f.store('m', m);
    f.store('v', f.buf.v.max(f.buf.grad.abs()));
    f.store('param', f.buf.param.sub(m.div(f.s.bc1).mul(f.s.lr.div(2))).add(f.buf.v.mul(0)));
  });

  it('hoists invariant lets and subexpressions into derived scalars, rewrites x / s to x · (1/s)', () => {
    const low = lowerFused(adam);
    expect(low.numOwnScalars).toBe(4);
    // 1 − β1 (the invariant let), 1/bc1 (the reciprocal), lr / 2 (an invariant subexpression).
    expect(low.derived).toEqual([
      { op: 'add', a: { op: 'neg', a: { op: 'scalar', index: 1 } }, b: { op: 'const', value: 1 } },
      { op: 'div', a: { op: 'const', value: 1 }, b: { op: 'scalar', index: 2 } },
      { op: 'div', a: { op: 'scalar', index: 0 }, b: { op: 'const', value: 2 } },
    ]);
    expect(low.numScalars).toBe(7);
    expect(low.numLocals).toBe(1); // the hoisted let leaves no local behind
    expect(low.body.map((st) => st.kind)).toEqual(['let', 'store', 'store', 'store']);
    expect(JSON.stringify(low.body[3]!.value)).toContain(
      '"op":"mul","a":{"op":"local","index":0},"b":{"op":"scalar","index":5}',
    );
    expect(Array.from(fusedScalars(low, [0.1, 0.9, 0.5, 1e-8]))).toEqual([
      0.1,
      0.9,
      0.5,
      1e-8,
      1 - 0.9,
      1 / 0.5,
      0.1 / 2,
    ]);
  });

  it('gives the access sets: loads before stores, reads, stores, and stores read again', () => {
    const low = lowerFused(adam);
    expect(low.loads).toEqual([0, 1, 2, 3]);
    expect(low.reads).toEqual([0, 1, 2, 3]);
    expect(low.stores).toEqual([0, 2, 3]);
    const reread = low.body.flatMap((st) => (st.kind === 'store' ? [[st.buffer, st.reread]] : []));
    expect(reread).toEqual([
      [2, false],
      [3, true],
      [0, false],
    ]);
    const storedFirst = lowerFused(
      defineFused('storeThenRead', ['x', 'y'], [], (f) => {
        f.store('x', f.buf.y);
        f.store('y', f.buf.x.mul(2));
      }),
    );
    expect(storedFirst.loads).toEqual([1]);
    expect(storedFirst.reads).toEqual([0, 1]);
  });

  it('folds constant-only subexpressions and leaves programs without invariants alone', () => {
    const low = lowerFused(
      defineFused('fold', ['x'], [], (f) =>
        f.store('x', f.buf.x.mul(Ex.select(new Ex({ op: 'const', value: 1 }), 3, 4).add(1))),
      ),
    );
    expect(low.derived).toEqual([]);
    expect(low.body[0]!.value).toEqual({
      op: 'mul',
      a: { op: 'buf', index: 0 },
      b: { op: 'const', value: 4 },
    });
    expect(lowerFused(sgdMomentum).derived).toEqual([]);
    expect(lowerFused(sgdMomentum).body.map((st) => st.value)).toEqual(
      sgdMomentum.body.map((st) => st.value),
    );
  });

  it('keeps locals that carry across elements (read before bound) where they are', () => {
    // l0 ← l0 + 1 reads l0 before binding it: a counter across elements, starting at 0.
    const local = { op: 'local', index: 0 } as const;
    const counter: FusedProgram = {
      key: 'counter:lower',
      name: 'counter',
      buffers: ['x'],
      scalars: [],
      numLocals: 1,
      body: [
        { kind: 'let', local: 0, value: { op: 'add', a: local, b: { op: 'const', value: 1 } } },
        { kind: 'store', buffer: 0, value: local },
      ],
    };
    const low = lowerFused(counter);
    expect(low.localsInLoop).toBe(false);
    expect(low.body).toHaveLength(2);
    const x = new Float64Array(3);
    interpretFused(counter, [x], []);
    expect([...x]).toEqual([1, 2, 3]);
  });

  it('lowers each program once and refuses a wrong scalar count', () => {
    expect(lowerFused(adam)).toBe(lowerFused(adam));
    expect(() => fusedScalars(lowerFused(adam), [1, 2])).toThrow(/'adamLike' takes 4 scalars, got 2/);
  });
});
