/** The per-test memory check's rule (the check itself runs around every conformance test). */
import { describe, expect, it } from 'vitest';
import { memoryVerdict } from '../src/testMemory.js';

describe('memoryVerdict', () => {
  const before = { tensors: 10, bytes: 400 };
  it('passes when the memory is back where it was, or lower (a collection or a loop release)', () => {
    expect(memoryVerdict(before, before)).toBeUndefined();
    expect(memoryVerdict(before, { tensors: 7, bytes: 100 })).toBeUndefined();
  });
  it('fails on one more tensor or one more byte, naming both counts', () => {
    expect(memoryVerdict(before, { tensors: 11, bytes: 400 })).toMatch(/1 more tensors and 0 more bytes/);
    expect(memoryVerdict(before, { tensors: 10, bytes: 404 })).toMatch(/0 more tensors and 4 more bytes/);
  });
  it('allows exactly what the test kept', () => {
    const kept = { tensors: 1, bytes: 8 };
    expect(memoryVerdict(before, { tensors: 11, bytes: 408 }, kept)).toBeUndefined();
    expect(memoryVerdict(before, { tensors: 12, bytes: 408 }, kept)).toMatch(/1 more tensors/);
  });
});
