import { describe, expect, it } from 'vitest';
import { defineFused, Ex, interpretFused } from '../src/fused.js';

describe('defineFused', () => {
  const sgdMomentum = defineFused(
    'sgdm',
    ['param', 'grad', 'buf'],
    ['lr', 'mu'],
    ({ buf, s, let: bind, store }) => {
      const b = bind(buf.buf.mul(s.mu).add(buf.grad));
      store('buf', b);
      store('param', buf.param.sub(b.mul(s.lr)));
    },
  );

  it('numbers buffers, scalars and locals in declaration order', () => {
    expect(sgdMomentum.buffers).toEqual(['param', 'grad', 'buf']);
    expect(sgdMomentum.scalars).toEqual(['lr', 'mu']);
    expect(sgdMomentum.numLocals).toBe(1);
    expect(sgdMomentum.body.map((st) => st.kind)).toEqual(['let', 'store', 'store']);
  });

  it('gives equal programs equal keys and different programs different keys', () => {
    const again = defineFused(
      'sgdm',
      ['param', 'grad', 'buf'],
      ['lr', 'mu'],
      ({ buf, s, let: bind, store }) => {
        const b = bind(buf.buf.mul(s.mu).add(buf.grad));
        store('buf', b);
        store('param', buf.param.sub(b.mul(s.lr)));
      },
    );
    const other = defineFused('sgdm', ['param', 'grad', 'buf'], ['lr', 'mu'], ({ buf, s, store }) => {
      store('param', buf.param.sub(buf.grad.mul(s.lr)));
    });
    expect(again.key).toBe(sgdMomentum.key);
    expect(other.key).not.toBe(sgdMomentum.key);
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
});
