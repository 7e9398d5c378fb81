/**
 * Helpers every fused optimizer shares: the per-configuration program cache, state
 * allocation, and the one `runFused` call per group.
 */
import { keep } from '../engine.js';
import type { FusedProgram } from '../fused.js';
import { runFusedReference } from '../fusedReference.js';
import { runFused } from '../fusedRun.js';
import { Tensor } from '../tensor.js';

const programs = new Map<string, FusedProgram>();

/**
 * The program for one optimizer configuration (a set of flags that change the program's
 * shape: maximize, weight decay on/off, amsgrad, ...), built on first use and kept.
 */
export function cachedProgram(
  name: string,
  config: Record<string, boolean | number | string>,
  build: () => FusedProgram,
): FusedProgram {
  const key = `${name}|${JSON.stringify(config)}`;
  let p = programs.get(key);
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

/** One parameter's part of a group's fused call. */
export interface FusedEntry {
  buffers: Tensor[];
  scalars: ArrayLike<number>;
}

/**
 * Runs `program` over every entry of a group in one backend call (nothing to do when no
 * parameter of the group has a gradient).
 */
export function runGroup(program: FusedProgram, entries: FusedEntry[]): void {
  if (!entries.length) return;
  if (referenceDepth > 0) runFusedReference(program, entries);
  else runFused(program, entries);
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
