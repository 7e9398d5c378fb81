/**
 * Creation functions (fixtures/creation.json), tensor properties, and reading values:
 * `await t.data()` everywhere; `dataSync`/`item`/`tolist` only where the backend reads
 * synchronously, otherwise they must throw an error that names `await t.data()`.
 */

import type { Backend, DType } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { liveOf } from '../testMemory.js';
import {
  expectDTypeUnsupported,
  expectTensor,
  fromSpec,
  type TensorSpec,
  thrown,
  tol,
  values,
} from './util.js';

/**
 * The backend under test renamed and declaring a small `maxTensorBytes` (methods bound to
 * the real one, as backendRegistry's second backend): core's size check must refuse before
 * it allocates anything. Registered (per-call `{ backend }` registers) for the rest of the run.
 */
function limited(backend: Backend, name: string, maxTensorBytes: number): Backend {
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'name') return name;
      if (key === 'maxTensorBytes') return maxTensorBytes;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

interface CreationCase {
  readonly id: string;
  readonly call: [string, ...any[]];
  readonly out: TensorSpec;
}

interface CastCase {
  readonly id: string;
  readonly a: TensorSpec;
  readonly to: DType;
  readonly out: TensorSpec;
}

export function registerCreationTests(ctx: ConformanceContext): void {
  const { cases, casts } = loadFixture<{ cases: CreationCase[]; casts: CastCase[] }>('creation');

  describe('creation functions', () => {
    for (const c of cases) {
      it(c.id, async () => {
        if (!ctx.supports(c.out.dtype)) return expectDTypeUnsupported(ctx, c.out.dtype);
        const [fn, ...args] = c.call;
        const t = (torch as any)[fn](...args);
        await expectTensor(t, c.out, tol(c.out.dtype), fn);
      });
    }

    it('zerosLike / onesLike keep shape and dtype', async () => {
      const x = torch.tensor([[1, 2, 3]], { dtype: 'int32' });
      const z = torch.zerosLike(x);
      const o = torch.onesLike(x);
      expect([...z.shape]).toEqual([1, 3]);
      expect(z.dtype).toBe('int32');
      expect(await values(z)).toEqual([0, 0, 0]);
      expect(o.dtype).toBe('int32');
      expect(await values(o)).toEqual([1, 1, 1]);
    });

    it('rand, randn, normal: shape, dtype, range, reproducible under manualSeed', async () => {
      torch.manualSeed(1234);
      const a = torch.rand([1000]);
      const n = torch.randn([1000]);
      const m = torch.normal(5, 0.5, [1000]);
      torch.manualSeed(1234);
      const a2 = torch.rand([1000]);
      expect([...a.shape]).toEqual([1000]);
      expect(a.dtype).toBe('float32');
      const av = await values(a);
      expect(Math.min(...av)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...av)).toBeLessThan(1);
      expect(await values(a2)).toEqual(av);
      const nv = await values(n);
      const mean = nv.reduce((s, v) => s + v, 0) / nv.length;
      const sd = Math.sqrt(nv.reduce((s, v) => s + (v - mean) ** 2, 0) / nv.length);
      // 1000 draws: the sample mean is within 4 standard errors (0.126) of 0, the sd near 1.
      expect(Math.abs(mean)).toBeLessThan(0.13);
      expect(Math.abs(sd - 1)).toBeLessThan(0.1);
      const mv = await values(m);
      const mMean = mv.reduce((s, v) => s + v, 0) / mv.length;
      expect(Math.abs(mMean - 5)).toBeLessThan(0.07);
    });

    it('per-call backend option', () => {
      const t = torch.zeros([2], { backend: ctx.backend() });
      expect(t.backend).toBe(ctx.backend());
      const u = torch.tensor([1, 2], { backend: ctx.name });
      expect(u.backend.name).toBe(ctx.name);
    });

    it('a float64 tensor, or the clear error on a backend without float64', async () => {
      if (!ctx.supports('float64')) return expectDTypeUnsupported(ctx, 'float64');
      const t = torch.tensor([0.1, 1e-300], { dtype: 'float64' });
      expect(await values(t)).toEqual([0.1, 1e-300]);
    });
  });

  describe('properties', () => {
    it('shape, dtype, numel, dim, size, T, isLeaf, requiresGrad, grad, gradFn', () => {
      const t = torch.zeros([2, 3, 4]);
      expect([...t.shape]).toEqual([2, 3, 4]);
      expect(t.dtype).toBe('float32');
      expect(t.numel()).toBe(24);
      expect(t.dim()).toBe(3);
      expect(t.size(1)).toBe(3);
      expect(t.size(-1)).toBe(4);
      expect([...t.size()]).toEqual([2, 3, 4]);
      expect(t.isLeaf).toBe(true);
      expect(t.requiresGrad).toBe(false);
      expect(t.grad).toBeNull();
      expect(t.gradFn).toBeNull();
      expect([...torch.zeros([2, 5]).T.shape]).toEqual([5, 2]);
      const s = torch.tensor(3);
      expect([...s.shape]).toEqual([]);
      expect(s.numel()).toBe(1);
      expect(s.dim()).toBe(0);
    });

    for (const c of casts) {
      it(`to(): ${c.id}`, async () => {
        for (const d of [c.a.dtype, c.to]) if (!ctx.supports(d)) return expectDTypeUnsupported(ctx, d);
        const out = fromSpec(c.a).to(c.to);
        await expectTensor(out, c.out, tol(c.out.dtype), c.id);
      });
    }

    it('float() and double() are to(float32) and to(float64)', async () => {
      const t = torch.tensor([1, -2, 3], { dtype: 'int32' });
      expect(t.float().dtype).toBe('float32');
      if (!ctx.supports('float64')) return expectDTypeUnsupported(ctx, 'float64');
      expect(t.double().dtype).toBe('float64');
      expect(await values(t.double())).toEqual(await values(t));
    });
  });

  describe('reading', () => {
    it('await t.data() returns a typed array of the dtype', async () => {
      const cases: [DType, any][] = [
        ['float32', Float32Array],
        ['int32', Int32Array],
        ['bool', Uint8Array],
      ];
      if (ctx.supports('float64')) cases.push(['float64', Float64Array]);
      for (const [dtype, Ctor] of cases) {
        const d = await torch.tensor([1, 0, 1], { dtype }).data();
        expect(d, dtype).toBeInstanceOf(Ctor);
        expect(Array.from(d)).toEqual([1, 0, 1]);
      }
    });

    it('dataSync, item, tolist — or the error naming `await t.data()`', async () => {
      const t = torch.tensor([
        [1, 2],
        [3, 4],
      ]);
      const one = torch.tensor([2.5]);
      if (ctx.syncReads) {
        expect(Array.from(t.dataSync())).toEqual([1, 2, 3, 4]);
        expect(one.item()).toBe(2.5);
        expect(t.tolist()).toEqual([
          [1, 2],
          [3, 4],
        ]);
        expect(torch.tensor(7).tolist()).toBe(7);
      } else {
        for (const f of [() => t.dataSync(), () => one.item(), () => t.tolist()]) {
          expect(thrown(f).message).toContain('await t.data()');
        }
      }
    });

    it('item() of a tensor with more than one element is an error naming its size', () => {
      const t = torch.tensor([1, 2, 3]);
      const e = thrown(() => t.item());
      expect(e.message).toMatch(/3/);
    });
  });

  describe('impossible sizes', () => {
    it('a size past what a tensor can hold is a TensorSizeError naming the shape, elements, bytes and limit', () => {
      const cases: [string, () => unknown, string, number, number][] = [
        ['zeros([1e10])', () => torch.zeros([1e10]), '[10000000000]', 1e10, 4e10],
        ['zeros([2 ** 31])', () => torch.zeros([2 ** 31]), '[2147483648]', 2 ** 31, 2 ** 33],
        [
          'ones([2 ** 31], bool)',
          () => torch.ones([2 ** 31], { dtype: 'bool' }),
          '[2147483648]',
          2 ** 31,
          2 ** 31,
        ],
        ['full([65536, 65536])', () => torch.full([65536, 65536], 2), '[65536, 65536]', 2 ** 32, 2 ** 34],
        ['zeros(1e10)', () => torch.zeros(1e10), '[10000000000]', 1e10, 4e10],
        ['rand([1e10])', () => torch.rand([1e10]), '[10000000000]', 1e10, 4e10],
        ['randn([1e5, 1e5])', () => torch.randn([1e5, 1e5]), '[100000, 100000]', 1e10, 4e10],
        ['randint(0, 5, [1e10])', () => torch.randint(0, 5, [1e10]), '[10000000000]', 1e10, 4e10],
        ['arange(1e10)', () => torch.arange(1e10), '[10000000000]', 1e10, 4e10],
        ['linspace(0, 1, 1e10)', () => torch.linspace(0, 1, 1e10), '[10000000000]', 1e10, 4e10],
        ['eye(1e5)', () => torch.eye(1e5), '[100000, 100000]', 1e10, 4e10],
        ['randperm(1e10)', () => torch.randperm(1e10), '[10000000000]', 1e10, 4e10],
      ];
      const before = liveOf(ctx.name);
      for (const [what, f, shape, n, bytes] of cases) {
        const e = thrown(f);
        expect(e.name, `${what}: ${e.message}`).toBe('TensorSizeError');
        expect(e, what).toBeInstanceOf(RangeError);
        expect(e.message, what).toContain(`shape ${shape}`);
        expect(e.message, what).toContain(`${n} elements`);
        expect(e.message, what).toContain(`${bytes} bytes`);
        expect(e.message, what).toContain('2147483647');
      }
      // One under the bound is not refused by the size check (only memory could refuse it):
      // checked on an empty tensor with that many elements along one of two dims.
      expect([...torch.zeros([2 ** 31 - 1, 0]).shape]).toEqual([2 ** 31 - 1, 0]);
      expect(liveOf(ctx.name)).toEqual({ tensors: before.tensors + 1, bytes: before.bytes });
    });

    it('negative, fractional and NaN sizes are a ShapeError naming the shape', () => {
      for (const shape of [[-1], [2, 1.5], [Number.NaN], [Number.POSITIVE_INFINITY]]) {
        const e = thrown(() => torch.zeros(shape));
        expect(e.name, e.message).toBe('ShapeError');
        expect(e.message).toContain(`[${shape.join(', ')}]`);
      }
      expect(thrown(() => torch.eye(-2)).name).toBe('ShapeError');
    });

    it("a tensor past the backend's maxTensorBytes is refused before alloc, naming the backend's limit", () => {
      const name = `${ctx.name}-limited-1024`;
      const small = limited(ctx.backend(), name, 1024);
      const before = liveOf(name);
      const e = thrown(() => torch.zeros([257], { backend: small }));
      expect(e.name, e.message).toBe('TensorSizeError');
      expect(e.message).toContain('[257]');
      expect(e.message).toContain('1028 bytes');
      expect(e.message).toContain(`'${name}'`);
      expect(e.message).toContain('1024 bytes');
      expect(thrown(() => torch.rand([16, 17], { backend: small })).message).toContain('1088 bytes');
      expect(liveOf(name)).toEqual(before);
      const fits = torch.zeros([256], { backend: small });
      expect(fits.numel()).toBe(256);
      fits.dispose();
      torch.setBackend(ctx.backend());
    });

    it('an op whose result is past what a tensor can hold is a clear error naming its size', () => {
      const col = torch.zeros([65536, 1]);
      const row = torch.zeros([1, 65536]);
      const before = liveOf(ctx.name);
      // The backend's own error (core sees only the size here): it must name the size.
      const e = thrown(() => col.add(row));
      expect(e.message).toMatch(/4294967296 elements/);
      expect(liveOf(ctx.name)).toEqual(before);
    });

    it('requiresGrad on an integer creation is refused before anything is allocated', () => {
      const before = liveOf(ctx.name);
      for (const f of [
        () => torch.tensor([1, 2], { dtype: 'int32', requiresGrad: true }),
        () => torch.zeros([3], { dtype: 'bool', requiresGrad: true }),
        () => torch.arange(4, undefined, 1, { dtype: 'int32', requiresGrad: true }),
      ]) {
        const e = thrown(f);
        expect(e.name, e.message).toBe('AutogradError');
        expect(e.message).toMatch(/floating point/);
      }
      expect(liveOf(ctx.name)).toEqual(before);
    });
  });
}
