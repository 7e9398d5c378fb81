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

/**
 * Emits JS for expressions. Subexpressions made only of scalars and constants are the
 * same for every element: they are computed once before the loop (deduplicated by their
 * source text). That is exact — the same operations on the same numbers — and spares the
 * loop the divisions an optimizer's step-size formula would otherwise repeat per element.
 */
class Emitter {
  readonly hoisted: string[] = [];
  private readonly hoistedByText = new Map<string, string>();

  expr(e: FusedExpr): string {
    const text = this.raw(e);
    if (e.op === 'scalar' || e.op === 'const' || !invariant(e)) return text;
    let name = this.hoistedByText.get(text);
    if (name === undefined) {
      name = `h${this.hoisted.length}`;
      this.hoisted.push(`  const ${name} = ${text};`);
      this.hoistedByText.set(text, name);
    }
    return name;
  }

  private raw(e: FusedExpr): string {
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
        return `(-${this.expr(e.a)})`;
      case 'sqrt':
        return `Math.sqrt(${this.expr(e.a)})`;
      case 'abs':
        return `Math.abs(${this.expr(e.a)})`;
      case 'sign':
        return `sgn(${this.expr(e.a)})`;
      case 'add':
        return `(${this.expr(e.a)} + ${this.expr(e.b)})`;
      case 'sub':
        return `(${this.expr(e.a)} - ${this.expr(e.b)})`;
      case 'mul':
        return `(${this.expr(e.a)} * ${this.expr(e.b)})`;
      case 'div':
        return `(${this.expr(e.a)} / ${this.expr(e.b)})`;
      case 'max':
        return `Math.max(${this.expr(e.a)}, ${this.expr(e.b)})`;
      case 'min':
        return `Math.min(${this.expr(e.a)}, ${this.expr(e.b)})`;
      case 'gt':
        return `(${this.expr(e.a)} > ${this.expr(e.b)} ? 1 : 0)`;
      case 'lt':
        return `(${this.expr(e.a)} < ${this.expr(e.b)} ? 1 : 0)`;
      case 'eq':
        return `(${this.expr(e.a)} === ${this.expr(e.b)} ? 1 : 0)`;
      case 'select':
        return `(${this.expr(e.cond)} !== 0 ? ${this.expr(e.a)} : ${this.expr(e.b)})`;
      default:
        throw new TypeError(`cpu-js fused: unknown expression op '${String((e as { op: unknown }).op)}'`);
    }
  }
}

/** True when an expression reads no buffer and no local: the same value for every element. */
function invariant(e: FusedExpr): boolean {
  switch (e.op) {
    case 'scalar':
    case 'const':
      return true;
    case 'buf':
    case 'local':
      return false;
    case 'select':
      return invariant(e.cond) && invariant(e.a) && invariant(e.b);
    default:
      return invariant(e.a) && (!('b' in e) || invariant(e.b));
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

function collectLocalReads(e: FusedExpr, into: Set<number>): void {
  switch (e.op) {
    case 'local':
      into.add(e.index);
      return;
    case 'buf':
    case 'scalar':
    case 'const':
      return;
    case 'select':
      collectLocalReads(e.cond, into);
      collectLocalReads(e.a, into);
      collectLocalReads(e.b, into);
      return;
    default:
      collectLocalReads(e.a, into);
      if ('b' in e) collectLocalReads(e.b, into);
  }
}

/** True when each local is bound by exactly one `let` and read only after it. */
function localsBoundOnceBeforeUse(program: FusedProgram): boolean {
  const bound = new Set<number>();
  for (const st of program.body) {
    const reads = new Set<number>();
    collectLocalReads(st.value, reads);
    for (const r of reads) if (!bound.has(r)) return false;
    if (st.kind === 'let') {
      if (bound.has(st.local)) return false;
      bound.add(st.local);
    }
  }
  return true;
}

/**
 * The source of the loop for one program. Buffers that the body reads are loaded into
 * locals once per element; a `store` writes the buffer and, when a later statement reads
 * that buffer again, updates its local with the value as the buffer holds it
 * (Math.fround for float32) — exactly what the reference semantics' `buf` read returns.
 *
 * Exported for inspection (PyTorch has no public equivalent; it plays the part of reading
 * the kernels TorchInductor generates for a `torch.compile`d optimizer step).
 */
export function fusedSource(program: FusedProgram, float32: boolean): string {
  const body = program.body;
  const readsAfter: Set<number>[] = new Array(body.length);
  const acc = new Set<number>();
  for (let k = body.length - 1; k >= 0; k--) {
    readsAfter[k] = new Set(acc);
    collectBufReads(body[k].value, acc);
  }
  const reads = acc;
  const inLoop = localsBoundOnceBeforeUse(program);
  const em = new Emitter();
  const loop: string[] = [];
  for (const i of [...reads].sort((a, b) => a - b)) loop.push(`    let b${i} = B${i}[i];`);
  for (let k = 0; k < body.length; k++) {
    const st = body[k];
    const v = em.expr(st.value);
    if (st.kind === 'let') loop.push(`    ${inLoop ? 'const ' : ''}l${st.local} = ${v};`);
    else if (readsAfter[k].has(st.buffer)) {
      loop.push(`    b${st.buffer} = ${float32 ? `Math.fround(${v})` : v};`);
      loop.push(`    B${st.buffer}[i] = b${st.buffer};`);
    } else loop.push(`    B${st.buffer}[i] = ${v};`);
  }
  const lines: string[] = [];
  lines.push('"use strict";');
  lines.push('function sgn(x) { return x > 0 ? 1 : x < 0 ? -1 : 0; }');
  lines.push(`return function fused_${program.name.replace(/[^A-Za-z0-9_]/g, '_')}(buffers, scalars) {`);
  for (let i = 0; i < program.buffers.length; i++) lines.push(`  const B${i} = buffers[${i}].data;`);
  for (let i = 0; i < program.scalars.length; i++) lines.push(`  const s${i} = +scalars[${i}];`);
  lines.push(...em.hoisted);
  lines.push(`  const n = ${program.buffers.length > 0 ? 'buffers[0].size' : '0'};`);
  // A program that binds every local once before reading it (all that defineFused makes)
  // gets block-scoped consts, which V8 keeps as unboxed doubles (a loop-carried `let`
  // starting at the small integer 0 measured 15% slower on Adam). Any other program keeps
  // its locals across elements, starting at 0, exactly as the reference interpreter does.
  if (!inLoop) for (let i = 0; i < program.numLocals; i++) lines.push(`  let l${i} = 0;`);
  lines.push('  for (let i = 0; i < n; i++) {');
  lines.push(...loop);
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
