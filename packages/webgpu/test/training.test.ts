import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { gpu } from './helpers.js';

describe('training loops', () => {
  it('an Adam step over a param group is one dispatch per chunk of tensors, with no new GPU buffer', async () => {
    const b = (await gpu()) as WebGPUBackend;
    torch.setBackend(b);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(3, 16),
      new torch.nn.ReLU(),
      new torch.nn.Linear(16, 8),
      new torch.nn.ReLU(),
      new torch.nn.Linear(8, 1),
    );
    const params = [...model.parameters()];
    for (const p of params) p.grad = torch.onesLike(p);
    const opt = new torch.optim.Adam(params, { lr: 1e-3 });
    opt.step(); // creates the state
    await b.sync();
    const rt = b.rt as unknown as { dispatch: (...a: unknown[]) => void };
    const orig = rt.dispatch;
    let dispatches = 0;
    rt.dispatch = function (this: unknown, ...a: unknown[]) {
      dispatches++;
      return orig.apply(this, a);
    };
    const created = b.buffersCreated;
    try {
      opt.step();
    } finally {
      rt.dispatch = orig;
    }
    // Adam binds 4 buffers per tensor: the 6 tensors fit in ceil(6 / floor(limit / 4)) dispatches.
    const perDispatch = Math.min(16, Math.floor(b.device.limits.maxStorageBuffersPerShaderStage / 4));
    expect(dispatches).toBe(Math.ceil(params.length / perDispatch));
    expect(b.buffersCreated).toBe(created);
  });

  it('10^4 training steps (MLP, Adam, tidy): flat torch.memory() and no new GPU buffers', async () => {
    const b = (await gpu()) as WebGPUBackend;
    torch.setBackend(b);
    torch.manualSeed(0);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(2, 8),
      new torch.nn.Tanh(),
      new torch.nn.Linear(8, 1),
    );
    const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-2 });
    const x = torch.randn([32, 2]);
    const y = x.sum(1, true);
    const lossFn = new torch.nn.MSELoss();
    const step = () =>
      torch.tidy(() => {
        const loss = lossFn.forward(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
        return loss;
      });
    let first = Number.NaN;
    for (let i = 0; i < 10; i++) {
      const l = step();
      if (i === 0) first = (await l.data())[0]!;
      l.dispose();
    }
    await b.sync();
    // Tensors of earlier tests may still be collected (FinalizationRegistry) during the
    // loop, so memory may only go down; buffers, pooled, are never created again.
    const mem = torch.memory();
    const created = b.buffersCreated;
    let last = Number.NaN;
    for (let i = 0; i < 10_000; i++) {
      const l = step();
      // A read now and then bounds the GPU queue (see the README).
      if (i % 500 === 499) last = (await l.data())[0]!;
      l.dispose();
    }
    await b.sync();
    const end = torch.memory();
    expect(end.tensors).toBeLessThanOrEqual(mem.tensors);
    expect(end.bytes).toBeLessThanOrEqual(mem.bytes);
    expect(b.buffersCreated).toBe(created);
    expect(last).toBeLessThan(first / 10);
  }, 300_000);
});
