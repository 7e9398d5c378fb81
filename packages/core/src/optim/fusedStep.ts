/**
 * What every fused optimizer step shares: the per-configuration program cache and the one
 * `runFused` call per group (or, under `withComposedUpdates`, its composed equivalent).
 */
import type { FusedProgram } from '../fused/program.js';
import { type FusedEntry, runFused } from '../fused/run.js';

const cache = new WeakMap<object, Map<string, unknown>>();
/** The configuration each owner saw last and what it built: a step's usual answer, found without serialising. */
const last = new WeakMap<object, { config: unknown; value: unknown }>();

/** Two flat configurations (records of primitives) with the same keys and values. */
function sameConfig(a: unknown, b: unknown): boolean {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let n = 0;
  for (const k in x) {
    if (x[k] !== y[k] || (typeof x[k] === 'object' && x[k] !== null)) return false;
    n++;
  }
  for (const _ in y) n--;
  return n === 0;
}

/**
 * What `build` makes of one configuration of `owner` (an optimizer's update: its program
 * for a set of flags that change the program's shape — maximize, weight decay on/off,
 * amsgrad, ...), built on first use and kept.
 */
export function perConfiguration<O extends object, C, T>(
  owner: O,
  config: C,
  build: (owner: O, config: C) => T,
): T {
  const seen = last.get(owner);
  if (seen !== undefined && sameConfig(config, seen.config)) return seen.value as T;
  let built = cache.get(owner);
  if (!built) cache.set(owner, (built = new Map()));
  const key = JSON.stringify(config);
  let v = built.get(key) as T | undefined;
  if (v === undefined) built.set(key, (v = build(owner, config)));
  last.set(owner, { config, value: v });
  return v;
}

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
