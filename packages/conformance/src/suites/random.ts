/**
 * The default generator: after `manualSeed(s)`, `rand` (float32 and float64), `randint`
 * and `randperm` give PyTorch's CPU values (same MT19937 stream, same mappings).
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { tolerance } from '../tolerance.js';

interface RandomCase {
  seed: number;
  call: [string, ...unknown[]];
  out: number[];
}

export function registerRandomTests(ctx: ConformanceContext): void {
  const { cases } = loadFixture<{ cases: RandomCase[] }>('random');
  describe('manualSeed', () => {
    for (const c of cases) {
      const [fn, ...args] = c.call;
      const opts = args[args.length - 1] as { dtype?: torch.DType };
      it(`${fn}(${JSON.stringify(args.slice(0, -1))}, ${opts.dtype ?? ''}) after manualSeed(${c.seed})`, async () => {
        if (opts.dtype && !ctx.supports(opts.dtype)) {
          torch.manualSeed(c.seed);
          expect(() => (torch as any)[fn](...args)).toThrow(new RegExp(opts.dtype));
          return;
        }
        torch.manualSeed(c.seed);
        const t: torch.Tensor = (torch as any)[fn](...args);
        expectClose(await t.data(), c.out, tolerance(t.dtype), fn);
      });
    }
  });
}
