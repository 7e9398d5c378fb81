/**
 * The real Fashion-MNIST files, where Debian's `dataset-fashion-mnist` put them
 * (`apt-get install dataset-fashion-mnist`: /usr/share/datasets/fashion-mnist/*-ubyte.gz).
 * Skipped, with the reason, where the package is not installed. STEPWISE_FASHION_MNIST_ROOT
 * points the tests at another folder holding the four files.
 */
import { existsSync } from 'node:fs';
import * as torch from '@stepwise/core';
import '@stepwise/cpu-js/register';
import { describe, expect, test } from 'vitest';
import { datasets, transforms } from '../src/index.js';

const ROOT = process.env['STEPWISE_FASHION_MNIST_ROOT'] ?? '/usr/share/datasets/fashion-mnist';
const present = ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte'].every(
  (f) => existsSync(`${ROOT}/${f}.gz`) || existsSync(`${ROOT}/${f}`),
);
const reason = `the Fashion-MNIST files are not in ${ROOT}: \`apt-get install dataset-fashion-mnist\` to run these tests`;

describe(`Fashion-MNIST from ${ROOT}`, () => {
  test('both splits: sizes, first labels, class balance, pixel statistics', (ctx) => {
    if (!present) ctx.skip(reason);
    const train = new datasets.FashionMNIST({ root: ROOT, train: true });
    const test_ = new datasets.FashionMNIST({ root: ROOT, train: false });
    expect([train.length, train.rows, train.cols]).toEqual([60000, 28, 28]);
    expect([test_.length, test_.rows, test_.cols]).toEqual([10000, 28, 28]);
    expect(Array.from(train.targets.subarray(0, 10))).toEqual([9, 0, 0, 3, 0, 2, 7, 2, 5, 5]);
    expect(Array.from(test_.targets.subarray(0, 10))).toEqual([9, 2, 1, 1, 6, 1, 4, 6, 5, 7]);
    for (const [ds, n] of [
      [train, 6000],
      [test_, 1000],
    ] as const) {
      const counts = new Array(10).fill(0);
      for (const y of ds.targets) counts[y]++;
      expect(counts).toEqual(new Array(10).fill(n));
    }
    // The sums of the first image of each split (numpy on the same files), and the mean and
    // std used to normalise Fashion-MNIST (0.2860, 0.3530).
    expect(train.get(0)[0].data.reduce((a, b) => a + b, 0)).toBe(76247);
    expect(test_.get(0)[0].data.reduce((a, b) => a + b, 0)).toBe(33456);
    let sum = 0;
    let sq = 0;
    for (const v of train.data) {
      sum += v;
      sq += v * v;
    }
    const mean = sum / train.data.length / 255;
    const std = Math.sqrt(sq / train.data.length / 255 ** 2 - mean ** 2);
    expect(mean).toBeCloseTo(0.28604, 4);
    expect(std).toBeCloseTo(0.35302, 4);
    expect(train.classes[train.get(0)[1]]).toBe('Ankle boot');
  });

  test('a few SGD steps of a linear model on DataLoader batches lower the loss', (ctx) => {
    if (!present) ctx.skip(reason);
    torch.manualSeed(0);
    const ds = new datasets.FashionMNIST({
      root: ROOT,
      train: true,
      transform: new transforms.Compose([
        new transforms.RandomCrop(28, { padding: 2 }),
        new transforms.RandomHorizontalFlip(),
        new transforms.ToTensor(),
        new transforms.Normalize([0.286], [0.353]),
      ]),
    });
    const loader = new torch.DataLoader(ds, { batchSize: 64, shuffle: true, seed: 0 });
    const model = new torch.nn.Sequential(new torch.nn.Flatten(), new torch.nn.Linear(28 * 28, 10));
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.05 });
    const lossFn = new torch.nn.CrossEntropyLoss();
    const losses: number[] = [];
    let step = 0;
    for (const batch of loader) {
      const [x, y] = batch as unknown as [torch.Tensor, torch.Tensor | number[]];
      // API.md: number labels collate to an int32 tensor (core collated them to an array before).
      const target = y instanceof torch.Tensor ? y : torch.tensor(Int32Array.from(y));
      const loss = lossFn.forward(model.forward(x), target);
      opt.zeroGrad();
      loss.backward();
      opt.step();
      losses.push(loss.item());
      if (++step === 40) break;
    }
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(first).toBeGreaterThan(1.5);
    expect(last).toBeLessThan(first * 0.7);
  });
});
