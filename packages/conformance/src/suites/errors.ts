/**
 * Errors name the culprit: a shape mismatch names both shapes, a dtype the backend lacks
 * names the dtype and the backend, a disposed tensor says so, a non-leaf parameter and a
 * bad state dict are refused with PyTorch's key phrases. State is untouched after a failure.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, phrasePattern, shapePattern, thrown, values } from './util.js';

interface ErrorsFixture {
  readonly errors: { id: string; keyPhrase: string }[];
}

export function registerErrorsTests(ctx: ConformanceContext): void {
  const phrase = (id: string): RegExp =>
    phrasePattern(loadFixture<ErrorsFixture>('sgd_errors').errors.find((e) => e.id === id)!.keyPhrase);

  describe('shape mismatch names both shapes', () => {
    const cases: [string, number[], number[], (a: torch.Tensor, b: torch.Tensor) => unknown][] = [
      ['add (broadcast)', [2, 3], [4], (a, b) => a.add(b)],
      ['mul (broadcast)', [2, 3], [3, 2], (a, b) => a.mul(b)],
      ['where', [2, 3], [5], (a, b) => torch.where(a.gt(0), a, b)],
      ['matmul', [2, 3], [4, 5], (a, b) => a.matmul(b)],
      ['matmul 1-D', [3], [4], (a, b) => a.matmul(b)],
      ['batched matmul', [2, 3, 4], [3, 5, 6], (a, b) => a.matmul(b)],
      ['cat', [2, 3], [2, 4], (a, b) => torch.cat([a, b], 0)],
      ['stack', [2, 3], [3, 2], (a, b) => torch.stack([a, b], 0)],
    ];
    for (const [name, sa, sb, f] of cases) {
      it(`${name}: ${JSON.stringify(sa)} and ${JSON.stringify(sb)}`, () => {
        const a = torch.ones(sa);
        const b = torch.ones(sb);
        const e = thrown(() => f(a, b));
        expect(e.message).toMatch(shapePattern(sa));
        expect(e.message).toMatch(shapePattern(sb));
      });
    }

    it('reshape to an incompatible shape names the shape and the target', () => {
      const e = thrown(() => torch.ones([2, 3]).reshape([4, 2]));
      expect(e.message).toMatch(shapePattern([4, 2]));
      expect(e.message).toMatch(/6|\[2, 3\]/);
    });

    it('expand to an incompatible shape names both', () => {
      const e = thrown(() => torch.ones([3, 2]).expand([3, 4]));
      expect(e.message).toMatch(shapePattern([3, 4]));
      expect(e.message).toMatch(shapePattern([3, 2]));
    });

    it('assigning a grad of another shape names both', () => {
      const w = torch.zeros([2, 3], { requiresGrad: true });
      const e = thrown(() => {
        w.grad = torch.zeros([3, 2]);
      });
      expect(e.message).toMatch(shapePattern([2, 3]));
      expect(e.message).toMatch(shapePattern([3, 2]));
      expect(w.grad).toBeNull();
    });
  });

  describe('out of range', () => {
    it('a dim out of range names the dim', () => {
      const t = torch.ones([2, 3]);
      for (const f of [() => t.sum(2), () => t.softmax(-3), () => t.transpose(0, 5), () => t.unsqueeze(4)]) {
        expect(thrown(f).message).toMatch(/-3|2|4|5/);
        expect(thrown(f).message).toMatch(/dim/i);
      }
    });

    it('narrow beyond the size names start and length', () => {
      const e = thrown(() => torch.ones([5]).narrow(0, 3, 4));
      expect(e.message).toMatch(/3/);
      expect(e.message).toMatch(/4/);
    });

    it('an index out of range names the index', async () => {
      const x = torch.ones([5, 2]);
      const badSelect = () => x.indexSelect(0, torch.tensor([1, 7], { dtype: 'int32' }));
      const badGather = () => x.gather(1, torch.tensor([[0], [9], [1], [0], [1]], { dtype: 'int32' }));
      if (ctx.syncReads) {
        expect(thrown(badSelect).message).toMatch(/7/);
        expect(thrown(badGather).message).toMatch(/9/);
        return;
      }
      // A backend without synchronous reads holds indices on the device: checking them would
      // need a read-back in the middle of an op (PyTorch's CUDA backend reports such indices
      // asynchronously too). So only in-range indices are checked here: they must work.
      const ok = x.indexSelect(0, torch.tensor([4, 0], { dtype: 'int32' }));
      expect([...ok.shape]).toEqual([2, 2]);
      expect(await values(ok)).toEqual([1, 1, 1, 1]);
    });
  });

  describe('dtypes', () => {
    it('a dtype the backend lacks is refused naming the dtype and the backend', () => {
      const missing = (['float64', 'float32', 'int32', 'bool'] as const).filter((d) => !ctx.supports(d));
      for (const d of missing) {
        expectDTypeUnsupported(ctx, d);
        expect(() => torch.zeros([2], { dtype: d })).toThrow(d);
      }
      // Every backend stores float32, int32 and bool (API.md); only float64 may be missing.
      expect(missing.filter((d) => d !== 'float64')).toEqual([]);
    });

    it('an unknown dtype is an error naming it', () => {
      const e = thrown(() => torch.zeros([2], { dtype: 'float16' as any }));
      expect(e.message).toContain('float16');
    });

    it('an index tensor that is not int32 is an error naming its dtype', () => {
      const e = thrown(() => torch.ones([3]).indexSelect(0, torch.tensor([0, 1])));
      expect(e.message).toContain('float32');
    });

    it('mean of an int32 tensor is an error naming the dtype (PyTorch: floating point only)', () => {
      const e = thrown(() => torch.tensor([1, 2], { dtype: 'int32' }).mean());
      expect(e.message).toContain('int32');
    });
  });

  describe('allocation failures', () => {
    it("a storage past what the backend holds is core's OutOfMemoryError, naming the dtype and the element count", () => {
      // 2^31 elements: past every backend's limit (int32 indices, a wasm32 heap, a GPU
      // buffer), so it is refused before any memory is touched. The backend's own subclass
      // (WasmOutOfMemoryError, WebGPUOutOfMemoryError) is fine; one class catches them all.
      const b = ctx.backend();
      for (const dtype of ['float32', 'bool'] as const) {
        const e = thrown(() => b.alloc(dtype, 2 ** 31));
        expect(e, e.message).toBeInstanceOf(torch.OutOfMemoryError);
        expect(e, e.message).toBeInstanceOf(torch.BackendError);
        expect(e.message).toContain(dtype);
        expect(e.message).toContain('2147483648');
      }
    });
  });

  describe('disposed tensors', () => {
    it('using a disposed tensor is an error that says so, naming its shape', () => {
      const t = torch.ones([4, 5]);
      t.dispose();
      const e = thrown(() => t.mul(2));
      expect(e.message).toMatch(/dispos/i);
      expect(e.message).toMatch(shapePattern([4, 5]));
    });
  });

  describe('optimizers', () => {
    it('a non-leaf parameter is refused', () => {
      const w = torch.zeros([3], { requiresGrad: true });
      const e = thrown(() => new torch.optim.SGD([w.mul(2)], { lr: 0.1 }));
      expect(e.message).toMatch(phrase('non-leaf param'));
    });

    it('a bad state dict is refused, naming what is wrong, and changes nothing', async () => {
      const w = torch.tensor([1, 2, 3], { requiresGrad: true });
      const opt = new torch.optim.SGD([w], { lr: 0.1, momentum: 0.9 });
      w.grad = torch.onesLike(w);
      opt.step();
      const buf = await values(opt.state.get(w)!.momentumBuffer);
      const bad: [unknown, RegExp][] = [
        [{ state: {}, paramGroups: [] }, phrase('loadStateDict: group count')],
        [{ state: {}, paramGroups: [{ params: [0, 1], lr: 0.5 }] }, phrase('loadStateDict: group size')],
        [{ paramGroups: [{ params: [0], lr: 0.5 }] }, /state/],
        [{ state: {} }, /param.?groups/i],
        [42, /state dict/i],
      ];
      for (const [sd, pattern] of bad) {
        const e = thrown(() => opt.loadStateDict(sd as any));
        expect(e.message).toMatch(pattern);
      }
      expect(opt.paramGroups[0]!.lr).toBe(0.1);
      expect(await values(opt.state.get(w)!.momentumBuffer)).toEqual(buf);
    });
  });

  describe("PyTorch's p.data", () => {
    it('assigning to t.data (p.data = x, p.data += x) is an error naming detach() and copy_(), and changes nothing', async () => {
      const p = torch.tensor([1, 2, 3], { requiresGrad: true });
      const pt = p as any;
      for (const assign of [() => (pt.data = torch.zeros(3)), () => (pt.data += 1)]) {
        const e = thrown(assign);
        expect(e).toBeInstanceOf(TypeError);
        expect(e.message).toMatch(/detach\(\)/);
        expect(e.message).toMatch(/copy_/);
      }
      expect(await values(p)).toEqual([1, 2, 3]);
      expect(typeof p.data).toBe('function');
    });
  });
}
