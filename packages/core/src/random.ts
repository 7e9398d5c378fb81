/**
 * The default random generator: a 32-bit Mersenne Twister (MT19937), the engine PyTorch's
 * CPU generator uses, seeded the same way. `torch.rand` uses PyTorch's mappings (24 random
 * bits for float32, 53 for float64), so `manualSeed(s); rand(n)` gives PyTorch's CPU values;
 * `randn`/`normal` use Box-Muller on the same stream (their values do not match PyTorch's,
 * whose normal sampler is vectorised differently).
 */
export class MT19937 {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.seed(seed);
  }

  seed(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = 624;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** Uniform [0, 1) with 24 random bits (PyTorch's float32 mapping). */
  nextFloat24(): number {
    return (this.nextU32() & 0xffffff) * 2 ** -24;
  }

  /** Uniform [0, 1) with 53 random bits of two 32-bit draws, the first the high word (as PyTorch). */
  nextFloat53(): number {
    const hi = this.nextU32();
    const lo = this.nextU32();
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }
}

/** PyTorch's default CPU seed (67280421310721), truncated to 32 bits as MT19937 takes it. */
const DEFAULT_SEED = 67280421310721 % 2 ** 32;

export const defaultGenerator = new MT19937(DEFAULT_SEED);

/** `torch.manual_seed(seed)`. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed)) throw new TypeError(`manualSeed expects an integer, got ${seed}`);
  defaultGenerator.seed(seed % 2 ** 32);
}

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
