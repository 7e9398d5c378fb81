/**
 * Sizes as PyTorch writes them (API.md, "Additions of 2026-11-26"): separate numbers or one
 * array, then the options; a shape is never silently cut short.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { thrown, values } from './util.js';

export function registerSizeArgsTests(_ctx: ConformanceContext): void {
  describe('sizes as separate numbers', () => {
    it('zeros, ones, rand, randn take the sizes as numbers or as one array', () => {
      for (const [name, make] of [
        ['zeros', torch.zeros],
        ['ones', torch.ones],
        ['rand', torch.rand],
        ['randn', torch.randn],
      ] as const) {
        expect(make(2, 3).shape, `${name}(2, 3)`).toEqual([2, 3]);
        expect(make([2, 3]).shape, `${name}([2, 3])`).toEqual([2, 3]);
        expect(make(4).shape, `${name}(4)`).toEqual([4]);
        expect(make(2, 1, 3, { dtype: 'float32' }).shape, `${name}(2, 1, 3, opts)`).toEqual([2, 1, 3]);
        expect(make([], {}).shape, `${name}([])`).toEqual([]);
      }
    });

    it('the options after separate sizes apply: randn(784, 10, { requiresGrad: true })', () => {
      const w = torch.randn(784, 10, { requiresGrad: true });
      expect(w.shape).toEqual([784, 10]);
      expect(w.requiresGrad).toBe(true);
      expect(torch.zeros(2, 3, { dtype: 'int32' }).dtype).toBe('int32');
    });

    it('separate sizes draw the same random numbers as the array form', async () => {
      torch.manualSeed(7);
      const a = await values(torch.rand(3, 4));
      torch.manualSeed(7);
      const b = await values(torch.rand([3, 4]));
      expect(a).toEqual(b);
    });

    it('a size argument is never cut short: anything else is an error naming it', () => {
      const cases: [string, () => unknown, RegExp][] = [
        ['zeros([2, 3], 4)', () => (torch.zeros as any)([2, 3], 4), /argument 1/],
        ['ones(2, "3")', () => (torch.ones as any)(2, '3'), /string 3 at argument 2/],
        ['randn()', () => (torch.randn as any)(), /no size/],
        ['rand(2, null)', () => (torch.rand as any)(2, null), /null at argument 2/],
        ['tensor([1, 2], 3)', () => (torch.tensor as any)([1, 2], 3), /options object/],
        ['normal(0, 1, [2], 3)', () => (torch.normal as any)(0, 1, [2], 3), /options object/],
      ];
      for (const [what, f, re] of cases) {
        const e = thrown(f);
        expect(e, what).toBeInstanceOf(TypeError);
        expect(e.message, what).toMatch(re);
      }
      expect(thrown(() => torch.zeros(2, -3)).message).toMatch(/\[2, -3\]/);
    });

    it('view, reshape, permute, expand take separate numbers too', () => {
      const x = torch.zeros(2, 3, 4);
      expect(x.view(-1, 4).shape).toEqual([6, 4]);
      expect(x.reshape(2, -1).shape).toEqual([2, 12]);
      expect(x.permute(2, 0, 1).shape).toEqual([4, 2, 3]);
      expect(torch.zeros(1, 3).expand(4, -1).shape).toEqual([4, 3]);
      expect(x.sum([0, 1]).shape).toEqual([4]);
    });
  });
}
