/**
 * Random numbers: PyTorch's CPU generator (`generator.ts`: MT19937 seeded as PyTorch seeds
 * it, `torch.Generator`, the default generator) and a small separate PRNG for shuffles
 * that need repeatability only. The samplers (how draws become values) are in
 * `ops/sampling.ts`; the core README's "Random numbers" says which match PyTorch.
 */
export {
  DEFAULT_SEED,
  defaultGenerator,
  Generator,
  generatorOf,
  getRngState,
  initialSeed,
  MT19937,
  manualSeed,
  seed,
  setRngState,
} from './generator.js';

/** A small, fast, seedable PRNG (mulberry32): shuffles need repeatability, not crypto. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
