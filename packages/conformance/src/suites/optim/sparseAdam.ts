/**
 * SparseAdam against PyTorch with row-sparse gradients (densified), with nn.Embedding's
 * sparse gradients, and its refusals.
 */

import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../../context.js';
import { loadFixture } from '../../fixtures.js';
import { expectDTypeUnsupported, expectValues, tensorOf, thrown, tol, values } from '../util.js';
import { optimizerInfo } from './info.js';
import { gradValue, makeParams } from './params.js';
import type { OptimFixture } from './trajectories.js';

/** Rows of a param present in step t's sparse gradient (see tooling/golden/optim.py). */
const sparseRows = (t: number, rows: number) =>
  Array.from({ length: rows }, (_, r) => r).filter((r) => rows === 1 || (r * 5 + t * 3) % 4 !== 0);

export function registerSparseAdamTests(ctx: ConformanceContext): void {
  const info = optimizerInfo('sparseAdam');
  const fx = loadFixture<OptimFixture>(`optim-${info.fixture}`);
  describe('trajectories against PyTorch (row-sparse gradients, densified)', () => {
    for (const c of fx.cases) {
      it(`config ${c.config} ${JSON.stringify(fx.configs[c.config])} ${c.dtype}`, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const ps = makeParams(c.shapes, c.dtype);
        const opt = info.make(ps, fx.configs[c.config]);
        for (let t = 0; t < fx.meta.steps; t++) {
          ps.forEach((p, k) => {
            p.grad?.dispose();
            if (t === fx.meta.nullGrad.step && k === fx.meta.nullGrad.param) {
              p.grad = null;
              return;
            }
            const [rows, cols] = p.shape as [number, number];
            const present = new Set(sparseRows(t, rows));
            const data = Array.from({ length: rows * cols }, (_, i) =>
              present.has(Math.floor(i / cols)) ? gradValue(t, k, i) : 0,
            );
            p.grad = tensorOf(data, p.shape, c.dtype);
          });
          opt.step();
        }
        const tl = tol(c.dtype, 'loose');
        for (let k = 0; k < ps.length; k++) await expectValues(ps[k]!, c.final[k]!, tl, `param ${k}`);
        for (let k = 0; k < ps.length; k++) {
          const st = opt.state.get(ps[k]!)!;
          for (const [key, v] of Object.entries(c.state![k]!)) {
            if (Array.isArray(v)) await expectValues(st[key], v, tl, `state ${k}.${key}`);
            else expect(st[key], `state ${k}.${key}`).toBe(v);
          }
        }
      });
    }
  });

  it('with nn.Embedding({ sparse: true }): only the looked-up rows move', async () => {
    torch.manualSeed(0);
    const emb = new torch.nn.Embedding(6, 3, { sparse: true });
    const before = await values(emb.weight);
    const opt = new torch.optim.SparseAdam(emb.parameters(), { lr: 0.1 });
    const idx = torch.tensor([4, 1, 4], { dtype: 'int32' });
    emb.forward(idx).square().sum().backward();
    opt.step();
    const after = await values(emb.weight);
    for (let r = 0; r < 6; r++) {
      const moved = [0, 1, 2].some((c) => after[r * 3 + c] !== before[r * 3 + c]);
      expect(moved, `row ${r}`).toBe(r === 1 || r === 4);
    }
  });

  it('rejects a non-positive lr and eps as PyTorch', () => {
    const p = [torch.zeros([2, 2], { requiresGrad: true })];
    expect(thrown(() => new torch.optim.SparseAdam(p, { lr: 0 })).message).toMatch(
      /Invalid learning rate: 0/,
    );
    expect(thrown(() => new torch.optim.SparseAdam(p, { eps: 0 })).message).toMatch(
      /Invalid epsilon value: 0/,
    );
  });
}
