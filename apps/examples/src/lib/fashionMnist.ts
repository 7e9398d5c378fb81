/**
 * Where the real-data examples find Fashion-MNIST: Debian's `dataset-fashion-mnist`
 * (`/usr/share/datasets/fashion-mnist`), or the folder STEPWISE_FASHION_MNIST_ROOT names
 * (the files directly in it, or in torchvision's `FashionMNIST/raw/`).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { utils } from '@stepwise/core';

export const FASHION_MNIST_ROOT =
  process.env.STEPWISE_FASHION_MNIST_ROOT ?? '/usr/share/datasets/fashion-mnist';

const FILES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
];

/** Whether all four IDX files (plain or `.gz`) are in `root` or `root/FashionMNIST/raw`. */
export function hasFashionMnist(root: string = FASHION_MNIST_ROOT): boolean {
  return [root, join(root, 'FashionMNIST', 'raw')].some((dir) =>
    FILES.every((f) => existsSync(join(dir, f)) || existsSync(join(dir, `${f}.gz`))),
  );
}

/** What to tell a user who has not got the data. */
export const FASHION_MNIST_MISSING = `Fashion-MNIST is not in ${FASHION_MNIST_ROOT} (apt-get install dataset-fashion-mnist, or set STEPWISE_FASHION_MNIST_ROOT)`;

/**
 * PyTorch's `torch.utils.data.Subset(ds, range(n))`: the first `n` items of a dataset (all
 * of them when `n` is undefined or not smaller).
 */
export function firstN<T>(ds: utils.data.Dataset<T>, n?: number): utils.data.Dataset<T> {
  if (n === undefined || n >= ds.length) return ds;
  return { length: n, get: (i: number) => ds.get(i) };
}
