import { describe, expect, it } from 'vitest';
import { DTYPES, promoteTypes, promoteWithScalar } from '../src/dtype.js';

describe('promotion (PyTorch rules)', () => {
  it('tensor with tensor: the higher of bool < int32 < float32 < float64', () => {
    expect(promoteTypes('float64', 'int32')).toBe('float64');
    expect(promoteTypes('float32', 'float64')).toBe('float64');
    expect(promoteTypes('int32', 'float32')).toBe('float32');
    expect(promoteTypes('bool', 'int32')).toBe('int32');
    for (const d of DTYPES) expect(promoteTypes(d, d)).toBe(d);
  });
  it('tensor with a JS number: keeps the dtype unless a float number meets an integer tensor', () => {
    expect(promoteWithScalar('float64', 2.5)).toBe('float64');
    expect(promoteWithScalar('float32', 2)).toBe('float32');
    expect(promoteWithScalar('int32', 2)).toBe('int32');
    expect(promoteWithScalar('int32', 2.5)).toBe('float32');
    expect(promoteWithScalar('bool', 2.5)).toBe('float32');
  });
});
