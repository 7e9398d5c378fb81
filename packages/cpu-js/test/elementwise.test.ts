import { binaryOps, unaryOps } from '@stepwise/conformance';
import type { BinaryOp, DType, UnaryOp } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend } from '../src/index.js';
import {
  arrayFor,
  asDType,
  expectAllClose,
  expectSameValues,
  makeStorage,
  numel,
  Rng,
  randomData,
  randomShape,
  randomView,
  read,
  unravel,
  viewAt,
} from './helpers.js';

const SIZES = [1, 7, 33, 1000];

/** Reference unary ops, written as the textbook formulas (float64). */
const unaryRef: Record<UnaryOp, (x: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  sqrt: Math.sqrt,
  rsqrt: (x) => (x === 0 ? 1 / x : x < 0 ? Number.NaN : x ** -0.5),
  abs: (x) => (x < 0 ? -x : x === 0 ? 0 : x),
  sign: (x) => (Number.isNaN(x) || x === 0 ? 0 : x > 0 ? 1 : -1),
  square: (x) => x ** 2,
  relu: (x) => (Number.isNaN(x) || Object.is(x, -0) ? x : Math.max(x, 0)),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  tanh: (x) => (x > 300 ? 1 : x < -300 ? -1 : Math.expm1(2 * x) / (Math.expm1(2 * x) + 2)),
  softplus: (x) => (x > 20 ? x : Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))),
  reciprocal: (x) => 1 / x,
  not: (x) => (x === 0 ? 1 : 0),
};

const binaryRef: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  // C's pow (PyTorch's): 1 for base 1 whatever the exponent, and for -1 to ±inf.
  pow: (a, b) => (a === 1 || (a === -1 && Math.abs(b) === Number.POSITIVE_INFINITY) ? 1 : a ** b),
  // NaN wins; on a tie (0 vs -0) the first operand, as torch.maximum/minimum on CPU.
  maximum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : a === b ? a : Math.max(a, b)),
  minimum: (a, b) => (Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : a === b ? a : Math.min(a, b)),
  eq: (a, b) => Number(a === b),
  ne: (a, b) => Number(a !== b),
  lt: (a, b) => Number(a < b),
  le: (a, b) => Number(a <= b),
  gt: (a, b) => Number(a > b),
  ge: (a, b) => Number(a >= b),
  and: (a, b) => Number(Boolean(a) && Boolean(b)),
  or: (a, b) => Number(Boolean(a) || Boolean(b)),
};

/** int32 multiply, wrapped the way PyTorch's int arithmetic does (computed exactly with BigInt). */
function intMulRef(a: number, b: number): number {
  return Number(BigInt.asIntN(32, BigInt(a) * BigInt(b)));
}

// The op lists are the kernel layer's tables (@stepwise/conformance), held here to formulas.
const FLOAT_UNARY: UnaryOp[] = unaryOps.map((o) => o.op);
const INT_UNARY: UnaryOp[] = unaryOps.filter((o) => o.int32).map((o) => o.op);
const floatBinary = binaryOps.filter((o) => o.dtypes.includes('float32'));
const ARITH: BinaryOp[] = floatBinary.filter((o) => !o.writesBool).map((o) => o.op);
const COMPARE: BinaryOp[] = floatBinary.filter((o) => o.writesBool).map((o) => o.op);
const opsOf = (dtype: DType): BinaryOp[] =>
  binaryOps.filter((o) => o.dtypes.includes(dtype)).map((o) => o.op);

function outDTypeOf(op: BinaryOp, dtype: DType): DType {
  return COMPARE.includes(op) || op === 'and' || op === 'or' ? 'bool' : dtype;
}

/**
 * PyTorch's int32 power, computed exactly with BigInt (square and multiply modulo 2^32); a
 * negative exponent gives 1 for base 1, ±1 for base -1 and 0 otherwise.
 */
function intPowRef(a: number, b: number): number {
  if (b < 0) return a === 1 ? 1 : a === -1 ? (b % 2 === 0 ? 1 : -1) : 0;
  let r = 1n;
  let base = BigInt.asUintN(32, BigInt(a));
  for (let e = BigInt(b); e > 0n; e >>= 1n) {
    if (e & 1n) r = BigInt.asUintN(32, r * base);
    base = BigInt.asUintN(32, base * base);
  }
  return Number(BigInt.asIntN(32, r));
}

function binaryExpected(op: BinaryOp, outDType: DType, a: number, b: number): number {
  if (op === 'mul' && outDType === 'int32') return intMulRef(a, b);
  if (op === 'pow' && outDType === 'int32') return intPowRef(a, b);
  const v = binaryRef[op](a, b);
  return outDType === 'bool' && !COMPARE.includes(op) ? Number(v !== 0) : v;
}

describe('unary', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64'] as DType[]) {
    for (const op of FLOAT_UNARY) {
      it(`${op} ${dtype} matches the reference formula`, () => {
        const rng = new Rng(op.length * 97 + dtype.length);
        for (const n of SIZES) {
          const lo = op === 'exp' || op === 'softplus' || op === 'sigmoid' || op === 'tanh' ? -40 : -5;
          const x = randomData(rng, dtype, n, { specials: true, lo, hi: 40 });
          const xs = makeStorage(b, dtype, x);
          const outDType = op === 'not' && n !== 7 ? 'bool' : dtype;
          const out = b.alloc(outDType, n);
          b.unary(op, xs, out);
          const expected = asDType(
            outDType,
            Array.from(x, (v) => unaryRef[op](v)),
          );
          // Transcendentals: the reference uses other formulas, so allow float rounding.
          const exact = ['neg', 'abs', 'sign', 'square', 'relu', 'not', 'sqrt', 'reciprocal'].includes(op);
          if (exact) expectSameValues(read(b, out), expected, `${op} n=${n}`);
          else {
            const rtol = dtype === 'float32' ? 2e-7 : 1e-13;
            expectAllClose(read(b, out), expected, rtol, 1e-300, `${op} n=${n}`);
          }
        }
      });
    }
  }
  for (const op of INT_UNARY) {
    it(`${op} int32 matches the reference, wrapping like int32`, () => {
      const rng = new Rng(op.length * 13);
      for (const n of SIZES) {
        const x = randomData(rng, 'int32', n, { lo: -70000, hi: 70000 });
        x[0] = -2147483648;
        const xs = makeStorage(b, 'int32', x);
        const outDType: DType = op === 'not' ? 'bool' : 'int32';
        const out = b.alloc(outDType, n);
        b.unary(op, xs, out);
        const expected = Array.from(x, (v) => (op === 'square' ? intMulRef(v, v) : unaryRef[op](v)));
        expectSameValues(read(b, out), asDType(outDType, expected), `${op} n=${n}`);
      }
    });
  }
  it('keeps PyTorch special cases: sign(0)=0, sigmoid far out, softplus threshold', () => {
    const x = new Float64Array([0, -0, Number.NaN, -800, 800, 20, 20.5, -50]);
    const xs = makeStorage(b, 'float64', x);
    const out = b.alloc('float64', x.length);
    b.unary('sign', xs, out);
    expectSameValues(read(b, out).subarray(0, 3), [0, 0, 0]);
    b.unary('sigmoid', xs, out);
    const s = read(b, out);
    expect(s[3]).toBe(0);
    expect(s[4]).toBe(1);
    b.unary('softplus', xs, out);
    const sp = read(b, out);
    expect(sp[5]).toBe(Math.log1p(Math.exp(20)));
    expect(sp[6]).toBe(20.5);
    expect(sp[7]).toBeGreaterThan(0);
    expect(sp[7]).toBeCloseTo(Math.exp(-50), 30);
  });
});

describe('binary', () => {
  const b = new CpuJsBackend();
  const cases = (['float32', 'float64', 'int32', 'bool'] as DType[]).map((dtype) => ({
    dtype,
    ops: opsOf(dtype),
  }));
  for (const { dtype, ops } of cases) {
    for (const op of ops) {
      it(`${op} ${dtype} over broadcast and strided views matches a per-element reference`, () => {
        const rng = new Rng(op.length * 31 + dtype.length * 7 + 1);
        const shapes = [...SIZES.map((n) => [n]), [33, 7], [7, 33], [1000, 1]];
        for (let t = 0; t < 30; t++) shapes.push(randomShape(rng));
        for (const [k, shape] of shapes.entries()) {
          // The first shapes: same-shape contiguous (the fast path); then every mix.
          const contiguous = k < SIZES.length + 3 && rng.next() < 0.5;
          const hi = dtype === 'int32' ? 100000 : 5;
          const va = randomView(rng, b, dtype, shape, { contiguous, specials: true, lo: -hi, hi });
          const vb = randomView(rng, b, dtype, shape, { contiguous, specials: true, lo: -hi, hi });
          const outDType = outDTypeOf(op, dtype);
          const n = numel(shape);
          const out = b.alloc(outDType, n);
          b.binary(op, va.view, vb.view, out, shape);
          const expected = arrayFor(outDType, n);
          for (let i = 0; i < n; i++) {
            const idx = unravel(i, shape);
            expected[i] = binaryExpected(
              op,
              outDType,
              va.data[viewAt(va.view, idx)],
              vb.data[viewAt(vb.view, idx)],
            );
          }
          expectSameValues(read(b, out), expected, `${op} ${dtype} shape [${shape}]`);
        }
      });
    }
  }

  it('takes the row and column broadcast patterns of a bias add', () => {
    const rng = new Rng(5);
    for (const [m, n] of [
      [1, 1],
      [7, 33],
      [33, 7],
      [1000, 3],
    ]) {
      const a = randomView(rng, b, 'float32', [m, n], { contiguous: true });
      const rowS = makeStorage(b, 'float32', randomData(rng, 'float32', n));
      const colS = makeStorage(b, 'float32', randomData(rng, 'float32', m));
      const rowView = { storage: rowS, shape: [m, n], strides: [0, 1], offset: 0 };
      const colView = { storage: colS, shape: [m, n], strides: [1, 0], offset: 0 };
      for (const [bv, bi] of [
        [rowView, (_i: number, j: number) => j] as const,
        [colView, (i: number, _j: number) => i] as const,
      ]) {
        const out = b.alloc('float32', m * n);
        b.binary('sub', a.view, bv, out, [m, n]);
        const bd = read(b, bv.storage);
        const expected = new Float32Array(m * n);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) expected[i * n + j] = a.data[i * n + j] - bd[bi(i, j)];
        expectSameValues(read(b, out), expected, `[${m}, ${n}]`);
        // and with the broadcast operand first
        b.binary('sub', bv, a.view, out, [m, n]);
        for (let i = 0; i < m; i++)
          for (let j = 0; j < n; j++) expected[i * n + j] = bd[bi(i, j)] - a.data[i * n + j];
        expectSameValues(read(b, out), expected, `[${m}, ${n}] reversed`);
      }
    }
  });

  for (const dtype of ['float32', 'float64', 'int32'] as DType[]) {
    it(`binaryScalar ${dtype}, both operand orders`, () => {
      const rng = new Rng(dtype.length);
      const ops: BinaryOp[] =
        dtype === 'int32' ? ['add', 'sub', 'mul', 'maximum', 'minimum', ...COMPARE] : [...ARITH, ...COMPARE];
      for (const op of ops) {
        for (const n of SIZES) {
          const hi = dtype === 'int32' ? 100000 : 5;
          const x = randomData(rng, dtype, n, { specials: true, lo: -hi, hi });
          const s = dtype === 'int32' ? rng.int(-hi, hi) : rng.pick([0.5, -2, 3.25, Number.NaN, 0]);
          const xs = makeStorage(b, dtype, x);
          const outDType = outDTypeOf(op, dtype);
          const out = b.alloc(outDType, n);
          for (const scalarFirst of [false, true]) {
            b.binaryScalar(op, xs, s, out, scalarFirst);
            const expected = Array.from(x, (v) =>
              scalarFirst ? binaryExpected(op, outDType, s, v) : binaryExpected(op, outDType, v, s),
            );
            expectSameValues(read(b, out), asDType(outDType, expected), `${op} ${s} first=${scalarFirst}`);
          }
        }
      }
    });
  }
});

describe('where', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    it(`${dtype} over broadcast and strided views`, () => {
      const rng = new Rng(77 + dtype.length);
      const shapes = [...SIZES.map((n) => [n]), [7, 33]];
      for (let t = 0; t < 30; t++) shapes.push(randomShape(rng));
      for (const shape of shapes) {
        const c = randomView(rng, b, 'bool', shape);
        const x = randomView(rng, b, dtype, shape, { specials: true });
        const y = randomView(rng, b, dtype, shape, { specials: true });
        const n = numel(shape);
        const out = b.alloc(dtype, n);
        b.where(c.view, x.view, y.view, out, shape);
        const expected = arrayFor(dtype, n);
        for (let i = 0; i < n; i++) {
          const idx = unravel(i, shape);
          expected[i] = c.data[viewAt(c.view, idx)]
            ? x.data[viewAt(x.view, idx)]
            : y.data[viewAt(y.view, idx)];
        }
        expectSameValues(read(b, out), expected, `shape [${shape}]`);
      }
    });
  }
});

describe('copy', () => {
  const b = new CpuJsBackend();
  for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
    it(`${dtype}: gathers permuted, narrowed, stepped and expanded views row-major`, () => {
      const rng = new Rng(123 + dtype.length);
      const shapes = [[], ...SIZES.map((n) => [n]), [7, 33], [33, 7]];
      for (let t = 0; t < 40; t++) shapes.push(randomShape(rng));
      for (const [k, shape] of shapes.entries()) {
        const src = randomView(rng, b, dtype, shape, { contiguous: k % 5 === 0, specials: true });
        const n = numel(shape);
        const out = b.alloc(dtype, n);
        b.copy(src.view, out);
        const expected = arrayFor(dtype, n);
        for (let i = 0; i < n; i++) expected[i] = src.data[viewAt(src.view, unravel(i, shape))];
        expectSameValues(read(b, out), expected, `shape [${shape}]`);
      }
    });
  }
  it('copies large transposes (the tiled path) with offsets and padding', () => {
    const rng = new Rng(4);
    for (const [rows, cols, pad, offset] of [
      [70, 90, 0, 0],
      [2000, 7, 3, 5],
      [33, 1000, 1, 2],
    ]) {
      // Storage holds [cols, rows + pad] row-major; the view reads it transposed: [rows, cols].
      const data = randomData(rng, 'float32', offset + cols * (rows + pad));
      const s = makeStorage(b, 'float32', data);
      const out = b.alloc('float32', rows * cols);
      b.copy({ storage: s, shape: [rows, cols], strides: [1, rows + pad], offset }, out);
      const want = new Float32Array(rows * cols);
      for (let i = 0; i < rows; i++)
        for (let j = 0; j < cols; j++) want[i * cols + j] = data[offset + i + j * (rows + pad)];
      expectSameValues(read(b, out), want, `[${rows}, ${cols}]`);
    }
  });

  it('copies a transposed matrix', () => {
    const s = makeStorage(b, 'float64', new Float64Array([1, 2, 3, 4, 5, 6]));
    const out = b.alloc('float64', 6);
    b.copy({ storage: s, shape: [3, 2], strides: [1, 3], offset: 0 }, out);
    expectSameValues(read(b, out), [1, 4, 2, 5, 3, 6]);
  });
});
