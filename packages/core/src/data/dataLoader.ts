import { ValueError } from '../errors.js';
import { defaultGenerator, Generator } from '../generator.js';
import { loopBoundary } from '../loopMemory.js';
import { fromHost } from '../ops/creation.js';
import { permutationValues } from '../ops/sampling.js';
import { stack } from '../ops/shape.js';
import { Tensor } from '../tensor.js';
import type { Dataset } from './dataset.js';

/** Options of `DataLoader` (PyTorch's keyword arguments, camelCased). */
export interface DataLoaderOptions {
  /** Samples per batch. Default 1. */
  batchSize?: number;
  /** Reshuffle the order at the start of every epoch (every iteration). Default false. */
  shuffle?: boolean;
  /** Drop the last batch when it is smaller than `batchSize`. Default false. */
  dropLast?: boolean;
  /**
   * Seed of the loader's own generator: the same as `generator: new torch.Generator().manualSeed(seed)`,
   * so runs repeat exactly.
   */
  seed?: number;
  /**
   * The `torch.Generator` the loader draws from, as PyTorch's `generator=`: each epoch (each
   * iteration) draws PyTorch's worker base seed from it, then, when shuffling, its order with
   * `randperm` — PyTorch's order for the same seed. Without one (and without `seed`), both
   * come from the global generator as PyTorch's RandomSampler draws them, so
   * `torch.manualSeed(s)` gives PyTorch's order for `s`. Or a function returning uniform
   * numbers in [0, 1) to shuffle with (a Fisher-Yates shuffle of stepwise's own; it draws
   * nothing from torch's generators).
   */
  generator?: Generator | (() => number);
}

/**
 * `torch.utils.data.DataLoader`: iterates a dataset in batches. Each iteration (epoch) is a
 * fresh pass; with `shuffle` every epoch gets a new order from the loader's generator.
 * Items are collated as PyTorch's default collate: a batch of `[x, y]` items is
 * `[stack(xs), stack(ys)]`, number labels become an int32 tensor (PyTorch's int64); datasets
 * with `getBatch` (TensorDataset) gather directly.
 */
export class DataLoader<T = Tensor[]> implements Iterable<T> {
  /** The dataset batches are drawn from. */
  readonly dataset: Dataset<any>;
  /** Samples per batch. */
  readonly batchSize: number;
  /** Reshuffle the order every epoch. */
  readonly shuffle: boolean;
  /** Drop the last, smaller batch. */
  readonly dropLast: boolean;
  readonly #generator: Generator | null;
  readonly #random: (() => number) | null;

  constructor(dataset: Dataset<any>, opts: DataLoaderOptions = {}) {
    if (!dataset || typeof dataset.length !== 'number' || typeof dataset.get !== 'function') {
      throw new TypeError(
        'DataLoader: dataset must have a numeric length and a get(index) method (e.g. a TensorDataset)',
      );
    }
    const bs = opts.batchSize ?? 1;
    if (!Number.isInteger(bs) || bs < 1) {
      throw new ValueError(`batch_size should be a positive integer value, but got batch_size=${bs}`);
    }
    if (opts.seed !== undefined && !Number.isInteger(opts.seed))
      throw new ValueError(`DataLoader: seed must be an integer, got ${opts.seed}`);
    const g = opts.generator;
    if (g !== undefined && !(g instanceof Generator) && typeof g !== 'function') {
      throw new TypeError(
        `DataLoader: generator must be a torch.Generator or a function returning numbers in [0, 1), got ${typeof g}`,
      );
    }
    this.dataset = dataset;
    this.batchSize = bs;
    this.shuffle = opts.shuffle ?? false;
    this.dropLast = opts.dropLast ?? false;
    this.#random = typeof g === 'function' ? g : null;
    this.#generator =
      g instanceof Generator
        ? g
        : g === undefined && opts.seed !== undefined
          ? new Generator().manualSeed(opts.seed)
          : null;
  }

  /** Number of batches per epoch (PyTorch's `len(loader)`). */
  get length(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /**
   * The sample order of the next epoch. As PyTorch's single-process loader: the iterator
   * first draws a 64-bit worker base seed from the loader's generator (the global one
   * without), then RandomSampler shuffles with `randperm(n, generator)`, with a fresh
   * generator seeded from the global one when the loader has none. A function generator
   * draws nothing from torch's generators.
   */
  private order(): Int32Array {
    const n = this.dataset.length;
    if (!this.#random) (this.#generator ?? defaultGenerator).nextU64();
    if (this.shuffle && !this.#random) {
      const g = this.#generator ?? new Generator().manualSeed(defaultGenerator.nextU64() % 2n ** 63n);
      return Int32Array.from(permutationValues(g, n));
    }
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    if (this.shuffle && this.#random) {
      const random = this.#random;
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = idx[i]!;
        idx[i] = idx[j]!;
        idx[j] = t;
      }
    }
    return idx;
  }

  /** Iterates over one epoch of batches (taking the next batch is a loop boundary for memory). */
  *[Symbol.iterator](): Iterator<T> {
    const order = this.order();
    const ds = this.dataset;
    for (let b = 0; b < this.length; b++) {
      // Taking the next batch ends the previous iteration of the loop over this loader, pass
      // after pass (core README, "Memory").
      loopBoundary(this, 'the next DataLoader batch');
      const batch = order.subarray(b * this.batchSize, Math.min(order.length, (b + 1) * this.batchSize));
      if (ds.getBatch) yield ds.getBatch(batch) as T;
      else yield collate(Array.from(batch, (i) => ds.get(i))) as T;
    }
    // Run to its end, PyTorch's RandomSampler draws one more permutation (for the
    // `num_samples % n` remainder, empty here) before it stops: from the loader's own
    // generator, that moves its stream.
    if (this.shuffle && this.#generator) permutationValues(this.#generator, this.dataset.length);
  }
}

function collate(items: unknown[]): unknown {
  const first = items[0];
  if (first instanceof Tensor) return stack(items as Tensor[], 0);
  if (Array.isArray(first)) return first.map((_, k) => collate(items.map((it) => (it as unknown[])[k])));
  // PyTorch's default_collate makes numbers a tensor (int64 for ints): int32 here, so labels
  // go straight into crossEntropy. Fractional numbers become float32 (PyTorch: float64),
  // stepwise's default float dtype, so they mix with float32 outputs without a cast.
  if (typeof first === 'number') {
    const ints = items.every((v) => Number.isInteger(v));
    return fromHost(
      items as number[],
      [items.length],
      { dtype: ints ? 'int32' : 'float32' },
      'DataLoader collate',
    );
  }
  if (typeof first === 'boolean')
    return fromHost(items.map(Number), [items.length], { dtype: 'bool' }, 'DataLoader collate');
  if (first && typeof first === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(first))
      out[k] = collate(items.map((it) => (it as Record<string, unknown>)[k]));
    return out;
  }
  return items;
}
