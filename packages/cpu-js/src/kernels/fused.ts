import type { FusedExpr, FusedProgram, Storage } from '@stepwise/core';
import { interpretFused } from '@stepwise/core';
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

function collectBufReads(e: FusedExpr, into: Set<number>): void {
  switch (e.op) {
    case 'buf':
      into.add(e.index);
      return;
    case 'scalar':
    case 'const':
    case 'local':
      return;
    case 'select':
      collectBufReads(e.cond, into);
      collectBufReads(e.a, into);
      collectBufReads(e.b, into);
      return;
    default:
      collectBufReads(e.a, into);
      if ('b' in e) collectBufReads(e.b, into);
  }
}

/**
 * The source of the loop for one program. Buffers that the body reads are loaded into
 * locals once per element; a `store` writes the buffer and updates that local with the
 * value as the buffer holds it (Math.fround for float32), which is exactly what a later
 * `buf` read of the reference semantics returns.
 */
export function fusedSource(program: FusedProgram, float32: boolean): string {
  const reads = new Set<number>();
  for (const st of program.body) collectBufReads(st.value, reads);
  const lines: string[] = [];
  lines.push('"use strict";');
  lines.push('function sgn(x) { return x > 0 ? 1 : x < 0 ? -1 : x; }');
  lines.push(`return function fused_${program.name.replace(/[^A-Za-z0-9_]/g, '_')}(buffers, scalars) {`);
  for (let i = 0; i < program.buffers.length; i++) lines.push(`  const B${i} = buffers[${i}].data;`);
  for (let i = 0; i < program.scalars.length; i++) lines.push(`  const s${i} = +scalars[${i}];`);
  lines.push(`  const n = ${program.buffers.length > 0 ? 'buffers[0].size' : '0'};`);
  // Locals live across elements, as in the reference interpreter (a well-formed program
  // binds each before reading it, so this only matters for exactness on odd programs).
  for (let i = 0; i < program.numLocals; i++) lines.push(`  let l${i} = 0;`);
  lines.push('  for (let i = 0; i < n; i++) {');
  for (const i of [...reads].sort((a, b) => a - b)) lines.push(`    let b${i} = B${i}[i];`);
  for (const st of program.body) {
    const v = expr(st.value);
    if (st.kind === 'let') lines.push(`    l${st.local} = ${v};`);
    else if (reads.has(st.buffer)) {
      lines.push(`    b${st.buffer} = ${float32 ? `Math.fround(${v})` : v};`);
      lines.push(`    B${st.buffer}[i] = b${st.buffer};`);
    } else lines.push(`    B${st.buffer}[i] = ${v};`);
  }
  lines.push('  }');
  lines.push('};');
  return lines.join('\n');
}

function interpreted(program: FusedProgram): CompiledFused {
  return (buffers, scalars) => {
    interpretFused(
      program,
      buffers.map((b) => dataOf(b) as Float32Array | Float64Array),
      scalars,
    );
  };
}

/**
 * Compiles a program into a JS function with `new Function`, or, where code generation is
 * forbidden (a Content-Security-Policy without 'unsafe-eval'), falls back to core's
 * reference interpreter — slower, same results.
 */
export function compileFused(program: FusedProgram, float32: boolean): CompiledFused {
  let factory: () => CompiledFused;
  try {
    factory = new Function(fusedSource(program, float32)) as () => CompiledFused;
  } catch (err) {
    if (err instanceof SyntaxError) throw err;
    return interpreted(program);
  }
  return factory();
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
