/**
 * An optimizer against PyTorch (fixtures/optim-<name>.json, tooling/golden/optim.py): each
 * configuration of flags, parameters of sizes 1, 7, 33 (and 1000) in float32 and float64,
 * 10 steps with a missing gradient at step 3; final parameters and final state.
 */

import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber } from '../../assert.js';
import type { ConformanceContext } from '../../context.js';
import { loadFixture } from '../../fixtures.js';
import { expectDTypeUnsupported, expectValues, tol } from '../util.js';
import type { OptimizerInfo } from './info.js';
import { makeParams, setGrads } from './params.js';

export interface OptimCase {
  readonly config: number;
  readonly dtype: 'float32' | 'float64';
  readonly shapes: number[][];
  readonly final: FixtureNumber[][];
  readonly state?: Record<string, FixtureNumber | FixtureNumber[]>[];
}

export interface OptimFixture {
  readonly meta: { steps: number; nullGrad: { step: number; param: number } };
  readonly defaults: Record<string, unknown>;
  readonly configs: Record<string, unknown>[];
  readonly cases: OptimCase[];
}

export function registerTrajectoryTests(ctx: ConformanceContext, info: OptimizerInfo): void {
  const fx = loadFixture<OptimFixture>(`optim-${info.fixture}`);
  describe('trajectories against PyTorch', () => {
    for (const c of fx.cases) {
      const label = `config ${c.config} ${JSON.stringify(fx.configs[c.config])} ${c.dtype} ${JSON.stringify(c.shapes)}`;
      it(label, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        const ps = makeParams(c.shapes, c.dtype);
        const opt = info.make(ps, fx.configs[c.config]);
        for (let t = 0; t < fx.meta.steps; t++) {
          setGrads(ps, t, fx.meta.nullGrad.step, fx.meta.nullGrad.param);
          opt.step();
        }
        const tl = tol(c.dtype, 'loose');
        for (let k = 0; k < ps.length; k++) await expectValues(ps[k]!, c.final[k]!, tl, `param ${k}`);
        if (!c.state) return;
        for (let k = 0; k < ps.length; k++) {
          const st = opt.state.get(ps[k]!) ?? {};
          const want = c.state[k]!;
          const got = Object.keys(st).filter((key) => st[key] !== null && st[key] !== undefined);
          expect(got.sort(), `state keys of param ${k}`).toEqual(Object.keys(want).sort());
          for (const [key, v] of Object.entries(want)) {
            if (Array.isArray(v)) await expectValues(st[key], v, tl, `state ${k}.${key}`);
            else expectClose([st[key]], [v], tol('float64', 'loose'), `state ${k}.${key}`);
          }
        }
      });
    }
  });
}
