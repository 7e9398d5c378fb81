/**
 * Checkpoint bytes for the suites that save, load and damage them (`serialize`, `fuzz`,
 * `lrScheduler`, `schedulerFuzz`): saving on any backend, and the header and data section
 * of the format, read and written by hand.
 */

import * as torch from '@stepwise/core';
import type { ConformanceContext } from './context.js';

/** torch.save where the backend reads synchronously, torch.saveAsync elsewhere. */
export async function saveAny(ctx: ConformanceContext, obj: unknown): Promise<Uint8Array> {
  return ctx.syncReads ? torch.save(obj) : torch.saveAsync(obj);
}

/** A checkpoint's JSON header and its data section. */
export function headerOf(bytes: Uint8Array): { json: any; data: Uint8Array } {
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(12, true);
  return {
    json: JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + len))),
    data: bytes.subarray(16 + len),
  };
}

/** A checkpoint with `h` as its header and `data` as its data section. */
export function withHeader(h: unknown, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(h));
  const out = new Uint8Array(16 + json.length + data.length);
  out.set(new TextEncoder().encode('STEPWISE'));
  const v = new DataView(out.buffer);
  v.setUint32(8, 1, true);
  v.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(data, 16 + json.length);
  return out;
}
