/** Waiting on the GPU keeps nothing per call on `device.lost`, and a loss still rejects what waits. */
import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { type WebGPUBackend, WebGPUDeviceLostError, webgpu } from '../src/index.js';

// Module-level on purpose: Dawn crashes if its GPU object is collected while a device lives.
const dawn = create([]);

/**
 * A device whose `lost` promise counts the reactions attached to it. `device.lost` settles
 * only when the device goes, so each reaction stays for the device's life: a count that
 * grows with the number of reads is a leak.
 */
async function countingDevice(): Promise<{ device: GPUDevice; reactions: () => number }> {
  const adapter = await dawn.requestAdapter();
  const device = await adapter!.requestDevice();
  const lost = device.lost.then((info) => info);
  let reactions = 0;
  const then = lost.then.bind(lost);
  // biome-ignore lint/suspicious/noThenProperty: the test counts what is attached to this promise
  lost.then = ((onFulfilled, onRejected) => {
    reactions++;
    return then(onFulfilled, onRejected);
  }) as typeof lost.then;
  Object.defineProperty(device, 'lost', { value: lost, configurable: true });
  return { device, reactions: () => reactions };
}

describe('device loss', () => {
  it('reads and syncs leave no reaction behind on device.lost (one listener for the device)', async () => {
    const { device, reactions } = await countingDevice();
    const b = (await webgpu({ device })) as WebGPUBackend;
    const s = b.alloc('float32', 4);
    b.fill(s, 1);
    const before = reactions();
    for (let i = 0; i < 300; i++) {
      await b.read(s);
      await b.sync();
    }
    expect(reactions() - before).toBe(0);
    expect(reactions()).toBeLessThanOrEqual(1);
    expect(b.resources().pendingWaits).toBe(0);
    device.destroy();
  });

  it('a read in flight when the device is lost rejects with WebGPUDeviceLostError', async () => {
    const { device } = await countingDevice();
    const b = (await webgpu({ device })) as WebGPUBackend;
    const s = b.alloc('float32', 1 << 16);
    b.fill(s, 1);
    const reads = [b.read(s), b.read(s), b.sync()];
    device.destroy();
    for (const r of reads) {
      // Either outcome is allowed for work that finished before the loss; none may hang.
      await r.catch((e: unknown) => expect(e).toBeInstanceOf(WebGPUDeviceLostError));
    }
    await expect(b.read(s)).rejects.toBeInstanceOf(WebGPUDeviceLostError);
    expect(b.resources().pendingWaits).toBe(0);
  });
});
