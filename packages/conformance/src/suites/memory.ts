/**
 * Memory: `tidy` disposes what it does not return, a training loop keeps `torch.memory()`
 * flat, `dispose()` frees bytes, and a disposed tensor throws a clear error.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { liveOf } from '../testMemory.js';
import { rejected, thrown, values } from './util.js';

export function registerMemoryTests(ctx: ConformanceContext): void {
  describe('tidy and dispose', () => {
    it('tidy disposes every intermediate and keeps what fn returns', async () => {
      const before = liveOf(ctx);
      let inner: torch.Tensor | undefined;
      const r = torch.tidy(() => {
        const a = torch.ones([100]);
        inner = a.mul(2);
        return inner.add(1);
      });
      const after = liveOf(ctx);
      expect(after.tensors - before.tensors, 'live tensors added by tidy').toBe(1);
      expect(after.bytes - before.bytes, 'bytes added by tidy').toBe(400);
      expect(await values(r)).toEqual(new Array(100).fill(3));
      // The intermediate was disposed (reading it rejects; reading allocates nothing).
      expect((await rejected(async () => inner!.data())).message).toMatch(/dispos/i);
      r.dispose();
      expect(liveOf(ctx).tensors).toBe(before.tensors);
      expect(liveOf(ctx).bytes).toBe(before.bytes);
    });

    it('an op on a disposed tensor throws and allocates nothing', () => {
      const t = torch.ones([3]);
      t.dispose();
      const before = liveOf(ctx);
      for (const f of [() => t.add(1), () => t.mul(t), () => t.exp(), () => t.sum()])
        expect(f).toThrow(/dispos/i);
      expect(liveOf(ctx), 'memory after the failed calls').toEqual(before);
    });

    it('a model built inside tidy keeps its parameters (parameters are never tidied)', async () => {
      const before = liveOf(ctx).tensors;
      const model = torch.tidy(() => new torch.nn.Linear(3, 2));
      const w = await values(model.weight);
      expect(w.length).toBe(6);
      expect(liveOf(ctx).tensors - before, 'weight and bias stay alive').toBe(2);
      for (const p of model.parameters()) p.dispose();
    });

    it('tidy keeps tensors returned in an array or object', () => {
      const before = liveOf(ctx).tensors;
      const r = torch.tidy(() => {
        const a = torch.ones([3]);
        return { s: a.sum(), list: [a.mul(3)] };
      });
      expect(liveOf(ctx).tensors - before).toBe(2);
      r.s.dispose();
      r.list[0]!.dispose();
    });

    it('dispose frees the bytes; disposing twice is harmless', () => {
      const before = liveOf(ctx);
      const t = torch.zeros([1000]);
      expect(liveOf(ctx).bytes - before.bytes).toBe(4000);
      t.dispose();
      t.dispose();
      expect(liveOf(ctx).bytes).toBe(before.bytes);
      expect(liveOf(ctx).tensors).toBe(before.tensors);
    });

    it('a disposed tensor throws a clear error when used or read', async () => {
      const t = torch.ones([2, 3]);
      t.dispose();
      for (const f of [() => t.add(1), () => t.sum(), () => t.reshape([6])]) {
        expect(thrown(f).message).toMatch(/dispos/i);
      }
      const e = await rejected(async () => t.data());
      expect(e.message).toMatch(/dispos/i);
    });
  });

  describe('the per-test memory check (src/testMemory.ts)', () => {
    let left: torch.Tensor | undefined;
    let kept: torch.Tensor | undefined;
    it('a test may leave tensors alive, and keep one on purpose', () => {
      left = torch.ones([3]).mul(2);
      kept = ctx.keepAfterTest(torch.ones([2]));
      expect(left.isDisposed).toBe(false);
    });
    it('when it ended, the check disposed what it left, and not what it kept', () => {
      expect(left!.isDisposed, 'a tensor the previous test left').toBe(true);
      expect(kept!.isDisposed, 'the tensor it kept').toBe(false);
      kept!.dispose();
    });
  });

  describe('training loops stay flat', () => {
    it('an SGD loop under tidy: memory after step 50 equals memory after step 5', () => {
      const w = torch.randn([16, 4], { requiresGrad: true });
      const b = torch.zeros([4], { requiresGrad: true });
      const x = torch.randn([32, 16]);
      const y = torch.randn([32, 4]);
      const opt = new torch.optim.SGD([w, b], { lr: 0.01, momentum: 0.9 });
      const start = liveOf(ctx);
      let at5 = start;
      for (let i = 0; i < 50; i++) {
        torch.tidy(() => {
          opt.zeroGrad();
          const out = x.matmul(w).add(b).relu();
          const loss = out.sub(y).square().mean();
          loss.backward();
          opt.step();
        });
        if (i === 4) at5 = liveOf(ctx);
      }
      const end = liveOf(ctx);
      expect(end.tensors, 'live tensors').toBe(at5.tensors);
      expect(end.bytes, 'bytes').toBe(at5.bytes);
      // All that outlives the loop: the grads and the momentum buffers of w and b (float32).
      const paramBytes = (w.numel() + b.numel()) * 4;
      expect(end.bytes - start.bytes).toBe(2 * paramBytes);
    });
  });
}
