/**
 * PyTorch's results for the real-data examples, from `pytorch/<name>.json`: each run of
 * `pytorch/<name>.py --json` (Debian's PyTorch 1.13 on the same Fashion-MNIST files, same
 * seed, same initial weights and data order) keyed by its seed and sizes.
 */
import { existsSync, readFileSync } from 'node:fs';

export interface PytorchRun {
  torch: string;
  seed: number;
  epochs: number;
  train: number;
  test: number;
  /** Test accuracy (0..1) after each epoch. */
  accuracy: number[];
  /** The average loss after each epoch (the Quickstart's test loss; seed 004's training loss). */
  loss: number[];
}

/**
 * PyTorch's run of `name` with this seed and these sizes, cut to `epochs` epochs (a run of
 * more epochs holds the shorter run's epochs as its first ones); undefined when there is none.
 */
export function pytorchRun(
  name: 'quickstart' | 'seed004',
  cfg: { seed: number; epochs: number; train: number; test: number },
): PytorchRun | undefined {
  const url = new URL(`../../pytorch/${name}.json`, import.meta.url);
  if (!existsSync(url)) return undefined;
  const runs = (JSON.parse(readFileSync(url, 'utf8')) as { runs: PytorchRun[] }).runs;
  const run = runs.find(
    (r) => r.seed === cfg.seed && r.train === cfg.train && r.test === cfg.test && r.epochs >= cfg.epochs,
  );
  if (!run) return undefined;
  return {
    ...run,
    epochs: cfg.epochs,
    accuracy: run.accuracy.slice(0, cfg.epochs),
    loss: run.loss.slice(0, cfg.epochs),
  };
}

/** One line for a run's printout: PyTorch's accuracy per epoch. */
export function describePytorchRun(run: PytorchRun, digits = 1): string {
  return (
    `PyTorch ${run.torch} (same data, seed, initial weights and order): ` +
    run.accuracy.map((a, i) => `epoch ${i + 1} ${(100 * a).toFixed(digits)}%`).join(', ')
  );
}
