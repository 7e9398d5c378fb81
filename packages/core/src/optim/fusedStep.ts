/**
 * Helpers every fused optimizer shares: the per-configuration program cache, state
 * allocation, and the one `runFused` call per group.
 */
import { keep } from '../engine.js';
import type { FusedProgram } from '../fused/program.js';
import { type FusedEntry, runFused } from '../fused/run.js';
import { Tensor } from '../tensor.js';

const programs = new Map<string, FusedProgram>();

/**
 * The program for one optimizer configuration (a set of flags that change the program's
 * shape: maximize, weight decay on/off, amsgrad, ...), built on first use and kept.
 */
export function cachedProgram<P extends FusedProgram>(
  name: string,
  config: Record<string, boolean | number | string>,
  build: () => P,
): P {
  const key = `${name}|${JSON.stringify(config)}`;
  let p = programs.get(key) as P | undefined;
  if (!p) programs.set(key, (p = build()));
  return p;
}

/** A zero-filled state tensor shaped like `p` (PyTorch's `torch.zeros_like(p)`), kept out of any `tidy` scope. */
export function zerosState(p: Tensor): Tensor {
  return keep(Tensor.empty(p.shape, p.dtype, p.backend));
}

/** A state tensor shaped like `p`, filled with `value` (PyTorch's `torch.full_like`). */
export function fullState(p: Tensor, value: number): Tensor {
  const t = zerosState(p);
  if (value !== 0) t.fill_(value);
  return t;
}

export type { FusedEntryOf } from '../fused/run.js';

/**
 * Runs `program` over every entry of a group (one parameter's named buffers and scalars
 * each) in one backend call; nothing to do when no parameter of the group has a gradient.
 */
export function runGroup<B extends string, S extends string>(
  program: FusedProgram<B, S>,
  entries: readonly FusedEntry<NoInfer<B>, NoInfer<S>>[],
): void {
  if (!entries.length) return;
  runFused(program, entries, { composed: referenceDepth > 0 });
}

let referenceDepth = 0;

/**
 * Runs `fn` with every optimizer update evaluated by composed Tensor ops instead of the
 * backend's fused pass (slow; for checking that both paths agree, as the conformance
 * suite does on every backend).
 */
export function withComposedUpdates<T>(fn: () => T): T {
  referenceDepth++;
  try {
    return fn();
  } finally {
    referenceDepth--;
  }
}

export { withGradsOf as withGrads } from './optimizer.js';
