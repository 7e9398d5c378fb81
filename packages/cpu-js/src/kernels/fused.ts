/**
 * Fused programs rendered as JS source: core lowers each program once (`lowerFused`:
 * hoisted scalars, reciprocals, access sets); this file only writes the lowered statements
 * as one loop and compiles it with `new Function`.
 */
import type { FusedExpr, FusedProgram, LoweredFused, Storage } from '@stepwise/core';
import { fusedScalars, interpretFused, lowerFused } from '@stepwise/core';
import { dataOf } from '../storage.js';

/** A compiled program: runs the body over every element of one tensor's buffers, in place. */
export type CompiledFused = (buffers: readonly Storage[], scalars: ArrayLike<number>) => void;

/** A JS number literal that round-trips exactly (including -0, NaN and the infinities). */
function literal(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return 'Infinity';
  if (v === Number.NEGATIVE_INFINITY) return '(-Infinity)';
  if (Object.is(v, -0)) return '(-0)';
  return v < 0 ? `(${String(v)})` : String(v);
}

function expr(e: FusedExpr): string {
  switch (e.op) {
    case 'buf':
      return `b${e.index}`;
    case 'scalar':
      return `s${e.index}`;
    case 'const':
      return literal(e.value);
    case 'local':
      return `l${e.index}`;
    case 'neg':
      return `(-${expr(e.a)})`;
    case 'sqrt':
      return `Math.sqrt(${expr(e.a)})`;
    case 'abs':
      return `Math.abs(${expr(e.a)})`;
    case 'sign':
      return `sgn(${expr(e.a)})`;
    case 'add':
      return `(${expr(e.a)} + ${expr(e.b)})`;
    case 'sub':
      return `(${expr(e.a)} - ${expr(e.b)})`;
    case 'mul':
      return `(${expr(e.a)} * ${expr(e.b)})`;
    case 'div':
      return `(${expr(e.a)} / ${expr(e.b)})`;
    case 'max':
      return `Math.max(${expr(e.a)}, ${expr(e.b)})`;
    case 'min':
      return `Math.min(${expr(e.a)}, ${expr(e.b)})`;
    case 'gt':
      return `(${expr(e.a)} > ${expr(e.b)} ? 1 : 0)`;
    case 'lt':
      return `(${expr(e.a)} < ${expr(e.b)} ? 1 : 0)`;
    case 'eq':
      return `(${expr(e.a)} === ${expr(e.b)} ? 1 : 0)`;
    case 'select':
      return `(${expr(e.cond)} !== 0 ? ${expr(e.a)} : ${expr(e.b)})`;
    default:
      throw new TypeError(`cpu-js fused: unknown expression op '${String((e as { op: unknown }).op)}'`);
  }
}

/**
 * The source of the loop for one lowered program, taking the buffers and all its scalars
 * (own, then derived). Buffers the body reads are held in locals: loaded at the top of the
 * element, and a store that a later statement reads updates its local with the value as
 * the buffer holds it (Math.fround for float32) — what the reference semantics' `buf` read
 * returns.
 *
 * Exported for inspection (PyTorch has no public equivalent; it plays the part of reading
 * the kernels TorchInductor generates for a `torch.compile`d optimizer step).
 */
export function fusedSource(program: FusedProgram | LoweredFused, float32: boolean): string {
  const low = 'numOwnScalars' in program ? program : lowerFused(program);
  const lines: string[] = [];
  lines.push('"use strict";');
  lines.push('function sgn(x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }');
  lines.push(`return function fused_${low.name.replace(/[^A-Za-z0-9_]/g, '_')}(buffers, scalars) {`);
  for (let i = 0; i < low.numBuffers; i++) lines.push(`  const B${i} = buffers[${i}].data;`);
  for (let i = 0; i < low.numScalars; i++) lines.push(`  const s${i} = +scalars[${i}];`);
  lines.push(`  const n = ${low.numBuffers > 0 ? 'buffers[0].size' : '0'};`);
  // A program that binds every local once before reading it (all that defineFused makes)
  // gets block-scoped consts, which V8 keeps as unboxed doubles (a loop-carried `let`
  // starting at the small integer 0 measured 15% slower on Adam). Any other program keeps
  // its locals across elements, starting at 0, exactly as the reference interpreter does.
  if (!low.localsInLoop) for (let i = 0; i < low.numLocals; i++) lines.push(`  let l${i} = 0;`);
  lines.push('  for (let i = 0; i < n; i++) {');
  for (const i of low.reads)
    lines.push(low.loads.includes(i) ? `    let b${i} = B${i}[i];` : `    let b${i};`);
  for (const st of low.body) {
    const v = expr(st.value);
    if (st.kind === 'let') lines.push(`    ${low.localsInLoop ? 'const ' : ''}l${st.local} = ${v};`);
    else if (st.reread) {
      lines.push(`    b${st.buffer} = ${float32 ? `Math.fround(${v})` : v};`);
      lines.push(`    B${st.buffer}[i] = b${st.buffer};`);
    } else lines.push(`    B${st.buffer}[i] = ${v};`);
  }
  lines.push('  }');
  lines.push('};');
  return lines.join('\n');
}

/**
 * Compiles a program into a JS function with `new Function`, or, where code generation is
 * forbidden (a Content-Security-Policy without 'unsafe-eval'), falls back to core's
 * reference interpreter — slower, same results. Takes the program's own scalars.
 */
export function compileFused(program: FusedProgram, float32: boolean): CompiledFused {
  const low = lowerFused(program);
  let loop: CompiledFused;
  try {
    loop = (new Function(fusedSource(low, float32)) as () => CompiledFused)();
  } catch (err) {
    if (err instanceof SyntaxError) throw err;
    return (buffers, scalars) => {
      interpretFused(
        program,
        buffers.map((b) => dataOf(b) as Float32Array | Float64Array),
        scalars,
      );
    };
  }
  return (buffers, scalars) => loop(buffers, fusedScalars(low, scalars));
}

/** Compiled programs cached per program object, then per key, one per float dtype. */
export class FusedCache {
  private readonly byObject = new WeakMap<FusedProgram, [CompiledFused | null, CompiledFused | null]>();
  private readonly byKey = new Map<string, [CompiledFused | null, CompiledFused | null]>();

  get(program: FusedProgram, float32: boolean): CompiledFused {
    let entry = this.byObject.get(program);
    if (entry === undefined) {
      entry = this.byKey.get(program.key);
      if (entry === undefined) {
        entry = [null, null];
        this.byKey.set(program.key, entry);
      }
      this.byObject.set(program, entry);
    }
    const slot = float32 ? 0 : 1;
    let fn = entry[slot];
    if (fn === null) {
      fn = compileFused(program, float32);
      entry[slot] = fn;
    }
    return fn;
  }
}
