import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';

describe('memory over a long training loop', () => {
  it('10^4 Adam steps keep torch.memory() flat and the wasm memory from growing', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 16 })) as WasmSimdBackend;
    torch.registerBackend(b);
    torch.setBackend(b);
    const model = new torch.nn.Sequential(
      new torch.nn.Linear(8, 16),
      new torch.nn.ReLU(),
      new torch.nn.Linear(16, 3),
    );
    const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
    const lossFn = new torch.nn.CrossEntropyLoss();
    const x = torch.randn([32, 8]);
    const y = torch.tensor(
      Array.from({ length: 32 }, (_, i) => i % 3),
      { dtype: 'int32' },
    );
    const step = () =>
      torch.tidy(() => {
        const loss = lossFn.forward(model.forward(x), y);
        opt.zeroGrad();
        loss.backward();
        opt.step();
      });
    for (let i = 0; i < 10; i++) step();
    const mem = () => torch.memory().backends?.['wasm-simd'];
    const at10 = mem();
    const wasmBytes = b.wasmMemoryBytes();
    const heapBytes = b.memoryBytes();
    for (let i = 0; i < 10_000; i++) step();
    expect(mem()).toEqual(at10);
    expect(b.memoryBytes()).toBe(heapBytes);
    expect(b.wasmMemoryBytes()).toBe(wasmBytes);
  }, 120_000);
});
