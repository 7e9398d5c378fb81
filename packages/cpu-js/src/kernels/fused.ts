/**
 * Fused programs rendered as JS source: core lowers each program once (`lowerFused`:
 * hoisted scalars, reciprocals, access sets); this file only writes the lowered statements
 * as one loop and compiles it with `new Function`.
 */
import type {
  FusedBinaryOp,
  FusedExpr,
  FusedProgram,
  FusedUnaryOp,
  LoweredFused,
  Storage,
} from '@stepwise/core';
import { fusedScalars, fusedSpecial, interpretFused, lowerFused } from '@stepwise/core';
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

/** How each unary op of the language is written in JS (`x` stands for the operand). */
const UNARY_JS: Record<FusedUnaryOp, (x: string) => string> = {
  neg: (x) => `(-${x})`,
  sqrt: (x) => `Math.sqrt(${x})`,
  abs: (x) => `Math.abs(${x})`,
  sign: (x) => `sgn(${x})`,
  exp: (x) => `Math.exp(${x})`,
  log: (x) => `Math.log(${x})`,
  expm1: (x) => `Math.expm1(${x})`,
  log1p: (x) => `Math.log1p(${x})`,
  sin: (x) => `Math.sin(${x})`,
  cos: (x) => `Math.cos(${x})`,
  tan: (x) => `Math.tan(${x})`,
  asin: (x) => `Math.asin(${x})`,
  acos: (x) => `Math.acos(${x})`,
  atan: (x) => `Math.atan(${x})`,
  sinh: (x) => `Math.sinh(${x})`,
  cosh: (x) => `Math.cosh(${x})`,
  tanh: (x) => `Math.tanh(${x})`,
  asinh: (x) => `Math.asinh(${x})`,
  acosh: (x) => `Math.acosh(${x})`,
  atanh: (x) => `Math.atanh(${x})`,
  erf: (x) => `erf(${x})`,
  erfinv: (x) => `erfinv(${x})`,
  floor: (x) => `Math.floor(${x})`,
  ceil: (x) => `Math.ceil(${x})`,
  trunc: (x) => `Math.trunc(${x})`,
  round: (x) => `rne(${x})`,
  isnan: (x) => `(Number.isNaN(${x}) ? 1 : 0)`,
  isinf: (x) => `(Math.abs(${x}) === Infinity ? 1 : 0)`,
};

/** Elements per iteration of a compiled program's main loop (see `fusedSource`). */
const UNROLL = 8;

/** How each binary op is written in JS. */
const BINARY_JS: Record<FusedBinaryOp, (a: string, b: string) => string> = {
  add: (a, b) => `(${a} + ${b})`,
  sub: (a, b) => `(${a} - ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  max: (a, b) => `Math.max(${a}, ${b})`,
  min: (a, b) => `Math.min(${a}, ${b})`,
  gt: (a, b) => `(${a} > ${b} ? 1 : 0)`,
  lt: (a, b) => `(${a} < ${b} ? 1 : 0)`,
  eq: (a, b) => `(${a} === ${b} ? 1 : 0)`,
  ge: (a, b) => `(${a} >= ${b} ? 1 : 0)`,
  le: (a, b) => `(${a} <= ${b} ? 1 : 0)`,
  atan2: (a, b) => `Math.atan2(${a}, ${b})`,
  fmod: (a, b) => `(${a} % ${b})`,
  hypot: (a, b) => `Math.hypot(${a}, ${b})`,
};

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
    case 'select':
      return `(${expr(e.cond)} !== 0 ? ${expr(e.a)} : ${expr(e.b)})`;
    default: {
      if ('b' in e) {
        const f = BINARY_JS[e.op];
        if (f) return f(expr(e.a), expr(e.b));
      } else {
        const f = UNARY_JS[e.op];
        if (f) return f(expr(e.a));
      }
      throw new TypeError(`cpu-js fused: unknown expression op '${String((e as { op: unknown }).op)}'`);
    }
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
  // The element body, for index `k`. V8 reloads each typed array's length and data
  // pointer on every iteration of a loop whose arrays are parameters (the loop's interrupt
  // check may move them), so the main loop does UNROLL elements per iteration: measured
  // 1.7–2.1× on a three-buffer body over 20,000 float32 (Node 20). Elements still run in
  // order, so a program whose locals carry across elements is unchanged.
  const body = (k: string, indent: string) => {
    for (const i of low.reads)
      lines.push(low.loads.includes(i) ? `${indent}let b${i} = B${i}[${k}];` : `${indent}let b${i};`);
    for (const st of low.body) {
      const v = expr(st.value);
      if (st.kind === 'let') lines.push(`${indent}${low.localsInLoop ? 'const ' : ''}l${st.local} = ${v};`);
      else if (st.reread) {
        lines.push(`${indent}b${st.buffer} = ${float32 ? `Math.fround(${v})` : v};`);
        lines.push(`${indent}B${st.buffer}[${k}] = b${st.buffer};`);
      } else lines.push(`${indent}B${st.buffer}[${k}] = ${v};`);
    }
  };
  lines.push('  let i = 0;');
  lines.push(`  for (const end = n - (n % ${UNROLL}); i < end; i += ${UNROLL}) {`);
  for (let u = 0; u < UNROLL; u++) {
    lines.push(`    {`, `      const k = i + ${u};`);
    body('k', '      ');
    lines.push('    }');
  }
  lines.push('  }');
  lines.push('  for (; i < n; i++) {');
  body('i', '    ');
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
    // The functions Math lacks come in as arguments: core's definitions (fused/special.ts).
    const make = new Function('erf', 'erfinv', 'rne', fusedSource(low, float32)) as (
      ...fns: ((x: number) => number)[]
    ) => CompiledFused;
    loop = make(fusedSpecial.erf, fusedSpecial.erfinv, fusedSpecial.roundHalfEven);
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
