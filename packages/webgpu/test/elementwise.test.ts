import type { BinaryOp, DType, UnaryOp } from '@stepwise/core';
import { describe, it } from 'vitest';
import { cpu, expectSame, gpu, pair, pairAlloc, randomValues, rng, viewOf } from './helpers.js';

const SPECIAL = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1e-4,
  -1e-4,
  1e-7,
  20,
  21,
  -20,
  -30,
  30,
  88,
  -88,
  100,
  -100,
  Number.NaN,
];

const floatUnary: UnaryOp[] = [
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

describe('unary', () => {
  for (const op of floatUnary) {
    it(`float32 ${op} matches cpu-js (random and special values)`, async () => {
      const r = rng(op.length * 7 + 1);
      // torch.sign(NaN) is 0 in PyTorch; the NaN case lives in the conformance fixtures.
      const special = op === 'sign' ? SPECIAL.filter((v) => !Number.isNaN(v)) : SPECIAL;
      const values = [...special, ...randomValues(500, r, -12, 12), ...randomValues(200, r, 0, 3)];
      if (op === 'log' || op === 'sqrt' || op === 'rsqrt')
        values.push(...randomValues(200, r, 0.5, 2), 1e-30, 1e30);
      const x = await pair('float32', values);
      const out = await pairAlloc(op === 'not' ? 'bool' : 'float32', values.length);
      (await gpu()).unary(op, x.g, out.g);
      cpu.unary(op, x.c, out.c);
      await expectSame(out, op);
    });
  }
  for (const op of ['neg', 'abs', 'sign', 'square', 'relu', 'not'] as UnaryOp[]) {
    it(`int32 ${op} matches cpu-js`, async () => {
      const values = [0, 1, -1, 7, -7, 46340, -100000, 2147483647];
      const x = await pair('int32', values);
      const out = await pairAlloc(op === 'not' ? 'bool' : 'int32', values.length);
      (await gpu()).unary(op, x.g, out.g);
      cpu.unary(op, x.c, out.c);
      await expectSame(out, op);
    });
  }
});

const arith: BinaryOp[] = ['add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum'];
const compare: BinaryOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];

describe('binary with broadcasting', () => {
  const shapeOut = [3, 4, 5];
  for (const op of [...arith, ...compare]) {
    it(`float32 ${op}: [3,1,5] op [4,5] broadcast, and a permuted view`, async () => {
      const r = rng(op.length * 13);
      const av = randomValues(15, r);
      av[2] = Number.NaN;
      av[3] = -2;
      const bv = randomValues(20, r);
      bv[3] = 3;
      bv[4] = av[4]!;
      const a = await pair('float32', av);
      const b = await pair('float32', bv);
      const dt: DType = compare.includes(op) ? 'bool' : 'float32';
      const out = await pairAlloc(dt, 60);
      for (const [be, st] of [
        [await gpu(), 'g'],
        [cpu, 'c'],
      ] as const) {
        const va = viewOf(a[st], shapeOut, [5, 0, 1]);
        const vb = viewOf(b[st], shapeOut, [0, 5, 1]);
        be.binary(op, va, vb, out[st], shapeOut);
      }
      await expectSame(out, op);
      // Transposed b: b seen as [5, 4] stored, read as [4, 5] with strides [1, 4].
      const out2 = await pairAlloc(dt, 20);
      for (const [be, st] of [
        [await gpu(), 'g'],
        [cpu, 'c'],
      ] as const) {
        be.binary(op, viewOf(b[st], [4, 5]), viewOf(b[st], [4, 5], [1, 4]), out2[st], [4, 5]);
      }
      await expectSame(out2, `${op} transposed`);
    });
  }
  for (const op of ['add', 'sub', 'mul', 'pow', 'maximum', 'minimum', ...compare] as BinaryOp[]) {
    it(`int32 ${op} matches cpu-js exactly`, async () => {
      const av = [0, 1, -1, 5, -7, 3, 2147483647, 2];
      const bv = [3, 2, 1, 0, 2, -7, 1, 30];
      const a = await pair('int32', av);
      const b = await pair('int32', bv);
      const out = await pairAlloc(compare.includes(op) ? 'bool' : 'int32', 8);
      (await gpu()).binary(op, viewOf(a.g, [8]), viewOf(b.g, [8]), out.g, [8]);
      cpu.binary(op, viewOf(a.c, [8]), viewOf(b.c, [8]), out.c, [8]);
      await expectSame(out, op);
    });
  }
  for (const op of ['and', 'or', 'eq', 'ne'] as BinaryOp[]) {
    it(`bool ${op}`, async () => {
      const a = await pair('bool', [0, 0, 1, 1]);
      const b = await pair('bool', [0, 1, 0, 1]);
      const out = await pairAlloc('bool', 4);
      (await gpu()).binary(op, viewOf(a.g, [4]), viewOf(b.g, [4]), out.g, [4]);
      cpu.binary(op, viewOf(a.c, [4]), viewOf(b.c, [4]), out.c, [4]);
      await expectSame(out, op);
    });
  }
});

describe('binaryScalar', () => {
  for (const op of [...arith, ...compare]) {
    for (const first of [false, true]) {
      it(`float32 ${op} (scalar ${first ? 'first' : 'second'})`, async () => {
        const values = [...randomValues(50, rng(3)), 0, -2, 2.5, Number.NaN];
        const x = await pair('float32', values);
        const out = await pairAlloc(compare.includes(op) ? 'bool' : 'float32', values.length);
        (await gpu()).binaryScalar(op, x.g, 2.5, out.g, first);
        cpu.binaryScalar(op, x.c, 2.5, out.c, first);
        await expectSame(out, op);
      });
    }
  }
  it('int32 add/mul/pow with a scalar', async () => {
    for (const op of ['add', 'mul', 'pow', 'sub'] as BinaryOp[]) {
      const x = await pair('int32', [0, 1, -3, 9, 100]);
      const out = await pairAlloc('int32', 5);
      (await gpu()).binaryScalar(op, x.g, 3, out.g, false);
      cpu.binaryScalar(op, x.c, 3, out.c, false);
      await expectSame(out, op);
    }
  });
});

describe('where, cast, copy, fill', () => {
  it('where broadcasts a bool condition', async () => {
    const c = await pair('bool', [1, 0, 1]);
    const a = await pair('float32', randomValues(6, rng(5)));
    const b = await pair('float32', [7]);
    const out = await pairAlloc('float32', 6);
    for (const [be, st] of [
      [await gpu(), 'g'],
      [cpu, 'c'],
    ] as const) {
      be.where(
        viewOf(c[st], [2, 3], [0, 1]),
        viewOf(a[st], [2, 3]),
        viewOf(b[st], [2, 3], [0, 0]),
        out[st],
        [2, 3],
      );
    }
    await expectSame(out, 'where');
  });
  const dtypes: DType[] = ['float32', 'int32', 'bool'];
  for (const from of dtypes) {
    for (const to of dtypes) {
      if (from === to) continue;
      it(`cast ${from} -> ${to}`, async () => {
        const vals = from === 'bool' ? [0, 1, 1, 0] : [0, 1.7, -2.5, 3, -0.2, 100.9];
        const x = await pair(from, vals);
        const out = await pairAlloc(to, vals.length);
        (await gpu()).cast(x.g, out.g);
        cpu.cast(x.c, out.c);
        await expectSame(out, 'cast');
      });
    }
  }
  it('copy gathers permuted, narrowed and expanded views', async () => {
    const x = await pair('float32', randomValues(2 * 3 * 4, rng(9)));
    const cases: [number[], number[], number][] = [
      [[4, 3, 2], [1, 4, 12], 0],
      [[2, 2, 4], [12, 4, 1], 4],
      [[3, 2, 4], [0, 12, 1], 0],
      [[], [], 5],
    ];
    for (const [shape, strides, offset] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const out = await pairAlloc('float32', n);
      (await gpu()).copy(viewOf(x.g, shape, strides, offset), out.g);
      cpu.copy(viewOf(x.c, shape, strides, offset), out.c);
      await expectSame(out, `copy ${shape}`);
    }
  });
  it('fill sets every element, per dtype', async () => {
    for (const [dt, v] of [
      ['float32', 2.5],
      ['float32', 0],
      ['int32', -3],
      ['bool', 1],
    ] as [DType, number][]) {
      const s = await pair(dt, [1, 2, 3, 4, 5]);
      (await gpu()).fill(s.g, v);
      cpu.fill(s.c, v);
      await expectSame(s, `fill ${dt}`);
    }
  });
});

describe('copy: random strided views', () => {
  it('permuted, narrowed and expanded views of rank 1-5 gather like cpu-js', async () => {
    const r = rng(2024);
    const pick = (n: number) => Math.floor(r() * n);
    for (let trial = 0; trial < 40; trial++) {
      const rank = 1 + pick(5);
      const base = Array.from({ length: rank }, () => 1 + pick(5));
      const size = base.reduce((a, b) => a * b, 1);
      const natural: number[] = [];
      for (let d = rank - 1, acc = 1; d >= 0; d--) {
        natural[d] = acc;
        acc *= base[d]!;
      }
      // Narrow each dim, then permute, then expand a size-1 dim with stride 0.
      let offset = 0;
      let shape = base.map((s, d) => {
        const start = pick(s);
        const len = 1 + pick(s - start);
        offset += start * natural[d]!;
        return len;
      });
      let strides = [...natural];
      const perm = Array.from({ length: rank }, (_, i) => i).sort(() => r() - 0.5);
      shape = perm.map((p) => shape[p]!);
      strides = perm.map((p) => strides[p]!);
      const d = pick(rank);
      if (shape[d] === 1) {
        shape[d] = 1 + pick(4);
        strides[d] = 0;
      }
      const x = await pair(
        trial % 3 === 0 ? 'int32' : 'float32',
        randomValues(size, r, -100, 100).map(Math.round),
      );
      const n = shape.reduce((a, b) => a * b, 1);
      const out = await pairAlloc(x.c.dtype, n);
      (await gpu()).copy(viewOf(x.g, shape, strides, offset), out.g);
      cpu.copy(viewOf(x.c, shape, strides, offset), out.c);
      await expectSame(out, `copy trial ${trial} shape [${shape}] strides [${strides}] offset ${offset}`);
    }
  });
});
