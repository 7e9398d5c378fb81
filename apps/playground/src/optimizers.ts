/**
 * The optimizers the page offers and the lr each starts from: PyTorch's default (the same
 * as core's spec defaults; test/optimizers.test.ts checks them against core).
 */
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';

export type OptClass = new (
  params: Tensor[],
  opts: Record<string, unknown>,
) => InstanceType<typeof torch.optim.Optimizer>;

/** Every optimizer the build exports, except those this page cannot drive (sparse grads, 2-D only). */
export function optimizerClasses(): [string, OptClass][] {
  return Object.entries(torch.optim as unknown as Record<string, unknown>).filter(
    ([name, v]) =>
      typeof v === 'function' &&
      v !== torch.optim.Optimizer &&
      (v as { prototype: unknown }).prototype instanceof torch.optim.Optimizer &&
      !['SparseAdam', 'Muon'].includes(name),
  ) as [string, OptClass][];
}

/**
 * The lr an optimizer starts from when selected: PyTorch's default. SGD has none in
 * PyTorch 1.13 (lr is required there; PyTorch 2.x and core default it to 1e-3): the page
 * keeps 0.01, the lr it has always used for SGD on these problems. Adafactor is PyTorch
 * 2.5's (1e-2).
 */
export const DEFAULT_LR: Readonly<Record<string, number>> = {
  SGD: 0.01,
  Adam: 1e-3,
  AdamW: 1e-3,
  RMSprop: 1e-2,
  Adagrad: 1e-2,
  Adadelta: 1.0,
  Adamax: 2e-3,
  NAdam: 2e-3,
  RAdam: 1e-3,
  ASGD: 1e-2,
  Rprop: 1e-2,
  LBFGS: 1,
  Adafactor: 1e-2,
};

/** The lr `name` starts from (an optimizer missing from the table: 1e-3). */
export function defaultLr(name: string): number {
  return DEFAULT_LR[name] ?? 1e-3;
}

/** The lr field's value, or why it is refused: empty, not a number, or not positive and finite. */
export function parseLr(text: string, badInput = false): { lr: number } | { error: string } {
  const t = text.trim();
  if (badInput) return { error: 'lr is not a number' };
  if (t === '') return { error: 'lr is empty: enter a learning rate, e.g. 0.001' };
  const lr = Number(t);
  if (Number.isNaN(lr)) return { error: `lr "${t}" is not a number` };
  if (!Number.isFinite(lr) || lr <= 0) return { error: `lr must be a positive finite number, not ${t}` };
  return { lr };
}

/** The steps field's value, or why it is refused: a whole number from 1 to 100000. */
export function parseSteps(text: string, badInput = false): { steps: number } | { error: string } {
  const t = text.trim();
  const n = Number(t);
  if (badInput || t === '' || !Number.isInteger(n) || n < 1 || n > 100_000)
    return { error: 'steps must be a whole number from 1 to 100000' };
  return { steps: n };
}
