import type { DType, Storage } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { wasmSimd } from '../src/index.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';
import { pair, placeHeap, placements } from './helpers.js';

// Issue 10 item 1: byte offsets at or past 2 GiB once became negative element indices
// (`ptr >> 2`), so reads came back as zeros and writes threw `offset is out of bounds`.
// The kernel suites (kernels, elementwise, fused, threads) run at these placements too;
// this file checks what a user sees through torch, and blocks that end at the last byte.

const ptr = (s: Storage) => (s as Storage & { ptr: number }).ptr;

describe('heap offsets past 2 GiB (issue 10 item 1)', () => {
  for (const place of placements().slice(1)) {
    it.skipIf(place.refused !== undefined)(
      `torch ops read and write the right values, ${place.name}`,
      async () => {
        const { w, filler } = await pair(place);
        torch.registerBackend(w);
        torch.setBackend(w);
        expect(Array.from(torch.full([4], 5).dataSync())).toEqual([5, 5, 5, 5]);
        const a = torch.ones([1000]);
        expect(a.add(1).sum().item()).toBe(2000);
        expect(ptr(a.storage as Storage)).toBeGreaterThanOrEqual(2 ** 31 - 2 ** 16);
        for (const dtype of ['float32', 'float64', 'int32', 'bool'] as DType[]) {
          const t = torch.tensor([1, 0, 3, 0, 5], { dtype });
          const want = dtype === 'bool' ? [1, 0, 1, 0, 1] : [1, 0, 3, 0, 5];
          expect(Array.from(t.dataSync()), dtype).toEqual(want);
          expect(Array.from(t.mul(t).dataSync()), `${dtype} mul`).toEqual(want.map((v) => v * v));
        }
        torch.manualSeed(3);
        const lin = new torch.nn.Linear(4, 1);
        const x = torch.tensor([[1, 2, 3, 4]]);
        const y = lin.forward(x).item();
        const back = torch.load(torch.save(lin.stateDict()));
        expect(Array.from(back.weight.dataSync())).toEqual(Array.from(lin.weight.dataSync()));
        const w0 = Array.from(lin.weight.dataSync());
        expect(w0.some((v) => v !== 0)).toBe(true);
        const b0 = lin.bias!.dataSync()[0]!;
        expect(y).toBeCloseTo(w0[0]! + 2 * w0[1]! + 3 * w0[2]! + 4 * w0[3]! + b0, 5);
        expect(filler).toBeDefined();
      },
    );
  }

  const [, , near4] = placements();
  it.skipIf(near4!.refused !== undefined)(
    'blocks of every dtype ending at the last byte of 4 GiB',
    async () => {
      const b = (await wasmSimd({ initialMemoryMB: 4095 })) as WasmSimdBackend;
      const filler = placeHeap(b, 2 ** 32 - 1024);
      for (const [dtype, Arr] of [
        ['float32', Float32Array],
        ['float64', Float64Array],
        ['int32', Int32Array],
        ['bool', Uint8Array],
      ] as const) {
        const n = 1024 / Arr.BYTES_PER_ELEMENT;
        const s = b.alloc(dtype, n);
        expect(ptr(s) + 1024).toBe(2 ** 32);
        const data = Array.from({ length: n }, (_, i) => (dtype === 'bool' ? i % 2 : i - 7));
        b.write(s, Arr.from(data));
        const got = b.readSync(s);
        expect(got[n - 1], `${dtype} last element`).toBe(data[n - 1]);
        expect(Array.from(got), dtype).toEqual(data);
        b.fill(s, 1);
        expect(b.readSync(s)[n - 1], `${dtype} fill`).toBe(1);
        b.free(s);
      }
      expect(b.wasmMemoryBytes()).toBe(2 ** 32);
      b.free(filler);
    },
  );
});
