import { expect, it } from 'vitest';
import { resolveBackend } from '../src/registry.js';

it('an unknown backend name is a clear error listing the registered ones', () => {
  expect(() => resolveBackend('no-such-backend')).toThrow(/unknown backend 'no-such-backend'; registered:/);
});
