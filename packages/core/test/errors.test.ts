import { expect, it } from 'vitest';
import * as torch from '../src/index.js';

it('OutOfMemoryError is one class, exported by core, under BackendError', () => {
  const e = new torch.OutOfMemoryError(
    'cpu-js: out of memory allocating a float32 tensor of 10 elements (40 bytes)',
  );
  expect(e).toBeInstanceOf(torch.OutOfMemoryError);
  expect(e).toBeInstanceOf(torch.BackendError);
  expect(e).toBeInstanceOf(Error);
  expect(e.name).toBe('OutOfMemoryError');
  expect(String(e)).toBe(
    'OutOfMemoryError: cpu-js: out of memory allocating a float32 tensor of 10 elements (40 bytes)',
  );
  // A backend's own subclass is caught by the same check.
  class SomeBackendOutOfMemoryError extends torch.OutOfMemoryError {
    override name = 'SomeBackendOutOfMemoryError';
  }
  const s = new SomeBackendOutOfMemoryError('x', { cause: new RangeError('Array buffer allocation failed') });
  expect(s).toBeInstanceOf(torch.OutOfMemoryError);
  expect(s.cause).toBeInstanceOf(RangeError);
});
