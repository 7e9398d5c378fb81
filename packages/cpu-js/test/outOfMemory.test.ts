import { BackendError, type DType, OutOfMemoryError } from '@stepwise/core';
import { describe, expect, it, vi } from 'vitest';
import { CpuJsBackend } from '../src/index.js';

/** A size the engine "refuses", so the test needs no real memory. */
const REFUSED = 123_456_789;

vi.mock('../src/arrays.js', async (importOriginal) => {
  const orig = await importOriginal<typeof import('../src/arrays.js')>();
  return {
    ...orig,
    newArray: (dtype: DType, size: number) => {
      if (size === REFUSED) throw new RangeError('Array buffer allocation failed');
      return orig.newArray(dtype, size);
    },
  };
});

const thrown = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return expect.fail('no error');
};

describe("allocation failures are core's OutOfMemoryError", () => {
  it("the engine's RangeError becomes OutOfMemoryError naming dtype, elements, bytes and bytes in use", () => {
    const b = new CpuJsBackend();
    const live = b.alloc('float32', 10);
    const e = thrown(() => b.alloc('float64', REFUSED));
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect(e).toBeInstanceOf(BackendError);
    expect(e).not.toBeInstanceOf(RangeError);
    expect(e.name).toBe('OutOfMemoryError');
    expect(e.message).toContain(
      `out of memory allocating a float64 tensor of ${REFUSED} elements (${REFUSED * 8} bytes)`,
    );
    expect(e.message).toContain('Array buffer allocation failed');
    expect(e.message).toContain('40 bytes are in use');
    expect(e.message).toContain('dispose unused tensors');
    expect(e.cause).toBeInstanceOf(RangeError);
    b.free(live);
  });

  it('a tensor past the element limit is OutOfMemoryError too, and says disposing will not help', () => {
    const b = new CpuJsBackend();
    const e = thrown(() => b.alloc('bool', 2 ** 31));
    expect(e).toBeInstanceOf(OutOfMemoryError);
    expect(e.message).toContain('a bool tensor of 2147483648 elements (2147483648 bytes)');
    expect(e.message).toContain('at most 2147483647');
    expect(e.message).toContain('disposing other tensors will not help');
  });

  it('a size that is not a size stays a RangeError (the caller is at fault, not memory)', () => {
    const b = new CpuJsBackend();
    for (const n of [-1, 1.5, Number.NaN]) {
      const e = thrown(() => b.alloc('float32', n));
      expect(e).toBeInstanceOf(RangeError);
      expect(e).not.toBeInstanceOf(OutOfMemoryError);
    }
  });
});
