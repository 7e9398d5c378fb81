/**
 * The reference interpreter: `interpretFused` runs the lowered program over host typed
 * arrays exactly as the backends' compiled forms do (cpu-js is bit-identical to it; float32
 * backends computing in f32 agree within rounding).
 */
import { evalFusedExpr } from './evaluate.js';
import { fusedScalars, lowerFused } from './lower.js';
import type { FusedProgram } from './program.js';

/**
 * Runs a program in place on host typed arrays (one tensor's buffers, in the program's
 * order, and its scalars): a slow loop with the reference semantics. Backends test their
 * compiled forms against it; cpu-js falls back to it where code generation is forbidden
 * (a Content-Security-Policy without 'unsafe-eval').
 */
export function interpretFused(
  program: FusedProgram,
  bufs: readonly (Float32Array | Float64Array)[],
  scalars: ArrayLike<number>,
): void {
  const lowered = lowerFused(program);
  const all = fusedScalars(lowered, scalars);
  const n = bufs[0]?.length ?? 0;
  const locals = new Array<number>(lowered.numLocals).fill(0);
  for (let i = 0; i < n; i++) {
    for (const st of lowered.body) {
      const v = evalFusedExpr(st.value, bufs, i, all, locals);
      if (st.kind === 'let') locals[st.local] = v;
      else bufs[st.buffer]![i] = v;
    }
  }
}
