/**
 * The base class, through Adam and SGD: state-dict hooks, named parameters, parameters
 * from a generator or a Set, and both meanings of `zeroGrad`.
 */

import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { thrown, values } from '../util.js';
import { makeParams, setGrads } from './params.js';

export function registerBaseClassTests(): void {
  describe('base class', () => {
    it('state-dict and load-state-dict hooks run, may replace the dict, and remove', () => {
      const ps = makeParams([[3]], 'float32');
      const opt = new torch.optim.Adam(ps, { lr: 0.1 });
      const log: string[] = [];
      const hs = [
        opt.registerStateDictPreHook(() => void log.push('sd pre')),
        opt.registerStateDictPostHook((_o, sd) => {
          log.push('sd post');
          return { ...sd, paramGroups: sd.paramGroups.map((g) => ({ ...g, tag: 'hooked' })) };
        }),
        opt.registerLoadStateDictPreHook((_o, sd) => {
          log.push('load pre');
          return { ...sd, paramGroups: sd.paramGroups.map((g) => ({ ...g, lr: 0.5 })) };
        }),
        opt.registerLoadStateDictPostHook(() => void log.push('load post')),
      ];
      const sd = opt.stateDict();
      expect(sd.paramGroups[0]!.tag).toBe('hooked');
      opt.loadStateDict(sd);
      expect(opt.paramGroups[0]!.lr).toBe(0.5);
      expect(log).toEqual(['sd pre', 'sd post', 'load pre', 'load post']);
      for (const h of hs) h.remove();
      log.length = 0;
      opt.loadStateDict(opt.stateDict());
      expect(log).toEqual([]);
    });

    it('named parameters: names are saved and verified on load', () => {
      const [a, b] = makeParams([[2], [3]], 'float32');
      const opt = new torch.optim.SGD(
        [
          ['fc.weight', a!],
          ['fc.bias', b!],
        ],
        { lr: 0.1 },
      );
      const sd = opt.stateDict();
      expect(sd.paramGroups[0]!.paramNames).toEqual(['fc.weight', 'fc.bias']);
      const opt2 = new torch.optim.SGD(
        [
          ['fc.bias', b!],
          ['fc.weight', a!],
        ],
        { lr: 0.1 },
      );
      expect(thrown(() => opt2.loadStateDict(sd)).message).toMatch(/named 'fc.weight'.*'fc.bias'/);
      const opt3 = new torch.optim.SGD(new Set([a!, b!]), { lr: 0.2 });
      opt3.loadStateDict(sd);
      expect(opt3.paramGroups[0]!.lr).toBe(0.1);
    });

    it('params from a generator and a Set; zeroGrad sets to null by default, or zeroes', async () => {
      const [a, b] = makeParams([[2], [3]], 'float32');
      function* gen() {
        yield a!;
        yield b!;
      }
      const opt = new torch.optim.SGD(gen(), { lr: 0.1 });
      expect(opt.paramGroups[0]!.params).toEqual([a, b]);
      setGrads([a!, b!], 0);
      opt.zeroGrad(false);
      expect(await values(a!.grad!)).toEqual([0, 0]);
      opt.zeroGrad();
      expect(a!.grad).toBeNull();
      expect(new torch.optim.Adam(new Set([a!, b!])).paramGroups[0]!.params.length).toBe(2);
    });
  });
}
