/**
 * `torch.Generator`: PyTorch's CPU generator. Every random function draws from one, the
 * default generator (`torch.manualSeed`) unless it is given its own (`{ generator }`).
 *
 * The engine is a 32-bit Mersenne Twister (MT19937) kept exactly as PyTorch keeps it
 * (`left`/`next` counters, seeded with the low 32 bits of the seed), and the generator
 * also holds PyTorch's cached second normal value of the scalar Box-Muller path, so
 * `getState()` gives PyTorch's 5056-byte state (`torch.get_rng_state()`), byte for byte,
 * and `setState()` takes one from PyTorch.
 */
import { ValueError } from './errors.js';
import { fromHost, type TensorOptions } from './ops/creation.js';
import type { Tensor } from './tensor.js';

const N = 624;

/** A 32-bit Mersenne Twister with PyTorch's `at::mt19937` bookkeeping (`left`, `next`). */
export class MT19937 {
  /** The 624-word state. */
  readonly mt = new Uint32Array(N);
  /** Draws left before the next twist, plus one (1 right after seeding), as PyTorch. */
  left = 1;
  /** The next word of `mt` to temper. */
  next = 0;

  constructor(seed = 5489) {
    this.seed(seed);
  }

  /** Seeds with a 32-bit value (PyTorch's `init_with_uint32`). */
  seed(seed: number): void {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      // 1812433253 * prev + i, in 32-bit arithmetic.
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.left = 1;
    this.next = 0;
  }

  private twist(): void {
    const mt = this.mt;
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      mt[i] = mt[(i + 397) % N]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
    }
    this.left = N;
    this.next = 0;
  }

  /** The next 32-bit unsigned integer. */
  nextU32(): number {
    if (--this.left === 0) this.twist();
    let y = this.mt[this.next++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** PyTorch's default seed (`c10::detail::default_rng_seed_val`), a fresh Generator's seed. */
export const DEFAULT_SEED = 67280421310721;

/** The size of PyTorch's CPU generator state (`CPUGeneratorImplState`), in bytes. */
export const STATE_BYTES = 5056;

const U64 = 2n ** 64n;

function seedToU64(seed: number | bigint, what: string): bigint {
  if (typeof seed === 'number') {
    if (!Number.isInteger(seed)) throw new TypeError(`${what} expects an integer, got ${seed}`);
    seed = BigInt(seed);
  } else if (typeof seed !== 'bigint') {
    throw new TypeError(`${what} expects an integer, got ${typeof seed}`);
  }
  if (seed < -(2n ** 63n) || seed >= U64) {
    throw new RangeError(
      `${what}: the seed must be within the inclusive range [-0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff], got ${seed}`,
    );
  }
  // A negative seed is its 64-bit two's complement, as PyTorch unpacks it.
  return BigInt.asUintN(64, seed);
}

/** A non-deterministic seed below 2^53, so `initialSeed()` returns it exactly. */
function freshSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: (a: Uint32Array) => Uint32Array } }).crypto;
  const w = new Uint32Array(2);
  if (c?.getRandomValues) c.getRandomValues(w);
  else {
    w[0] = Math.floor(Math.random() * 2 ** 32);
    w[1] = Math.floor(Math.random() * 2 ** 32);
  }
  return (w[0]! & 0x1fffff) * 2 ** 32 + w[1]!;
}

/**
 * `torch.Generator()`: a CPU random generator, seeded with PyTorch's default seed until
 * `manualSeed` or `seed` says otherwise. Pass it as `{ generator }` to any random
 * function; it draws PyTorch's numbers for the same seed (see the core README, "Random
 * numbers", for which functions match PyTorch value for value).
 */
export class Generator {
  /** Always `'cpu'`: random numbers are drawn on the host for every backend. */
  readonly device = 'cpu';
  readonly #engine = new MT19937();
  #seed = 0n;
  /** The scalar Box-Muller path's second value (PyTorch's `next_double_normal_sample_`). */
  #nextDoubleNormal: number | null = null;
  /** PyTorch's `next_float_normal_sample_` (no CPU kernel sets it; kept for the state). */
  #nextFloatNormal: number | null = null;

  constructor(device: 'cpu' | { device?: 'cpu' } = 'cpu') {
    const d = typeof device === 'object' && device !== null ? (device.device ?? 'cpu') : device;
    if (d !== 'cpu') {
      throw new ValueError(
        `Generator: only 'cpu' generators exist in stepwise (random numbers are drawn on the host for every backend), got '${String(d)}'`,
      );
    }
    this.manualSeed(DEFAULT_SEED);
  }

  /**
   * `g.manual_seed(seed)`: reseeds (an integer in [-2^63, 2^64); a negative seed is its
   * 64-bit two's complement, as PyTorch's) and forgets the cached normal value. Returns `g`.
   */
  manualSeed(seed: number | bigint): this {
    this.#seed = seedToU64(seed, 'manualSeed');
    this.#engine.seed(Number(this.#seed & 0xffffffffn));
    this.#nextDoubleNormal = null;
    this.#nextFloatNormal = null;
    return this;
  }

  /**
   * `g.seed()`: reseeds from a non-deterministic source and returns the seed. PyTorch draws
   * 64 bits; stepwise draws 53, so the seed is an exact JS number.
   */
  seed(): number {
    const s = freshSeed();
    this.manualSeed(s);
    return s;
  }

  /**
   * `g.initial_seed()`: the seed last set. Exact for seeds below 2^53 (every seed `seed()`
   * picks, and every non-negative number seed); a bigint seed or a negative one above that
   * is returned rounded (its 64 bits are in `getState()`).
   */
  initialSeed(): number {
    return Number(this.#seed);
  }

  /**
   * `g.get_state()`: PyTorch's CPU generator state, 5056 bytes laid out as
   * `CPUGeneratorImplState` (seed, MT19937 words and counters, cached normal values). As
   * stepwise has no uint8 dtype, the bytes come as an int32 tensor of values 0–255; `tolist()`
   * of it equals PyTorch's `get_state().tolist()` for the same history.
   */
  getState(opts: Pick<TensorOptions, 'backend'> = {}): Tensor {
    return fromHost(this.stateBytes(), [STATE_BYTES], { dtype: 'int32', backend: opts.backend }, 'getState');
  }

  /** `getState()` as the raw bytes. */
  stateBytes(): Uint8Array {
    const bytes = new Uint8Array(STATE_BYTES);
    const v = new DataView(bytes.buffer);
    const e = this.#engine;
    v.setBigUint64(0, this.#seed, true); // the_initial_seed
    v.setInt32(8, e.left, true);
    v.setInt32(12, 1, true); // seeded
    v.setBigUint64(16, BigInt(e.next), true);
    for (let i = 0; i < N; i++) v.setBigUint64(24 + 8 * i, BigInt(e.mt[i]!), true);
    // normal_x (5016) and normal_rho (5032) are dummies, 0.
    if (this.#nextDoubleNormal !== null) {
      v.setFloat64(5024, this.#nextDoubleNormal, true); // normal_y
      v.setInt32(5040, 1, true); // normal_is_valid
    }
    if (this.#nextFloatNormal !== null) {
      v.setFloat32(5048, this.#nextFloatNormal, true);
      v.setUint8(5052, 1);
    }
    return bytes;
  }

  /**
   * `g.set_state(state)`: restores a state from `getState()` (or PyTorch's
   * `get_state().tolist()`): a tensor or an array of the 5056 byte values. A tensor must
   * be on a backend that reads synchronously (else pass `await state.data()`). Returns `g`.
   */
  setState(state: Tensor | ArrayLike<number>): this {
    let values: ArrayLike<number>;
    if (Array.isArray(state) || ArrayBuffer.isView(state)) values = state as ArrayLike<number>;
    else if (state !== null && typeof state === 'object' && 'dataSync' in state) {
      const t = state as Tensor;
      if (!t.backend.syncReads) {
        throw new ValueError(
          `setState: the '${t.backend.name}' backend cannot read synchronously; pass \`await state.data()\` instead of the tensor`,
        );
      }
      values = t.dataSync();
    } else values = state as ArrayLike<number>;
    if (values.length !== STATE_BYTES) {
      throw new ValueError(
        `Expected either a CPUGeneratorImplStateLegacy of size 5048 or a CPUGeneratorImplState of size ${STATE_BYTES} but found the input RNG state size to be ${values.length}`,
      );
    }
    const bytes = new Uint8Array(STATE_BYTES);
    for (let i = 0; i < STATE_BYTES; i++) {
      const b = values[i]!;
      if (!(Number.isInteger(b) && b >= 0 && b <= 255)) {
        throw new ValueError(`setState: the state must hold byte values 0-255, found ${b} at ${i}`);
      }
      bytes[i] = b;
    }
    const v = new DataView(bytes.buffer);
    const left = v.getInt32(8, true);
    const seeded = v.getInt32(12, true);
    const next = v.getBigUint64(16, true);
    if (!(seeded !== 0 && left > 0 && left <= N && next <= BigInt(N)))
      throw new ValueError('Invalid mt19937 state');
    const e = this.#engine;
    this.#seed = v.getBigUint64(0, true);
    for (let i = 0; i < N; i++) e.mt[i] = Number(v.getBigUint64(24 + 8 * i, true) & 0xffffffffn);
    e.left = left;
    e.next = Number(next);
    this.#nextDoubleNormal = v.getInt32(5040, true) ? v.getFloat64(5024, true) : null;
    this.#nextFloatNormal = v.getUint8(5052) ? v.getFloat32(5048, true) : null;
    return this;
  }

  /** The next 32-bit unsigned integer (PyTorch's `random()`). */
  nextU32(): number {
    return this.#engine.nextU32();
  }

  /** The next 64-bit unsigned integer, two draws with the first the high word (PyTorch's `random64()`). */
  nextU64(): bigint {
    const hi = this.#engine.nextU32();
    const lo = this.#engine.nextU32();
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Uniform [0, 1) with 24 random bits of one draw (PyTorch's float32 `uniform_real_distribution`). */
  nextFloat24(): number {
    return (this.#engine.nextU32() & 0xffffff) * 2 ** -24;
  }

  /** Uniform [0, 1) with 53 random bits of two draws, the first the high word (PyTorch's float64 mapping). */
  nextFloat53(): number {
    const hi = this.#engine.nextU32();
    const lo = this.#engine.nextU32();
    return ((hi & 0x1fffff) * 2 ** 32 + lo) * 2 ** -53;
  }

  /** @internal Takes the cached second normal value of the scalar Box-Muller path, if any. */
  _takeNormal(): number | null {
    const v = this.#nextDoubleNormal;
    this.#nextDoubleNormal = null;
    return v;
  }

  /** @internal Caches the second normal value of the scalar Box-Muller path. */
  _cacheNormal(v: number): void {
    this.#nextDoubleNormal = v;
  }
}

/**
 * The default generator (`torch.default_generator`). PyTorch seeds it non-deterministically
 * at start-up; stepwise starts it at PyTorch's default seed, so a program without
 * `manualSeed` still repeats run to run.
 */
export const defaultGenerator = new Generator();

/** `torch.manual_seed(seed)`: seeds the default generator; returns it. */
export function manualSeed(seed: number | bigint): Generator {
  return defaultGenerator.manualSeed(seed);
}

/** `torch.seed()`: seeds the default generator non-deterministically; returns the seed. */
export function seed(): number {
  return defaultGenerator.seed();
}

/** `torch.initial_seed()`: the default generator's seed. */
export function initialSeed(): number {
  return defaultGenerator.initialSeed();
}

/** `torch.get_rng_state()`: the default generator's state (see `Generator.getState`). */
export function getRngState(opts: Pick<TensorOptions, 'backend'> = {}): Tensor {
  return defaultGenerator.getState(opts);
}

/** `torch.set_rng_state(state)`: restores the default generator's state. */
export function setRngState(state: Tensor | ArrayLike<number>): void {
  defaultGenerator.setState(state);
}

/** The generator an options object names, or the default one; anything else is a clear error. */
export function generatorOf(opts: { generator?: Generator | null } | undefined, what: string): Generator {
  const g = opts?.generator;
  if (g === undefined || g === null) return defaultGenerator;
  if (!(g instanceof Generator)) {
    throw new TypeError(
      `${what}(): generator must be a torch.Generator (new torch.Generator().manualSeed(s)), got ${typeof g === 'function' ? 'a function' : typeof g}`,
    );
  }
  return g;
}
