import { defineFused, Ex } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../src/index.js';
import { cpu, expectSame, gpu, type Pair, pair, randomValues, rng } from './helpers.js';

// An Adam-like update that also exercises every op of the fused language.
const program = defineFused(
  'testAdamish',
  ['param', 'grad', 'm', 'v'],
  ['lr', 'beta1', 'beta2', 'bc1', 'bc2', 'eps', 'wd'],
  (f) => {
    const { param, grad, m, v } = f.buf;
    const s = f.s;
    const g = f.let(grad.add(param.mul(s.wd)));
    const m1 = f.let(m.lerp(g, s.beta1.neg().add(1)));
    f.store('m', m1);
    const v1 = f.let(v.mul(s.beta2).add(g.square().mul(s.beta2.neg().add(1))));
    f.store('v', v1);
    const denom = f.let(v1.div(s.bc2).sqrt().add(s.eps));
    const upd = f.let(m1.div(s.bc1).div(denom).mul(s.lr));
    const clipped = f.let(upd.max(-0.05).min(0.05));
    const sgn = f.let(Ex.select(g.gt(0), 1, Ex.select(g.lt(0), -1, 0)));
    const same = f.let(sgn.eq(g.sign()));
    f.store('param', f.buf.param.sub(Ex.select(same, clipped, upd)).add(g.abs().mul(0)));
  },
);

const scalars = [1e-3, 0.9, 0.999, 1 - 0.9 ** 3, 1 - 0.999 ** 3, 1e-8, 0.01];

describe('fused', () => {
  it('runs a whole group (more tensors than one dispatch binds) like cpu-js, over 10 steps', async () => {
    const sizes = [1, 7, 33, 1000, 5, 2, 64, 3, 300, 11];
    const r = rng(42);
    const tensors: Pair[][] = [];
    for (const n of sizes) {
      const bufs: Pair[] = [];
      for (let b = 0; b < 4; b++) {
        const vals = randomValues(n, r, b === 3 ? 0 : -1, 1);
        bufs.push(await pair('float32', vals));
      }
      tensors.push(bufs);
    }
    const g = await gpu();
    for (let step = 0; step < 10; step++) {
      g.fused!(
        program,
        tensors.map((t) => ({ buffers: t.map((p) => p.g), scalars })),
      );
      cpu.fused!(
        program,
        tensors.map((t) => ({ buffers: t.map((p) => p.c), scalars })),
      );
    }
    for (const t of tensors) for (const p of t) await expectSame(p, 'fused state', 1e-5, 1e-6);
  });

  it('a storage given twice (aliasing) is bound once and still updated', async () => {
    const sgd = defineFused('testSgd', ['p', 'g'], ['lr'], (f) =>
      f.store('p', f.buf.p.sub(f.buf.g.mul(f.s.lr))),
    );
    const p = await pair('float32', [1, 2, 3]);
    (await gpu()).fused!(sgd, [{ buffers: [p.g, p.g], scalars: [0.5] }]);
    cpu.fused!(sgd, [{ buffers: [p.c, p.c], scalars: [0.5] }]);
    await expectSame(p, 'aliased');
  });

  it('10^4 enqueued steps without waiting: no crash, no new GPU buffers, flat memory', async () => {
    const g = (await gpu()) as WebGPUBackend;
    const n = 4096;
    const bufs: Pair[] = [];
    for (let b = 0; b < 4; b++) bufs.push(await pair('float32', randomValues(n, rng(b), 0, 1)));
    const args = [{ buffers: bufs.map((p) => p.g), scalars }];
    // A training step also allocates and frees temporaries: after the first step they must
    // all come from the pool.
    const step = () => {
      const tmp = g.alloc('float32', n);
      g.binaryScalar('mul', bufs[1]!.g, 0.5, tmp, false);
      g.free(tmp);
      g.fused(program, args);
    };
    step();
    await g.sync();
    const created = g.buffersCreated;
    const bytes = g.memoryBytes();
    for (let i = 0; i < 10_000; i++) step();
    await g.sync();
    expect(g.buffersCreated).toBe(created);
    // Tensors of earlier test files may be collected meanwhile: memory may only go down.
    expect(g.memoryBytes()).toBeLessThanOrEqual(bytes);
    const out = await g.read(bufs[0]!.g);
    expect(Number.isFinite(out[0]!)).toBe(true);
  });
});
