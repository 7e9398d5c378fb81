import * as torch from '@stepwise/core';
import { expect, it } from 'vitest';
import '../src/register.js';

it("register creates the backend, registers it as 'wasm-simd' and makes it the default", async () => {
  expect(torch.getBackend().name).toBe('wasm-simd');
  expect(torch.listBackends()).toContain('wasm-simd');
  const t = torch.tensor([1, 2, 3]).mul(2);
  expect(t.backend.name).toBe('wasm-simd');
  expect(Array.from(await t.data())).toEqual([2, 4, 6]);
});
