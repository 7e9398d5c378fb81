/**
 * Memory without tidy: loops written as in PyTorch — no `tidy`, no `dispose` — keep live
 * tensors and bytes bounded (core README, "Memory"); what the library released is a clear
 * error naming `keep`; what user code carries, keeps or made before the loop survives.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { liveOf } from '../testMemory.js';
import { thrown, values } from './util.js';

const { nn } = torch;

/** Steps of each long loop: the 10⁴. */
const STEPS = 10_000;
/**
 * A long loop's time limit: 10⁴ steps take seconds alone, but CI runs the three backends'
 * suites at once on two cores.
 */
const LONG = 300_000;
/** Steps after which the loop must have reached its steady state. */
const WARM_UP = 50;

/**
 * Runs `step(i)` STEPS times (awaiting it when it returns a promise) and checks, every
 * 500 steps after the warm-up, that live tensors and bytes are at most what they were
 * when the warm-up ended.
 */
async function expectBounded(ctx: ConformanceContext, step: (i: number) => unknown): Promise<void> {
  let bound: { tensors: number; bytes: number } | undefined;
  for (let i = 0; i < STEPS; i++) {
    const r = step(i);
    if (r instanceof Promise) await r;
    if (i === WARM_UP) bound = liveOf(ctx);
    if (bound && i % 500 === 0) {
      const now = liveOf(ctx);
      expect(now.tensors, `live tensors at step ${i} (after warm-up: ${bound.tensors})`).toBeLessThanOrEqual(
        bound.tensors,
      );
      expect(now.bytes, `live bytes at step ${i} (after warm-up: ${bound.bytes})`).toBeLessThanOrEqual(
        bound.bytes,
      );
    }
  }
}

/** The batches of `loader`, pass after pass (a `for...of` over the loader per pass). */
function* epochs(loader: torch.DataLoader): Generator<torch.Tensor[]> {
  for (;;) yield* loader;
}

/** A small classifier, its optimizer, and a fixed batch. */
function setup(optimizer: 'Adam' | 'SGD' = 'Adam') {
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(8, 16), new nn.ReLU(), new nn.Linear(16, 3));
  const opt =
    optimizer === 'Adam'
      ? new torch.optim.Adam(model.parameters(), { lr: 1e-3 })
      : new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const x = torch.randn([32, 8]);
  const y = torch.randint(0, 3, [32], { dtype: 'int32' });
  return { model, opt, lossFn: new nn.CrossEntropyLoss(), x, y };
}

export function registerLoopMemoryTests(ctx: ConformanceContext): void {
  describe('loops without tidy stay bounded (10⁴ steps)', () => {
    it(
      'a training loop: zeroGrad, forward, backward, step',
      async () => {
        const { model, opt, lossFn, x, y } = setup();
        await expectBounded(ctx, () => {
          opt.zeroGrad();
          const loss = lossFn.forward(model.forward(x), y);
          loss.backward();
          opt.step();
        });
      },
      LONG,
    );

    it(
      'an evaluation loop under noGrad over a DataLoader',
      async () => {
        const { model, x, y } = setup();
        const batches = epochs(new torch.DataLoader(new torch.TensorDataset(x, y), { batchSize: 4 }));
        let correct = 0;
        await torch.noGrad(() =>
          expectBounded(ctx, async () => {
            const [xb, yb] = batches.next().value!;
            const pred = model.forward(xb!).argmax(1);
            correct += (await values(pred.eq(yb!).sum()))[0]!;
          }),
        );
        expect(correct).toBeGreaterThan(0);
      },
      LONG,
    );

    it(
      'training over a DataLoader, epoch after epoch',
      async () => {
        const { model, opt, lossFn, x, y } = setup('SGD');
        const loader = new torch.DataLoader(new torch.TensorDataset(x, y), {
          batchSize: 8,
          shuffle: true,
          seed: 1,
        });
        const batches = epochs(loader);
        await expectBounded(ctx, () => {
          const [xb, yb] = batches.next().value!;
          opt.zeroGrad();
          lossFn.forward(model.forward(xb!), yb!).backward();
          opt.step();
        });
      },
      LONG,
    );

    it(
      'an async loop that awaits loss.data() every step',
      async () => {
        const { model, opt, lossFn, x, y } = setup();
        let last = Number.NaN;
        await expectBounded(ctx, async () => {
          opt.zeroGrad();
          const loss = lossFn.forward(model.forward(x), y);
          loss.backward();
          opt.step();
          last = (await loss.data())[0]!;
        });
        expect(Number.isFinite(last)).toBe(true);
      },
      LONG,
    );

    it(
      'no optimizer: backward, then an update by hand under noGrad',
      async () => {
        torch.manualSeed(0);
        const w = torch.randn([8, 3], { requiresGrad: true });
        const { x, y } = setup();
        await expectBounded(ctx, () => {
          const loss = nn.functional.crossEntropy(x.matmul(w), y);
          loss.backward();
          torch.noGrad(() => {
            w.sub_(w.grad!.mul(0.01));
            w.grad!.zero_();
          });
        });
      },
      LONG,
    );
  });

  describe('what the release spares, and what it refuses', () => {
    it('a tensor of an earlier iteration, used after the release, throws an error naming keep', async () => {
      const { model, opt, lossFn, x, y } = setup();
      const losses: torch.Tensor[] = [];
      for (let i = 0; i < 6; i++) {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        opt.step();
        losses.push(loss);
      }
      // The last two iterations' values are still readable (the grace period).
      expect((await values(losses[5]!)).length).toBe(1);
      expect((await values(losses[4]!)).length).toBe(1);
      // (The first iteration's tensors were made before the loop's first boundary: they are
      // never the loop's to release.)
      const e = thrown(() => losses[1]!.add(1));
      expect(e.name).toBe('DisposedTensorError');
      expect(e.message).toMatch(/released at (backward|Adam\.step)\(\) \(call \d+\)/);
      expect(e.message).toMatch(/t\.keep\(\)/);
      expect(e.message).toMatch(/shape \[\]/);
    });

    it('kept tensors, tensors made before the loop, carried values and .grad survive', async () => {
      const { model, opt, lossFn, x, y } = setup();
      const before = torch.tensor([1, 2, 3]);
      const kept: torch.Tensor[] = [];
      let running = torch.zeros([]);
      for (let i = 0; i < 20; i++) {
        opt.zeroGrad();
        const loss = lossFn.forward(model.forward(x), y);
        loss.backward();
        opt.step();
        running = running.add(loss.detach());
        kept.push(loss.detach().keep());
      }
      expect(await values(before)).toEqual([1, 2, 3]);
      const each = await Promise.all(kept.map(async (t) => (await values(t))[0]!));
      const sum = (await values(running))[0]!;
      expect(sum).toBeCloseTo(
        each.reduce((a, b) => a + b, 0),
        3,
      );
      for (const p of model.parameters()) expect((await values(p.grad!)).length).toBe(p.numel());
      for (const t of kept) t.dispose();
    });

    it('a graph carried across DataLoader batches keeps what its backward needs', async () => {
      const { model, opt, lossFn, x, y } = setup('SGD');
      const loader = new torch.DataLoader(new torch.TensorDataset(x, y), { batchSize: 4 });
      opt.zeroGrad();
      let total: torch.Tensor | null = null;
      for (const [xb, yb] of loader) {
        const loss = lossFn.forward(model.forward(xb!), yb!);
        total = total ? total.add(loss) : loss;
      }
      // One backward through all 8 batches' graphs, after 8 loader boundaries.
      total!.backward();
      opt.step();
      for (const p of model.parameters()) expect((await values(p.grad!)).every(Number.isFinite)).toBe(true);
    });

    it('tidy and dispose keep working inside a loop without tidy', () => {
      const { model, opt, lossFn, x, y } = setup();
      for (let i = 0; i < 10; i++) {
        const before = liveOf(ctx).tensors;
        const t = torch.tidy(() => torch.ones([4]).mul(2).sum());
        expect(liveOf(ctx).tensors - before).toBe(1);
        t.dispose();
        opt.zeroGrad();
        lossFn.forward(model.forward(x), y).backward();
        opt.step();
      }
    });
  });
}
