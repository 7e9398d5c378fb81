import type { DType } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { CpuJsBackend, cpuJs } from '../src/index.js';
import { arrayFor, expectSameValues, makeStorage, Rng, randomData, read } from './helpers.js';

const DTYPES: DType[] = ['float32', 'float64', 'int32', 'bool'];
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };
const ARRAY: Record<DType, string> = {
  float32: 'Float32Array',
  float64: 'Float64Array',
  int32: 'Int32Array',
  bool: 'Uint8Array',
};

/** Reference conversions, as PyTorch's casts: floats truncate toward zero into int32, x != 0 to bool. */
function castRef(v: number, to: DType): number {
  switch (to) {
    case 'bool':
      return v !== 0 ? 1 : 0; // NaN counts as true
    case 'int32':
      // NaN, infinities and out-of-range values: INT32_MIN, as PyTorch on x86.
      return Number.isFinite(v) && Math.abs(Math.trunc(v)) < 2 ** 31 ? Math.trunc(v) : -(2 ** 31);
    case 'float32':
      return Math.fround(v);
    case 'float64':
      return v;
  }
}

describe('storage', () => {
  it('declares its name, dtypes and synchronous reads', () => {
    const b = cpuJs();
    expect(b.name).toBe('cpu-js');
    expect([...b.dtypes].sort()).toEqual([...DTYPES].sort());
    expect(b.syncReads).toBe(true);
  });

  for (const dtype of DTYPES) {
    it(`${dtype}: alloc is zeroed, write/read round-trip, reads are copies`, async () => {
      const b = new CpuJsBackend();
      const rng = new Rng(dtype.length);
      for (const n of [0, 1, 7, 33, 1000]) {
        const s = b.alloc(dtype, n);
        expect(s.dtype).toBe(dtype);
        expect(s.size).toBe(n);
        const zero = read(b, s);
        expect(zero.constructor.name).toBe(ARRAY[dtype]);
        expectSameValues(zero, arrayFor(dtype, n));
        const data = randomData(rng, dtype, n, { specials: true, lo: -1000, hi: 1000 });
        b.write(s, data);
        const back = await b.read(s);
        expect(back.constructor.name).toBe(ARRAY[dtype]);
        expectSameValues(back, data);
        if (n > 0) {
          back[0] = 42;
          const sync = b.readSync(s);
          sync[0] = 43;
          data[0] = 44;
          expect(read(b, s)[0]).not.toBe(42);
          expect(read(b, s)[0]).not.toBe(43);
          expect(read(b, s)[0]).not.toBe(44);
        }
      }
    });
  }

  it('memoryBytes tracks live bytes and free releases them exactly once', () => {
    const b = new CpuJsBackend();
    expect(b.memoryBytes()).toBe(0);
    const live = DTYPES.map((d, i) => b.alloc(d, 10 + i));
    const total = DTYPES.reduce((acc, d, i) => acc + BYTES[d] * (10 + i), 0);
    expect(b.memoryBytes()).toBe(total);
    b.free(live[1]);
    expect(b.memoryBytes()).toBe(total - 8 * 11);
    b.free(live[1]);
    expect(b.memoryBytes()).toBe(total - 8 * 11);
    for (const s of [live[0], live[2], live[3]]) b.free(s);
    expect(b.memoryBytes()).toBe(0);
  });

  it('rejects a write of the wrong length, naming both sizes', () => {
    const b = new CpuJsBackend();
    const s = b.alloc('float32', 3);
    expect(() => b.write(s, new Float32Array(4))).toThrow(/4 elements into a storage of 3/);
  });

  it('sync resolves at once', async () => {
    await expect(new CpuJsBackend().sync()).resolves.toBeUndefined();
  });

  for (const dtype of DTYPES) {
    it(`fill ${dtype}`, () => {
      const b = new CpuJsBackend();
      const s = b.alloc(dtype, 33);
      for (const v of [0, 1, -3, 2.5, Number.NaN]) {
        if (dtype !== 'float32' && dtype !== 'float64' && Number.isNaN(v)) continue;
        b.fill(s, v);
        const want = arrayFor(dtype, 33);
        want.fill(dtype === 'bool' ? Number(v !== 0) : dtype === 'int32' ? Math.trunc(v) : v);
        expectSameValues(read(b, s), want, `fill ${v}`);
      }
    });
  }

  for (const from of DTYPES)
    for (const to of DTYPES) {
      if (from === to) continue;
      it(`cast ${from} → ${to}`, () => {
        const b = new CpuJsBackend();
        const rng = new Rng(from.length * 10 + to.length);
        const data = randomData(rng, from, 1000, { specials: true, lo: -3e9, hi: 3e9 });
        const src = makeStorage(b, from, data);
        const out = b.alloc(to, 1000);
        b.cast(src, out);
        const want = arrayFor(to, 1000);
        for (let i = 0; i < 1000; i++) want[i] = castRef(data[i], to);
        expectSameValues(read(b, out), want);
      });
    }
});
