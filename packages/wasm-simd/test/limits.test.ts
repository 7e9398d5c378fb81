import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { WasmOutOfMemoryError, wasmSimd } from '../src/index.js';
import type { WasmSimdBackend } from '../src/wasmSimdBackend.js';
import { highMemoryRefused } from './helpers.js';

// Issue 10 item 7 (wasm-simd): a tensor that can never fit must say how big it is and what
// the backend's limit is; "dispose unused tensors" is advice only for running out with
// many tensors alive.

const message = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(WasmOutOfMemoryError);
    // Core's one class for every backend's allocation failures.
    expect(e).toBeInstanceOf(torch.OutOfMemoryError);
    expect(e).toBeInstanceOf(torch.BackendError);
    return (e as Error).message;
  }
  return expect.fail('no error');
};

describe('impossible sizes (issue 10 item 7)', () => {
  it('one tensor over 4 GiB names its size and the limit, and does not say to dispose', async () => {
    const b = (await wasmSimd({ initialMemoryMB: 16 })) as WasmSimdBackend;
    const wasm = b.wasmMemoryBytes();
    const limit = 2 ** 32 - (b.metaBase + 131072);
    const m = message(() => b.alloc('float32', 2 ** 30));
    expect(m).toContain('a float32 tensor of 1073741824 elements (4294967296 bytes)');
    expect(m).toContain(`at most ${limit} bytes`);
    expect(m).toContain('disposing other tensors will not help');
    expect(m).not.toMatch(/dispose unused/);
    expect(b.maxTensorBytes).toBe(limit);
    // Through torch: core checks `maxTensorBytes` first where it knows it, else alloc does;
    // either way the error names the bytes and the limit.
    let t = '';
    try {
      torch.zeros([600_000_000], { dtype: 'float64', backend: b });
    } catch (e) {
      t = String(e);
    }
    expect(t).toContain('4800000000 bytes');
    expect(t).toContain(String(limit));
    expect(t).not.toMatch(/dispose unused/);
    // One byte more than the limit, and a bool tensor past the kernels' element count.
    expect(message(() => b.alloc('bool', limit + 1))).toContain(`at most ${limit} bytes`);
    expect(message(() => b.alloc('bool', 2 ** 31))).toContain(
      'a bool tensor of 2147483648 elements (2147483648 bytes): one tensor can hold at most 2147483647 elements',
    );
    expect(b.wasmMemoryBytes()).toBe(wasm);
  });

  it.skipIf(highMemoryRefused() !== undefined)(
    'running out with tensors alive says how much is in use and to dispose; freeing one makes room',
    async () => {
      const b = (await wasmSimd({ initialMemoryMB: 16 })) as WasmSimdBackend;
      // Never written, so never committed: 3.8 GB of address space, a few MB of RSS.
      const a = b.alloc('float32', 475_000_000);
      const c = b.alloc('float32', 475_000_000);
      const m = message(() => b.alloc('float32', 200_000_000));
      expect(m).toContain(
        'out of memory allocating a float32 tensor of 200000000 elements (800000000 bytes)',
      );
      expect(m).toMatch(/3800000\d\d\d bytes of the heap are in use/);
      expect(m).toContain('dispose unused tensors');
      b.free(a);
      const d = b.alloc('float32', 200_000_000);
      b.free(c);
      b.free(d);
    },
  );
});
