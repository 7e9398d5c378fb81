/**
 * The seed programs. seed 000 (API.md's last section): logistic regression in float64 with
 * SGD lr 0.01 for 1000 steps, loss 23.8272… at step 0, 0.4908… at step 999, final w and b
 * within relative 1e-9 of PyTorch. seed 003: a hand-written linear-regression loop without
 * autograd, lr 1e-4 (converges) and lr 1e-2 (diverges) — see tooling/golden/README.md for
 * how that program was reconstructed.
 */

import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber, fromFixture } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { type Tolerance, tolerance } from '../tolerance.js';
import { expectDTypeUnsupported, nest, values } from './util.js';

interface Seed000 {
  readonly x: number[];
  readonly xShape: [number, number];
  readonly y: number[];
  readonly w0: number[];
  readonly b0: number[];
  readonly lr: number;
  readonly steps: number;
  readonly losses: number[];
  readonly w: number[];
  readonly b: number[];
}

interface Seed003Run {
  readonly id: string;
  readonly dtype: DType;
  readonly lr: number;
  readonly epochs: number;
  readonly inputScale?: number;
  readonly losses: FixtureNumber[];
  readonly w: FixtureNumber[];
  readonly b: FixtureNumber[];
}

export function registerSeedsTests(ctx: ConformanceContext): void {
  describe('seed 000: logistic regression, float64, SGD lr 0.01, 1000 steps', () => {
    const fx = loadFixture<Seed000>('seed000');
    it("PyTorch's losses and final w, b (relative error <= 1e-9)", async () => {
      if (!ctx.supports('float64')) return expectDTypeUnsupported(ctx, 'float64');
      const x = torch.tensor(nest(fx.x, fx.xShape), { dtype: 'float64' }).T;
      const y = torch.tensor(fx.y, { dtype: 'int32' });
      const w = torch.tensor(fx.w0, { dtype: 'float64', requiresGrad: true });
      const b = torch.tensor(fx.b0, { dtype: 'float64', requiresGrad: true });
      const optimizer = new torch.optim.SGD(new Set([w, b]), { lr: fx.lr });
      const losses: Tensor[] = [];
      for (let i = 0; i < fx.steps; i++) {
        const z = x.matmul(w).add(b);
        const L = torch.log(torch.exp(z).add(1)).sub(y.mul(z)).sum();
        // Kept: held past the loop (the release at loop boundaries would free it, core README "Memory").
        losses.push(L.detach().keep());
        optimizer.zeroGrad();
        L.backward();
        optimizer.step();
      }
      const got = await Promise.all(losses.map(async (l) => (await values(l))[0]!));
      const seedTol = tolerance('float64', 'seed');
      // The headline numbers first, so a failure names them.
      expectClose([got[0]!], [fx.losses[0]!], seedTol, 'loss at step 0 (23.8272…)');
      expectClose([got[999]!], [fx.losses[999]!], seedTol, 'loss at step 999 (0.4908…)');
      expectClose(got, fx.losses, seedTol, 'loss trajectory');
      expectClose(await values(w), fx.w, seedTol, 'w ≈ [1.30352664, 0.3015996]');
      expectClose(await values(b), fx.b, seedTol, 'b ≈ −4.81774284');
      if (ctx.syncReads) {
        expectClose(w.tolist() as number[], fx.w, seedTol, 'w.tolist()');
        expectClose([b.item()], fx.b, seedTol, 'b.item()');
      }
    });
  });

  describe('seed 003: hand-written linear regression, no autograd', () => {
    const fx = loadFixture<{ t_c: number[]; t_u: number[]; runs: Seed003Run[] }>('seed003');
    for (const run of fx.runs) {
      it(run.id, async () => {
        if (!ctx.supports(run.dtype)) return expectDTypeUnsupported(ctx, run.dtype);
        const dtype = run.dtype;
        const tC = torch.tensor(fx.t_c, { dtype });
        let tU = torch.tensor(fx.t_u, { dtype });
        if (run.inputScale !== undefined) tU = tU.mul(run.inputScale);
        let w = torch.ones([], { dtype });
        let b = torch.zeros([], { dtype });
        const n = fx.t_u.length;
        const losses: Tensor[] = [];
        const ws: Tensor[] = [];
        const bs: Tensor[] = [];
        for (let epoch = 0; epoch < run.epochs; epoch++) {
          const tP = w.mul(tU).add(b);
          const loss = tP.sub(tC).pow(2).mean();
          const dLossDtP = tP.sub(tC).mul(2).div(n);
          const gradW = dLossDtP.mul(tU).sum();
          const gradB = dLossDtP.sum();
          w = w.sub(gradW.mul(run.lr));
          b = b.sub(gradB.mul(run.lr));
          losses.push(loss);
          ws.push(w);
          bs.push(b);
        }
        const read = (ts: Tensor[]) => Promise.all(ts.map(async (t) => (await values(t))[0]!));
        const t: Tolerance = tolerance(dtype, 'loose');
        const got = await read(losses);
        expectClose([got[0]!], [run.losses[0]!], t, 'loss at epoch 0 (1763.88…)');
        expectClose([got[1]!], [run.losses[1]!], t, 'loss at epoch 1');
        expectClose(got, run.losses, t, 'losses');
        expectClose(await read(ws), run.w, t, 'w');
        expectClose(await read(bs), run.b, t, 'b');
        if (run.lr === 1e-2 && run.inputScale === undefined) {
          // The diverging run really diverges (the fixture ends in inf or nan).
          const last = fromFixture(run.losses[run.losses.length - 1]!);
          expect(Number.isFinite(last)).toBe(false);
        }
      });
    }
  });
}
