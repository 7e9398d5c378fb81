/** TensorDataset and DataLoader: batching, dropLast, seeded shuffling, clear errors. */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { values } from './util.js';

export function registerNnDataTests(_ctx: ConformanceContext): void {
  describe('TensorDataset and DataLoader', () => {
    const n = 10;
    // Built inside each test: the backend exists only once the suite runs.
    const data = () => [torch.arange(0, n * 2).reshape([n, 2]), torch.arange(0, n)] as const;

    it('TensorDataset items and the first-dimension check', async () => {
      const [x, y] = data();
      const ds = new torch.TensorDataset(x, y);
      expect(ds.length).toBe(n);
      const [xi, yi] = ds.get(3);
      expect([...xi!.shape]).toEqual([2]);
      expect(await values(xi!)).toEqual([6, 7]);
      expect(await values(yi!)).toEqual([3]);
      expect(() => new torch.TensorDataset(x, torch.zeros([9]))).toThrow(/\[10, 2\][\s\S]*\[9\]/);
      expect(() => ds.get(10)).toThrow(/10/);
    });

    it('a batch of data that requires grad backpropagates after the loop (its index is kept)', async () => {
      const x = torch
        .arange(0, n * 2)
        .reshape([n, 2])
        .float()
        .requiresGrad_();
      const loader = new torch.DataLoader(new torch.TensorDataset(x), { batchSize: 3 });
      let last: torch.Tensor | undefined;
      for (const [xb] of loader) last = xb;
      last!.sum().backward();
      const g = await values(x.grad!);
      expect(g).toEqual([...Array(18).fill(0), 1, 1]);
    });

    it('batches in order, with and without dropLast', async () => {
      const [x, y] = data();
      const ds = new torch.TensorDataset(x, y);
      const keep = new torch.DataLoader(ds, { batchSize: 4 });
      expect(keep.length).toBe(3);
      const sizes: number[] = [];
      const seen: number[] = [];
      for (const [xb, yb] of keep) {
        sizes.push(xb!.shape[0]!);
        seen.push(...(await values(yb!)));
      }
      expect(sizes).toEqual([4, 4, 2]);
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const drop = new torch.DataLoader(ds, { batchSize: 4, dropLast: true });
      expect(drop.length).toBe(2);
      expect([...drop].length).toBe(2);
    });

    it('shuffle with a seed: a permutation, repeatable, new each epoch', async () => {
      const [x, y] = data();
      const ds = new torch.TensorDataset(x, y);
      const epoch = async (loader: torch.DataLoader) => {
        const order: number[] = [];
        for (const [xb, yb] of loader) {
          const xs = await values(xb!);
          const ys = await values(yb!);
          for (const [i, v] of ys.entries()) expect(xs.slice(2 * i, 2 * i + 2)).toEqual([2 * v, 2 * v + 1]);
          order.push(...ys);
        }
        return order;
      };
      const a = new torch.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 7 });
      const b = new torch.DataLoader(ds, { batchSize: 3, shuffle: true, seed: 7 });
      const a1 = await epoch(a);
      expect([...a1].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await epoch(b)).toEqual(a1);
      const a2 = await epoch(a);
      expect(a2).not.toEqual(a1);
      expect(await epoch(b)).toEqual(a2);
    });

    it('shuffle without a seed follows torch.manualSeed', async () => {
      const [x, y] = data();
      const ds = new torch.TensorDataset(x, y);
      const orderOf = async () => {
        const out: number[] = [];
        for (const [, yb] of new torch.DataLoader(ds, { batchSize: 4, shuffle: true }))
          out.push(...(await values(yb!)));
        return out;
      };
      torch.manualSeed(11);
      const a = await orderOf();
      torch.manualSeed(11);
      expect(await orderOf()).toEqual(a);
      expect([...a].sort((p, q) => p - q)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    });

    it('bad options are clear errors', () => {
      const [x, y] = data();
      const ds = new torch.TensorDataset(x, y);
      expect(() => new torch.DataLoader(ds, { batchSize: 0 })).toThrow(/batch_size/);
      expect(() => new torch.DataLoader({} as never)).toThrow(/dataset/);
    });
  });
}
