import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';

/** The backend's heap top in bytes (live blocks, holes, scratch): what reuse keeps flat. */
const heapTop = (b: WasmSimdBackend) => b.rt.heap.extent;

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

describe('memory after a peak (issue 9 item 4)', () => {
  it('a 200 MB peak freed: memory() bytes fall back to the baseline and a second peak reuses the memory', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 16 })) as WasmSimdBackend;
    torch.registerBackend(b);
    torch.setBackend(b);
    const mem = () => torch.memory().backends['wasm-simd']?.bytes ?? 0;
    const keep = torch.ones([1000]); // something alive across the peak
    const base = { torch: mem(), backend: b.memoryBytes(), top: heapTop(b), wasm: b.wasmMemoryBytes() };
    // 50 tensors of 1.0 to 1.05 M float32: about 205 MB live at once.
    const sizes = Array.from({ length: 50 }, (_, i) => 1_000_000 + i * 1000);
    const total = sizes.reduce((a, n) => a + 4 * n, 0);
    const peak = sizes.map((n) => torch.ones([n]));
    expect(mem() - base.torch).toBe(total);
    expect(b.memoryBytes() - base.backend).toBe(total);
    const grown = b.wasmMemoryBytes();
    expect(grown).toBeGreaterThan(total);
    for (const t of peak) t.dispose();
    expect(mem()).toBe(base.torch);
    expect(b.memoryBytes()).toBe(base.backend);
    expect(heapTop(b)).toBe(base.top);
    // The same bytes again, in another order and mixed dtypes: served from the freed space,
    // so the wasm memory (which can never shrink) does not grow either.
    const again = [...sizes]
      .reverse()
      .map((n, i) => torch.zeros([i % 2 ? n : n / 2], { dtype: i % 2 ? 'float32' : 'float64' }));
    expect(b.wasmMemoryBytes()).toBe(grown);
    expect(heapTop(b) - base.top).toBeLessThanOrEqual(total + 64 * 50);
    for (const t of again) t.dispose();
    expect(mem()).toBe(base.torch);
    expect(b.memoryBytes()).toBe(base.backend);
    expect(keep.sum().item()).toBe(1000);
  });
});
