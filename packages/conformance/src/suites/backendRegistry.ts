/**
 * The backend registry: `listBackends`, `getBackend`, `setBackend`, `registerBackend`,
 * per-call `{ backend }`, `t.to(backend)`, and mixing backends in one op.
 *
 * A second backend for the mixing tests: a Proxy of the backend under test with another
 * name, registered with `torch.registerBackend` (the API allows any Backend object). It
 * forwards every kernel to the real backend (methods bound to it, so private fields work),
 * so it needs no second device; it stays registered for the rest of the run, since the
 * API has no unregister.
 */

import type { Backend } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { thrown, values } from './util.js';

function renamed(backend: Backend, name: string): Backend {
  return new Proxy(backend, {
    get(target, key) {
      if (key === 'name') return name;
      const v = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

export function registerBackendRegistryTests(ctx: ConformanceContext): void {
  const secondName = `${ctx.name}-conformance-second`;
  let second: Backend | undefined;
  const other = (): Backend => {
    if (!second) {
      second = renamed(ctx.backend(), secondName);
      torch.registerBackend(second);
    }
    return second;
  };

  describe('registry', () => {
    it('listBackends includes the backend under test; getBackend is it', () => {
      expect(torch.listBackends()).toContain(ctx.name);
      expect(torch.getBackend()).toBe(ctx.backend());
      expect(torch.tensor([1]).backend).toBe(ctx.backend());
    });

    it('setBackend by name and by object; an unknown name is an error naming it', () => {
      torch.setBackend(ctx.name);
      expect(torch.getBackend().name).toBe(ctx.name);
      torch.setBackend(ctx.backend());
      expect(torch.getBackend()).toBe(ctx.backend());
      const e = thrown(() => torch.setBackend('no-such-backend'));
      expect(e.message).toContain('no-such-backend');
      expect(torch.getBackend()).toBe(ctx.backend());
    });

    it('registerBackend adds a backend under its name; setBackend switches the default', () => {
      const b = other();
      expect(torch.listBackends()).toContain(secondName);
      torch.setBackend(secondName);
      expect(torch.zeros([2]).backend.name).toBe(secondName);
      torch.setBackend(ctx.backend());
      expect(torch.zeros([2]).backend.name).toBe(ctx.name);
      expect(b.name).toBe(secondName);
    });

    it('per-call { backend } and t.to(backend) move values', async () => {
      const b = other();
      const t = torch.tensor([1.5, -2, 3], { backend: b });
      expect(t.backend.name).toBe(secondName);
      const move = async (x: torch.Tensor, target: string | Backend): Promise<torch.Tensor> => {
        if (ctx.syncReads) return x.to(target);
        // Without synchronous reads a move needs a read-back: `to()` must say so and name
        // the asynchronous way, which then does the move.
        const e = thrown(() => x.to(target));
        expect(e.message).toMatch(/await|async/i);
        // The method form (the error's advice) or the function form `torch.toAsync(t, b)`.
        if (typeof (x as any).toAsync === 'function') return await (x as any).toAsync(target);
        const fn = (torch as any).toAsync;
        expect(typeof fn, 't.toAsync(backend) or torch.toAsync(t, backend)').toBe('function');
        return await fn(x, target);
      };
      const u = await move(t, ctx.name);
      expect(u.backend.name).toBe(ctx.name);
      expect(await values(u)).toEqual([1.5, -2, 3]);
      const v = await move(u, b);
      expect(v.backend.name).toBe(secondName);
      expect(await values(v)).toEqual([1.5, -2, 3]);
    });

    it('mixing backends in one op throws an error naming both backends', () => {
      const a = torch.tensor([1, 2, 3]);
      const b = torch.tensor([1, 2, 3], { backend: other() });
      for (const f of [() => a.add(b), () => b.mul(a), () => torch.cat([a, b], 0), () => a.matmul(b)]) {
        const e = thrown(f);
        expect(e.message).toContain(ctx.name);
        expect(e.message).toContain(secondName);
      }
    });
  });
}
