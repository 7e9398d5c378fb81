/**
 * Memory: `tidy` disposes what it does not return, a training loop keeps `torch.memory()`
 * flat, `dispose()` frees bytes, and a disposed tensor throws a clear error.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { rejected, thrown, values } from './util.js';

/** `torch.memory()` for the backend under test (its `backends` entry; zeros before its first tensor). */
function mem(ctx: ConformanceContext): { tensors: number; bytes: number } {
  const m: any = torch.memory();
  const own = m?.backends ? m.backends[ctx.name] : m;
  return { tensors: own?.tensors ?? 0, bytes: own?.bytes ?? 0 };
}

export function registerMemoryTests(ctx: ConformanceContext): void {
  describe('tidy and dispose', () => {
    it('tidy disposes every intermediate and keeps what fn returns', async () => {
      const before = mem(ctx);
      let inner: torch.Tensor | undefined;
      const r = torch.tidy(() => {
        const a = torch.ones([100]);
        inner = a.mul(2);
        return inner.add(1);
      });
      const after = mem(ctx);
      expect(after.tensors - before.tensors, 'live tensors added by tidy').toBe(1);
      expect(after.bytes - before.bytes, 'bytes added by tidy').toBe(400);
      expect(await values(r)).toEqual(new Array(100).fill(3));
      // The intermediate was disposed (reading it rejects; reading allocates nothing).
      expect((await rejected(async () => inner!.data())).message).toMatch(/dispos/i);
      r.dispose();
      expect(mem(ctx).tensors).toBe(before.tensors);
      expect(mem(ctx).bytes).toBe(before.bytes);
    });

    it('an op on a disposed tensor throws and allocates nothing', () => {
      const t = torch.ones([3]);
      t.dispose();
      const before = mem(ctx);
      for (const f of [() => t.add(1), () => t.mul(t), () => t.exp(), () => t.sum()])
        expect(f).toThrow(/dispos/i);
      expect(mem(ctx), 'memory after the failed calls').toEqual(before);
    });

    it('a model built inside tidy keeps its parameters (parameters are never tidied)', async () => {
      const before = mem(ctx).tensors;
      const model = torch.tidy(() => new torch.nn.Linear(3, 2));
      const w = await values(model.weight);
      expect(w.length).toBe(6);
      expect(mem(ctx).tensors - before, 'weight and bias stay alive').toBe(2);
      for (const p of model.parameters()) p.dispose();
    });

    it('tidy keeps tensors returned in an array or object', () => {
      const before = mem(ctx).tensors;
      const r = torch.tidy(() => {
        const a = torch.ones([3]);
        return { s: a.sum(), list: [a.mul(3)] };
      });
      expect(mem(ctx).tensors - before).toBe(2);
      r.s.dispose();
      r.list[0]!.dispose();
    });

    it('dispose frees the bytes; disposing twice is harmless', () => {
      const before = mem(ctx);
      const t = torch.zeros([1000]);
      expect(mem(ctx).bytes - before.bytes).toBe(4000);
      t.dispose();
      t.dispose();
      expect(mem(ctx).bytes).toBe(before.bytes);
      expect(mem(ctx).tensors).toBe(before.tensors);
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

  describe('training loops stay flat', () => {
    it('an SGD loop under tidy: memory after step 50 equals memory after step 5', () => {
      const w = torch.randn([16, 4], { requiresGrad: true });
      const b = torch.zeros([4], { requiresGrad: true });
      const x = torch.randn([32, 16]);
      const y = torch.randn([32, 4]);
      const opt = new torch.optim.SGD([w, b], { lr: 0.01, momentum: 0.9 });
      const start = mem(ctx);
      let at5 = start;
      for (let i = 0; i < 50; i++) {
        torch.tidy(() => {
          opt.zeroGrad();
          const out = x.matmul(w).add(b).relu();
          const loss = out.sub(y).square().mean();
          loss.backward();
          opt.step();
        });
        if (i === 4) at5 = mem(ctx);
      }
      const end = mem(ctx);
      expect(end.tensors, 'live tensors').toBe(at5.tensors);
      expect(end.bytes, 'bytes').toBe(at5.bytes);
      // All that outlives the loop: the grads and the momentum buffers of w and b (float32).
      const paramBytes = (w.numel() + b.numel()) * 4;
      expect(end.bytes - start.bytes).toBe(2 * paramBytes);
    });
  });
}
