/**
 * What the backend holds on the GPU stays bounded (README, "Memory"): idle buffers by count
 * and bytes, bind groups by the buffers that own them rather than by every combination of
 * buffers a program binds, evicted buffers destroyed once no recorded command uses them.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { type WebGPUBackend, webgpu } from '../src/index.js';
import { gpu, viewOf } from './helpers.js';

// Module-level on purpose: Dawn crashes if its GPU object is collected while a device lives.
const dawn = create([]);

/** Memory mappings of this process (Linux): lavapipe maps each bind group's descriptor set. */
function mappings(): number | null {
  if (!existsSync('/proc/self/maps')) return null;
  return readFileSync('/proc/self/maps', 'utf8').split('\n').length;
}

describe('GPU resources stay bounded', () => {
  it('binding 60 buffers in 3,540 combinations creates a bind group per buffer, not per combination', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const n = 60;
    const ins = Array.from({ length: n }, (_, i) => {
      const s = b.alloc('float32', 64);
      b.fill(s, i);
      return s;
    });
    const outs = Array.from({ length: n }, () => b.alloc('float32', 64));
    // Compiled, and the descriptor pools of its layouts made, before counting (on lavapipe a
    // pool maps all its 256-512 descriptor sets at once).
    b.binary('add', viewOf(outs[0]!, [64]), viewOf(outs[1]!, [64]), outs[2]!, [64]);
    await b.sync();
    const created = b.resources().bindGroupsCreated;
    const maps = mappings();
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        if (i !== j) b.binary('add', viewOf(ins[i]!, [64]), viewOf(ins[j]!, [64]), outs[i]!, [64]);
      }
    }
    await b.sync();
    expect(Array.from(await b.read(outs[0]!))[0]).toBe(n - 1);
    // A group per buffer and place (first input, with the parameters; second input; output):
    // at most 3n, where one per combination was n(n - 1).
    expect(b.resources().bindGroupsCreated - created).toBeLessThanOrEqual(3 * n);
    const after = mappings();
    if (maps !== null && after !== null) expect(after - maps).toBeLessThan(1000);
    for (const s of [...ins, ...outs]) b.free(s);
  });

  it('freeing 3,000 storages keeps 1,024 idle and destroys the rest once the work using them is submitted', async () => {
    const adapter = await dawn.requestAdapter();
    const device = await adapter!.requestDevice();
    let destroyed = 0;
    const createBuffer = device.createBuffer.bind(device);
    device.createBuffer = (desc: GPUBufferDescriptor) => {
      const buf = createBuffer(desc);
      const destroy = buf.destroy.bind(buf);
      buf.destroy = () => {
        destroyed++;
        destroy();
      };
      return buf;
    };
    const b = (await webgpu({ device })) as WebGPUBackend;
    const ss = Array.from({ length: 3000 }, () => b.alloc('float32', 16));
    for (const s of ss) b.fill(s, 1); // recorded, not yet submitted: the buffers are in use
    for (const s of ss) b.free(s);
    const r = b.resources();
    expect(r.idleBuffers).toBe(1024);
    expect(r.idleBytes).toBe(1024 * 256);
    // Destroying a buffer the open command encoder uses would make its submit invalid.
    expect(destroyed).toBe(0);
    await b.sync(); // would throw the validation error of a destroyed buffer in the submit
    expect(destroyed).toBe(3000 - 1024);
    // With nothing recorded, an evicted buffer is destroyed at once: 10 more of another
    // bucket push out the 10 least recently freed.
    const extra = Array.from({ length: 10 }, () => b.alloc('float32', 100));
    for (const s of extra) b.free(s);
    expect(destroyed).toBe(3000 - 1024 + 10);
    expect(b.resources().bindGroups).toBeLessThanOrEqual(1024 * 3 + 16);
    b.destroy();
    device.destroy();
  });

  it('a long training loop keeps the same buffers and bind groups (pooled, owned by buffers)', async () => {
    const b = (await gpu()) as WebGPUBackend;
    const x = b.alloc('float32', 256);
    b.fill(x, 1);
    const step = () => {
      const t = b.alloc('float32', 256);
      b.binaryScalar('mul', x, 2, t, false);
      const u = b.alloc('float32', 256);
      b.binary('add', viewOf(t, [256]), viewOf(x, [256]), u, [256]);
      b.free(t);
      b.free(u);
    };
    for (let i = 0; i < 10; i++) step();
    await b.sync();
    const r0 = b.resources();
    for (let i = 0; i < 2000; i++) step();
    await b.sync();
    const r1 = b.resources();
    expect(r1.buffersCreated).toBe(r0.buffersCreated);
    expect(r1.bindGroupsCreated).toBe(r0.bindGroupsCreated);
    b.free(x);
  });
});
