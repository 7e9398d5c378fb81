import type { FusedExpr, FusedProgram, FusedStatement } from '@stepwise/core';
import { defineFused, interpretFused } from '@stepwise/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import { compileFused } from '../src/kernels/fused.js';
import { expectSameValues, makeStorage, Rng, read } from './helpers.js';

const BINARY = ['add', 'sub', 'mul', 'div', 'max', 'min', 'gt', 'lt', 'eq'] as const;
const UNARY = ['neg', 'sqrt', 'abs', 'sign'] as const;

function randomExpr(rng: Rng, depth: number, nBuf: number, nScalar: number, nLocal: number): FusedExpr {
  const leaf = depth <= 0 || rng.next() < 0.25;
  if (leaf) {
    const kinds = ['buf', 'const', ...(nScalar > 0 ? ['scalar'] : []), ...(nLocal > 0 ? ['local'] : [])];
    switch (rng.pick(kinds)) {
      case 'buf':
        return { op: 'buf', index: rng.int(0, nBuf - 1) };
      case 'scalar':
        return { op: 'scalar', index: rng.int(0, nScalar - 1) };
      case 'local':
        return { op: 'local', index: rng.int(0, nLocal - 1) };
      default:
        return {
          op: 'const',
          value: rng.pick([
            0,
            -0,
            1,
            -1,
            0.5,
            2,
            1e-8,
            0.9,
            0.999,
            -3.25,
            Number.NaN,
            Number.POSITIVE_INFINITY,
          ]),
        };
    }
  }
  const r = rng.next();
  if (r < 0.2) return { op: rng.pick(UNARY), a: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal) };
  if (r < 0.3)
    return {
      op: 'select',
      cond: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal),
      a: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal),
      b: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal),
    };
  return {
    op: rng.pick(BINARY),
    a: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal),
    b: randomExpr(rng, depth - 1, nBuf, nScalar, nLocal),
  };
}

/** A random well-formed program: lets bind fresh locals, stores hit any buffer, reads follow stores. */
function randomProgram(rng: Rng, id: number): FusedProgram {
  const nBuf = rng.int(1, 4);
  const nScalar = rng.int(0, 3);
  const body: FusedStatement[] = [];
  let numLocals = 0;
  const nStatements = rng.int(1, 8);
  for (let k = 0; k < nStatements; k++) {
    const value = randomExpr(rng, rng.int(0, 4), nBuf, nScalar, numLocals);
    if (rng.next() < 0.5) body.push({ kind: 'let', local: numLocals++, value });
    else body.push({ kind: 'store', buffer: rng.int(0, nBuf - 1), value });
  }
  const buffers = Array.from({ length: nBuf }, (_, i) => `b${i}`);
  const scalars = Array.from({ length: nScalar }, (_, i) => `s${i}`);
  return {
    key: `random${id}:${JSON.stringify(body)}`,
    name: `random${id}`,
    buffers,
    scalars,
    numLocals,
    body,
  };
}

function randomValues(rng: Rng, n: number, f32: boolean): Float32Array | Float64Array {
  const a = f32 ? new Float32Array(n) : new Float64Array(n);
  const specials = [
    0,
    -0,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    1,
    -1,
    1e-30,
    1e30,
  ];
  for (let i = 0; i < n; i++) a[i] = rng.next() < 0.1 ? rng.pick(specials) : rng.uniform(-3, 3);
  return a;
}

describe('fused programs', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  for (const dtype of ['float32', 'float64'] as const) {
    it(`compiled ${dtype} programs are bit-identical to interpretFused on random programs and data`, () => {
      const rng = new Rng(dtype === 'float32' ? 11 : 12);
      const b = new CpuJsBackend();
      for (let p = 0; p < 300; p++) {
        const program = randomProgram(rng, p);
        const tensors = [1, 7, 33, 1000].slice(0, rng.int(1, 4)).map((n) => {
          const host = program.buffers.map(() => randomValues(rng, n, dtype === 'float32'));
          const scalars = Float64Array.from(program.scalars, () =>
            rng.pick([0.5, -2, 1e-3, 0.999, Number.NaN, 0]),
          );
          return { host, scalars, buffers: host.map((h) => makeStorage(b, dtype, h)) };
        });
        b.fused(
          program,
          tensors.map((t) => ({ buffers: t.buffers, scalars: t.scalars })),
        );
        for (const t of tensors) {
          interpretFused(program, t.host, t.scalars);
          t.buffers.forEach((s, i) => {
            expectSameValues(
              read(b, s),
              t.host[i],
              `program ${p} (${JSON.stringify(program.body)}) buffer ${i}`,
            );
          });
        }
      }
    });
  }

  it('runs an Adam-style program from defineFused over several tensors, same as the interpreter', () => {
    const adam = defineFused(
      'adamTest',
      ['param', 'grad', 'expAvg', 'expAvgSq'],
      ['lr', 'beta1', 'beta2', 'eps', 'bc1', 'bc2Sqrt'],
      ({ buf, s, let: bind, store }) => {
        store('expAvg', buf.expAvg.lerp(buf.grad, s.beta1.neg().add(1)));
        store('expAvgSq', buf.expAvgSq.mul(s.beta2).add(buf.grad.square().mul(s.beta2.neg().add(1))));
        const denom = bind(buf.expAvgSq.sqrt().div(s.bc2Sqrt).add(s.eps));
        store('param', buf.param.sub(s.lr.div(s.bc1).mul(buf.expAvg).div(denom)));
      },
    );
    const rng = new Rng(3);
    const b = new CpuJsBackend();
    const scalars = [1e-3, 0.9, 0.999, 1e-8, 0.1, Math.sqrt(0.001)];
    for (const dtype of ['float32', 'float64'] as const) {
      const hosts = [1, 7, 33, 1000].map((n) =>
        [0, 1, 2, 3].map(() => randomValues(rng, n, dtype === 'float32')),
      );
      const stores = hosts.map((h) => h.map((x) => makeStorage(b, dtype, x)));
      for (let step = 0; step < 3; step++) {
        b.fused(
          adam,
          stores.map((buffers) => ({ buffers, scalars })),
        );
        for (const h of hosts) interpretFused(adam, h, scalars);
      }
      stores.forEach((st, t) => {
        st.forEach((s, i) => {
          expectSameValues(read(b, s), hosts[t][i], `${dtype} tensor ${t} buffer ${i}`);
        });
      });
    }
  });

  it('keeps locals across elements for programs that read a local before binding it', () => {
    // Not something defineFused produces, but the reference semantics define it: locals
    // start at 0 and carry the previous element's value.
    const program: FusedProgram = {
      key: 'carry:test',
      name: 'carry',
      buffers: ['x'],
      scalars: [],
      numLocals: 1,
      body: [
        {
          kind: 'store',
          buffer: 0,
          value: { op: 'add', a: { op: 'buf', index: 0 }, b: { op: 'local', index: 0 } },
        },
        { kind: 'let', local: 0, value: { op: 'buf', index: 0 } },
        {
          kind: 'let',
          local: 0,
          value: { op: 'mul', a: { op: 'local', index: 0 }, b: { op: 'const', value: 0.5 } },
        },
      ],
    };
    for (const dtype of ['float32', 'float64'] as const) {
      const rng = new Rng(21);
      const b = new CpuJsBackend();
      const host = randomValues(rng, 33, dtype === 'float32');
      const x = makeStorage(b, dtype, host);
      b.fused(program, [{ buffers: [x], scalars: [] }]);
      interpretFused(program, [host], []);
      expectSameValues(read(b, x), host, dtype);
    }
  });

  it('compiles each program once per dtype (cached by key)', () => {
    const b = new CpuJsBackend();
    const make = () =>
      defineFused('scale', ['x'], ['a'], ({ buf, s, store }) => {
        store('x', buf.x.mul(s.a));
      });
    const spy = vi.spyOn(globalThis, 'Function');
    const x = makeStorage(b, 'float32', new Float32Array([1, 2, 3]));
    b.fused(make(), [{ buffers: [x], scalars: [2] }]);
    b.fused(make(), [{ buffers: [x], scalars: [2] }]);
    expect(spy).toHaveBeenCalledTimes(1);
    expectSameValues(read(b, x), [4, 8, 12]);
    spy.mockRestore();
  });

  it('falls back to the interpreter where code generation is forbidden (CSP)', () => {
    const program = defineFused('cspTest', ['x', 'y'], ['a'], ({ buf, s, store }) => {
      store('x', buf.x.mul(s.a).add(buf.y.sign()));
      store('y', buf.x.max(buf.y));
    });
    vi.stubGlobal(
      'Function',
      class {
        constructor() {
          throw new EvalError('Code generation from strings disallowed for this context');
        }
      },
    );
    const run = compileFused(program, false);
    vi.unstubAllGlobals();
    const rng = new Rng(9);
    const b = new CpuJsBackend();
    const host = [randomValues(rng, 33, false), randomValues(rng, 33, false)];
    const bufs = host.map((h) => makeStorage(b, 'float64', h));
    run(bufs, [1.5]);
    interpretFused(program, host, [1.5]);
    expectSameValues(read(b, bufs[0]), host[0]);
    expectSameValues(read(b, bufs[1]), host[1]);
  });
});
