import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { type WebGPUBackend, WebGPUDeviceLostError, WebGPUOutOfMemoryError, webgpu } from '../src/index.js';
import { cpu, expectSame, gpu, pair, pairAlloc, randomValues, rng, viewOf } from './helpers.js';

// Module-level on purpose: Dawn crashes if its GPU object is collected while a device lives.
const dawn = create([]);

describe('runtime', () => {
  it('in-place elementwise (output aliasing an input) works', async () => {
    const x = await pair('float32', randomValues(100, rng(1)));
    const y = await pair('float32', randomValues(100, rng(2)));
    const g = await gpu();
    g.unary('exp', x.g, x.g);
    cpu.unary('exp', x.c, x.c);
    g.binary('add', viewOf(x.g, [100]), viewOf(y.g, [100]), x.g, [100]);
    cpu.binary('add', viewOf(x.c, [100]), viewOf(y.c, [100]), x.c, [100]);
    g.binaryScalar('mul', y.g, 3, y.g, false);
    cpu.binaryScalar('mul', y.c, 3, y.c, false);
    await expectSame(x, 'in-place x');
    await expectSame(y, 'in-place y');
  });

  it('a write after queued kernels does not overtake them', async () => {
    const g = await gpu();
    const a = await pair('float32', [1, 2, 3]);
    const out = await pairAlloc('float32', 3);
    g.binaryScalar('add', a.g, 1, out.g, false);
    g.write(a.g, new Float32Array([10, 20, 30]));
    cpu.binaryScalar('add', a.c, 1, out.c, false);
    await expectSame(out, 'ordered');
  });

  it('concurrent reads each see the work enqueued before them', async () => {
    const g = await gpu();
    const a = g.alloc('float32', 3);
    g.fill(a, 1);
    const first = g.read(a);
    g.binaryScalar('add', a, 1, a, false);
    const second = g.read(a);
    g.binaryScalar('add', a, 1, a, false);
    const [x, y, z] = await Promise.all([first, second, g.read(a)]);
    expect(Array.from(x)).toEqual([1, 1, 1]);
    expect(Array.from(y)).toEqual([2, 2, 2]);
    expect(Array.from(z)).toEqual([3, 3, 3]);
  });

  it('a freed buffer is reused (zeroed) by the next allocation of its size class', async () => {
    const g = (await gpu()) as WebGPUBackend;
    const s = g.alloc('float32', 1000);
    g.fill(s, 7);
    g.free(s);
    const before = g.buffersCreated;
    const t = g.alloc('float32', 900);
    expect(g.buffersCreated).toBe(before);
    expect(Array.from(await g.read(t)).every((v) => v === 0)).toBe(true);
    g.free(t);
  });

  it('memoryBytes counts live storages and returns to its value after free', async () => {
    const g = await gpu();
    const m0 = g.memoryBytes();
    const a = g.alloc('float32', 10);
    const b = g.alloc('bool', 10);
    expect(g.memoryBytes() - m0).toBe(50);
    g.free(a);
    g.free(b);
    expect(g.memoryBytes()).toBe(m0);
  });

  it('a tensor larger than the device binds is refused with a clear error', async () => {
    const g = await gpu();
    const e = (() => {
      try {
        g.alloc('float32', 2 ** 31);
      } catch (err) {
        return err as Error;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(WebGPUOutOfMemoryError);
    // Core's one class for every backend's allocation failures.
    expect(e).toBeInstanceOf(torch.OutOfMemoryError);
    expect(e).toBeInstanceOf(torch.BackendError);
    expect(e!.message).toContain('2147483648 elements of float32');
  });

  it('bool storages round-trip as Uint8Array 0/1', async () => {
    const g = await gpu();
    const s = g.alloc('bool', 5);
    g.write(s, new Uint8Array([0, 1, 2, 0, 255]));
    expect(Array.from(await g.read(s))).toEqual([0, 1, 1, 0, 1]);
  });

  it('device loss: reads and syncs reject with WebGPUDeviceLostError instead of hanging', async () => {
    const adapter = await dawn.requestAdapter();
    const device = await adapter!.requestDevice();
    const b = await webgpu({ device });
    const s = b.alloc('float32', 4);
    b.fill(s, 1);
    expect(Array.from(await b.read(s))).toEqual([1, 1, 1, 1]);
    device.destroy();
    await expect(b.read(s)).rejects.toBeInstanceOf(WebGPUDeviceLostError);
    await expect(b.sync()).rejects.toBeInstanceOf(WebGPUDeviceLostError);
    expect(() => b.alloc('float32', 4)).toThrow(/device was lost/);
  });

  it('a destroyed backend refuses further work with a clear error', async () => {
    const b = await webgpu();
    const s = b.alloc('float32', 4);
    b.fill(s, 2);
    expect(Array.from(await b.read(s))).toEqual([2, 2, 2, 2]);
    b.destroy!();
    expect(() => b.alloc('float32', 4)).toThrow(/destroyed/);
    await expect(b.read(s)).rejects.toBeInstanceOf(WebGPUDeviceLostError);
  });

  it('register makes webgpu the default backend', async () => {
    await import('../src/register.js');
    expect(torch.getBackend().name).toBe('webgpu');
    expect(torch.listBackends()).toContain('webgpu');
    const t = torch.tensor([1, 2, 3]).mul(2);
    expect(Array.from(await t.data())).toEqual([2, 4, 6]);
    expect(() => t.tolist()).toThrow(/await t\.data\(\)/);
    expect(() => torch.tensor([1], { dtype: 'float64' })).toThrow(/float64/);
  });
});
