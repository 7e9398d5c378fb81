/**
 * `nn.utils.clipGradNorm_` and `clipGradValue_` against PyTorch (fixtures/clip_grad.json,
 * tooling/golden/optim_clip.py): the returned total norm and the clipped gradients for
 * norm types 2, 1, inf, 3 and 0.5, float32 and float64.
 */

import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectValues, tensorOf, thrown, tol } from './util.js';

interface ClipCase {
  kind: 'norm' | 'value';
  dtype: 'float32' | 'float64';
  normType?: number | 'inf';
  maxNorm?: number;
  clipValue?: number;
  scale: number;
  total?: FixtureNumber;
  grads: FixtureNumber[][];
}

const gradValue = (k: number, i: number) => ((i * 53 + k * 17 + 3) % 97) / 48 - 1;

export function registerOptimClipTests(ctx: ConformanceContext): void {
  const fx = loadFixture<{ meta: { sizes: number[] }; cases: ClipCase[] }>('clip_grad');
  describe('against PyTorch', () => {
    for (const c of fx.cases) {
      const label =
        c.kind === 'norm'
          ? `clipGradNorm_ ${c.dtype} normType ${c.normType} maxNorm ${c.maxNorm} (grads x${c.scale})`
          : `clipGradValue_ ${c.dtype} ${c.clipValue}`;
      it(label, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const ps = fx.meta.sizes.map((n, k) => {
          const p = torch.zeros([n], { dtype: c.dtype, requiresGrad: true });
          p.grad = tensorOf(
            Array.from({ length: n }, (_, i) => gradValue(k, i) * c.scale),
            [n],
            c.dtype,
          );
          return p;
        });
        const t = tol(c.dtype, 'loose');
        if (c.kind === 'norm') {
          const normType = c.normType === 'inf' ? Number.POSITIVE_INFINITY : c.normType!;
          const total = torch.nn.utils.clipGradNorm_(ps, c.maxNorm!, { normType });
          expect(total.dim()).toBe(0);
          expectClose(Array.from(await total.data()), [c.total!], t, 'total norm');
        } else {
          torch.nn.utils.clipGradValue_(new Set(ps), c.clipValue!);
        }
        for (let k = 0; k < ps.length; k++) await expectValues(ps[k]!.grad!, c.grads[k]!, t, `grad ${k}`);
      });
    }
  });

  it('no gradients: total 0; errorIfNonfinite names the problem', async () => {
    const p = torch.zeros([3], { requiresGrad: true });
    expect(Array.from(await torch.nn.utils.clipGradNorm_([p], 1).data())).toEqual([0]);
    if (!ctx.syncReads) return;
    p.grad = torch.tensor([1, Number.NaN, 2]);
    expect(thrown(() => torch.nn.utils.clipGradNorm_(p, 1, { errorIfNonfinite: true })).message).toMatch(
      /non-finite/,
    );
  });
}
