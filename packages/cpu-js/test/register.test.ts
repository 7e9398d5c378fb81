import * as torch from '@stepwise/core';
import { expect, it } from 'vitest';
import '../src/register.js';

it("registers the backend as 'cpu-js' and makes it the default", () => {
  expect(torch.listBackends()).toContain('cpu-js');
  expect(torch.getBackend().name).toBe('cpu-js');
  const t = torch.tensor([1, 2, 3], { dtype: 'float64' }).mul(2);
  expect(t.backend.name).toBe('cpu-js');
  expect(t.tolist()).toEqual([2, 4, 6]);
});
