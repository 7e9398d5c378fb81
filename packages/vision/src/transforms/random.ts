/**
 * Where random transforms draw from. By default torch's global generator, exactly as
 * torchvision does (`torch.randint(0, n, (1,))`, `torch.rand(1)`), so `torch.manualSeed(s)`
 * makes a pipeline repeat, and gives torchvision's own crops and flips for the same seed.
 * `{ seed }` or `{ generator }` give a transform its own stream instead: a `torch.Generator`
 * (drawn from as the global one is), or a function.
 */
import * as torch from '@stepwise/core';

/** The randomness options every random transform takes. */
export interface RandomOptions {
  /** Seed of the transform's own generator (core's `mulberry32`). */
  seed?: number;
  /**
   * Or a `torch.Generator` (the same draws as the global generator's, from its own stream),
   * or a function returning uniform numbers in [0, 1), e.g. `torch.mulberry32(1)`.
   */
  generator?: torch.Generator | (() => number);
}

/** A source of the two draws torchvision's random transforms make. */
export interface RandomSource {
  /** An integer in [0, n): `torch.randint(0, n, (1,)).item()`. */
  randint(n: number): number;
  /** A uniform number in [0, 1) as float32: `torch.rand(1)`. */
  rand(): number;
}

let hostFor: torch.Backend | undefined;
let hostPick: torch.Backend | string | undefined;

/** A backend that reads synchronously: the default one if it can, else any registered one that can. */
function hostBackend(who: string): torch.Backend | string {
  const def = torch.getBackend();
  if (def.syncReads) return def;
  if (hostFor === def && hostPick !== undefined) return hostPick;
  for (const name of torch.listBackends()) {
    const probe = torch.zeros([1], { backend: name });
    const ok = probe.backend.syncReads;
    probe.dispose();
    if (ok) {
      hostFor = def;
      hostPick = name;
      return name;
    }
  }
  throw new Error(
    `${who}: drawing from torch's global generator reads the draw back at once, and the default backend '${def.name}' cannot read synchronously (nor can any other registered backend); pass { seed } or { generator } to the transform, or also import '@stepwise/cpu-js/register'`,
  );
}

/**
 * The global generator (or a given `torch.Generator`), through core's `randint`/`rand` (the
 * draws PyTorch's CPU generator makes).
 */
function globalSource(who: string, generator?: torch.Generator): RandomSource {
  const read = (t: torch.Tensor) => {
    const v = t.item();
    t.dispose();
    return v;
  };
  return {
    randint: (n) => read(torch.randint(0, n, [1], { backend: hostBackend(who), generator })),
    rand: () => read(torch.rand([1], { backend: hostBackend(who), generator })),
  };
}

/** The random source of a transform, from its options (global generator when neither is given). */
export function randomSource(who: string, opts: RandomOptions = {}): RandomSource {
  if (opts.generator !== undefined && opts.seed !== undefined) {
    throw new TypeError(`${who}: pass either seed or generator, not both`);
  }
  if (opts.generator instanceof torch.Generator) return globalSource(who, opts.generator);
  let gen = opts.generator;
  if (gen !== undefined && typeof gen !== 'function') {
    throw new TypeError(
      `${who}: generator must be a torch.Generator or a function returning numbers in [0, 1), got ${typeof gen}`,
    );
  }
  if (opts.seed !== undefined) {
    if (!Number.isFinite(opts.seed))
      throw new TypeError(`${who}: seed must be a finite number, got ${opts.seed}`);
    gen = torch.mulberry32(opts.seed);
  }
  if (gen === undefined) return globalSource(who);
  const g = gen;
  return {
    randint: (n) => Math.min(n - 1, Math.floor(g() * n)),
    rand: () => Math.fround(g()),
  };
}
