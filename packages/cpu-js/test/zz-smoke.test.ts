import * as torch from '@stepwise/core';
import { expect, it } from 'vitest';
import '../src/register.js';

it('seed 000', () => {
  const x = torch.tensor(
    [
      [2.5, 1.3, 6.2, 1.3, 5.4, 6, 4.3, 8.2],
      [-1.2, 2.5, 3.6, 4, 3.4, 2.3, 7.2, 3.9],
    ],
    { dtype: 'float64' },
  ).T;
  const y = torch.tensor([0, 0, 1, 0, 1, 1, 1, 1], { dtype: 'int32' });
  const w = torch.tensor([2, 2], { dtype: 'float64', requiresGrad: true });
  const b = torch.tensor([1], { dtype: 'float64', requiresGrad: true });
  const optimizer = new torch.optim.SGD(new Set([w, b]), { lr: 0.01 });
  const losses: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const z = x.matmul(w).add(b);
    const L = torch.log(torch.exp(z).add(1)).sub(y.mul(z)).sum();
    losses.push(L.item());
    optimizer.zeroGrad();
    L.backward();
    optimizer.step();
  }
  console.log(losses[0], losses[999], w.tolist(), b.item(), torch.memory());
  expect(losses[0]).toBeCloseTo(23.8272, 3);
});
