import type { Backend, Storage } from '@stepwise/core';
import { defineFused, OutOfMemoryError } from '@stepwise/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebGPUOutOfMemoryError, webgpu } from '../src/index.js';
import { arrayOf, cpu, randomValues, rng, viewOf } from './helpers.js';

// A backend whose storage bindings hold only 1024 elements: tensors above that take the
// split paths (ranges of the output, ranged bindings of the inputs).
let small: Backend;
beforeAll(async () => {
  small = await webgpu({ maxBindingBytes: 4096 });
});
afterAll(() => small.destroy?.());

interface P {
  g: Storage;
  c: Storage;
}

function pair(values: ArrayLike<number>, dtype: 'float32' | 'int32' = 'float32'): P {
  const g = small.alloc(dtype, values.length);
  small.write(g, arrayOf(dtype, values));
  const c = cpu.alloc(dtype, values.length);
  cpu.write(c, arrayOf(dtype, values));
  return { g, c };
}

function empty(n: number, dtype: 'float32' | 'int32' | 'bool' = 'float32'): P {
  return { g: small.alloc(dtype, n), c: cpu.alloc(dtype, n) };
}

async function same(p: P, what: string): Promise<void> {
  const g = await small.read(p.g);
  const c = await cpu.read(p.c);
  expect(g.length).toBe(c.length);
  for (let i = 0; i < c.length; i++) {
    const a = Number(g[i]);
    const e = Number(c[i]);
    if (!(Math.abs(a - e) <= 1e-6 + 1e-5 * Math.abs(e)))
      expect.fail(`${what}[${i}]: webgpu ${a}, cpu-js ${e}`);
  }
}

describe('tensors larger than one storage binding', () => {
  const N = 5000;
  it('elementwise ops split the output and bind matching input ranges', async () => {
    const a = pair(randomValues(N, rng(1)));
    const b = pair(randomValues(N, rng(2)));
    const s = pair(randomValues(50, rng(3)));
    const out = empty(N);
    for (const [be, k] of [
      [small, 'g'],
      [cpu, 'c'],
    ] as const) {
      be.unary('tanh', a[k], out[k]);
    }
    await same(out, 'unary');
    for (const [be, k] of [
      [small, 'g'],
      [cpu, 'c'],
    ] as const) {
      be.binary('mul', viewOf(a[k], [100, 50]), viewOf(s[k], [100, 50], [0, 1]), out[k], [100, 50]);
    }
    await same(out, 'binary with a broadcast small input');
    for (const [be, k] of [
      [small, 'g'],
      [cpu, 'c'],
    ] as const) {
      be.binary('add', viewOf(a[k], [N]), viewOf(b[k], [N]), out[k], [N]);
      be.binaryScalar('mul', out[k], 3, out[k], false);
      be.unary('exp', out[k], out[k]);
    }
    await same(out, 'binary then in-place ops');
    const part = empty(N - 100);
    const ints = empty(N, 'int32');
    for (const [be, k] of [
      [small, 'g'],
      [cpu, 'c'],
    ] as const) {
      be.copy(viewOf(a[k], [N - 100], [1], 100), part[k]);
      be.cast(a[k], ints[k]);
      be.fill(b[k], 2.5);
    }
    await same(part, 'copy of a narrowed view');
    await same(ints, 'cast');
    await same(b, 'fill');
  });

  it('fused programs run a large tensor in ranges', async () => {
    const prog = defineFused('splitMomentum', ['p', 'g', 'm'], ['lr', 'mu'], (f) => {
      const m = f.let(f.buf.m.mul(f.s.mu).add(f.buf.g));
      f.store('m', m);
      f.store('p', f.buf.p.sub(m.mul(f.s.lr)));
    });
    const sizes = [N, 7, 1500];
    const ts = sizes.map((n, i) => [
      pair(randomValues(n, rng(10 + i))),
      pair(randomValues(n, rng(20 + i))),
      pair(new Array(n).fill(0)),
    ]);
    for (let step = 0; step < 3; step++) {
      small.fused!(
        prog,
        ts.map((t) => ({ buffers: t.map((p) => p.g), scalars: [0.1, 0.9] })),
      );
      cpu.fused!(
        prog,
        ts.map((t) => ({ buffers: t.map((p) => p.c), scalars: [0.1, 0.9] })),
      );
    }
    for (const t of ts) for (const p of t) await same(p, 'fused');
  });

  it('kernels that cannot split refuse a large tensor with a clear error', () => {
    const a = small.alloc('float32', N);
    const out = small.alloc('float32', 1);
    expect(() => small.reduce('sum', a, 1, N, 1, out)).toThrow(WebGPUOutOfMemoryError);
    expect(() => small.reduce('sum', a, 1, N, 1, out)).toThrow(OutOfMemoryError);
    expect(() => small.reduce('sum', a, 1, N, 1, out)).toThrow(/float32 tensor of 5000 elements/);
    const t = small.alloc('float32', N);
    expect(() => small.copy(viewOf(a, [100, 50], [1, 100]), t)).toThrow(
      /strided view of a float32 tensor of 5000 elements/,
    );
  });
});
