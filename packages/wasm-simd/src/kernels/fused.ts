/**
 * Fused elementwise programs (optimizer updates): each program is compiled once per dtype
 * into a tiny wasm module (src/fused/compileFused.ts); a call writes each tensor's buffer
 * pointers and scalars (the program's own, then the derived ones core's lowering adds)
 * into the argument block and runs it, split across the pool from PAR_FUSED_ELEMENTS
 * elements per tensor (smaller ones run on the calling thread).
 */
import {
  bytesPerElement,
  type DType,
  type FusedProgram,
  type FusedTensorArgs,
  fusedScalars,
  isFloat,
  lowerFused,
} from '@stepwise/core';
import { compileFused, fusedModuleBytes, scalarsOffset } from '../fused/compileFused.js';
import {
  type CompiledFused,
  FUSED_ARGS,
  PAR_FUSED_ELEMENTS,
  type Runtime,
  THREAD_ARGS,
  THREAD_ARGS_STRIDE,
} from '../runtime.js';
import { ws } from '../storage.js';

export function fused(rt: Runtime, program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
  const low = lowerFused(program);
  const nb = low.numBuffers;
  const ns = low.numScalars;
  const args = rt.meta + FUSED_ARGS;
  const sOff = (args + scalarsOffset(nb)) >>> 3;
  for (let t = 0; t < tensors.length; t++) {
    const ta = tensors[t];
    const bufs = ta.buffers;
    if (bufs.length === 0) continue;
    const first = ws(bufs[0]);
    if (first.size === 0) continue;
    const { run, id } = compiled(rt, program, first.dtype);
    // Views after compiling: a first compile may allocate (and so grow the memory).
    const i32 = rt.i32;
    const f64 = rt.f64;
    for (let i = 0; i < nb; i++) i32[(args >>> 2) + i] = ws(bufs[i]).ptr;
    const sc = fusedScalars(low, ta.scalars);
    for (let i = 0; i < ns; i++) f64[sOff + i] = sc[i];
    const pool = rt.poolFor(first.size, PAR_FUSED_ELEMENTS);
    if (pool) {
      rt.runJob(pool, 'fused', {
        id,
        numBuffers: nb,
        n: first.size,
        esz: bytesPerElement(first.dtype),
        args,
        scalarsOffset: scalarsOffset(nb),
        numScalars: ns,
        perThread: rt.meta + THREAD_ARGS,
        perThreadStride: THREAD_ARGS_STRIDE,
      });
    } else run(args, first.size);
  }
}

/** The program compiled for `dtype`, here and (with a pool) in every worker, under one id. */
function compiled(rt: Runtime, program: FusedProgram, dtype: DType): CompiledFused {
  let perProgram = rt.fusedByProgram.get(program);
  const hit = perProgram?.[dtype];
  if (hit) return hit;
  if (!perProgram) rt.fusedByProgram.set(program, (perProgram = {}));
  const key = `${dtype}|${program.key}`;
  let entry = rt.fusedByKey.get(key);
  if (entry) return (perProgram[dtype] = entry);
  if (!isFloat(dtype)) {
    throw new TypeError(`wasm-simd: fused program '${program.name}' needs float buffers, got ${dtype}`);
  }
  const fdt = dtype as 'float32' | 'float64';
  // A shared memory (threads, even after destroy() stopped them) needs shared imports.
  const shared = typeof SharedArrayBuffer !== 'undefined' && rt.memory.buffer instanceof SharedArrayBuffer;
  const run = compileFused(program, fdt, rt.memory, shared, rt.k);
  entry = { run, id: 0 };
  const pool = rt.pool;
  if (pool) {
    // Every worker compiles the same bytes (read from the shared memory) under one id.
    const bytes = fusedModuleBytes(program, fdt, true);
    const ptr = rt.heap.alloc(bytes.length);
    rt.u8.set(bytes, ptr);
    entry.id = pool.newProgramId();
    try {
      rt.runJob(pool, 'compile', { id: entry.id, ptr, bytes: bytes.length });
    } finally {
      rt.heap.free(ptr, bytes.length);
    }
    rt.fusedById.set(entry.id, run);
  }
  rt.fusedByKey.set(key, entry);
  perProgram[dtype] = entry;
  return entry;
}
