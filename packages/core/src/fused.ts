/**
 * Fused elementwise programs: how an optimizer update reaches a backend as one pass.
 *
 * Decision (made once, applied to every optimizer and backend): optimizers are written in
 * core as a tiny expression program over per-element buffers (param, grad, state) and
 * per-tensor scalars (lr, bias corrections, ... computed on the host each step). Each
 * backend compiles a program once — JS source for cpu-js, a SIMD loop for wasm-simd, a
 * WGSL shader for webgpu — and runs it in place with no allocation. One compiler per
 * backend instead of one hand-written kernel per optimizer per backend; a new optimizer
 * needs no backend work.
 *
 * Semantics, per element, statements in order:
 *  - `buf i` reads the current value of buffer i at this element (after any earlier
 *    `store` to it in this program, rounded to the buffer's dtype);
 *  - `let` binds a local; `store` writes a buffer;
 *  - locals are computed in at least the buffers' precision (cpu-js uses float64 JS
 *    numbers; float32 backends may use f32): the difference stays within float rounding.
 *  - comparisons give 1 or 0; `select(c, a, b)` is `c != 0 ? a : b`; `max`/`min`
 *    propagate NaN; `sign(x)` is 0 for 0, -0 and NaN (as torch.sign).
 */

export type FusedUnaryOp = 'neg' | 'sqrt' | 'abs' | 'sign';
export type FusedBinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min' | 'gt' | 'lt' | 'eq';

export type FusedExpr =
  | { readonly op: 'buf'; readonly index: number }
  | { readonly op: 'scalar'; readonly index: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'local'; readonly index: number }
  | { readonly op: FusedUnaryOp; readonly a: FusedExpr }
  | { readonly op: FusedBinaryOp; readonly a: FusedExpr; readonly b: FusedExpr }
  | { readonly op: 'select'; readonly cond: FusedExpr; readonly a: FusedExpr; readonly b: FusedExpr };

export type FusedStatement =
  | { readonly kind: 'let'; readonly local: number; readonly value: FusedExpr }
  | { readonly kind: 'store'; readonly buffer: number; readonly value: FusedExpr };

export interface FusedProgram {
  /** A cache key: equal keys mean equal programs. */
  readonly key: string;
  /** A readable name (for errors and profiles), e.g. 'adam'. */
  readonly name: string;
  /** Names of the per-element buffers, in the order `FusedTensorArgs.buffers` gives them. */
  readonly buffers: readonly string[];
  /** Names of the scalars, in the order `FusedTensorArgs.scalars` gives them. */
  readonly scalars: readonly string[];
  readonly numLocals: number;
  readonly body: readonly FusedStatement[];
}

const unaryOps: readonly FusedUnaryOp[] = ['neg', 'sqrt', 'abs', 'sign'];

/** An expression under construction; numbers stand for constants. */
export class Ex {
  constructor(readonly node: FusedExpr) {}
  add(b: Ex | number): Ex {
    return bin('add', this, b);
  }
  sub(b: Ex | number): Ex {
    return bin('sub', this, b);
  }
  mul(b: Ex | number): Ex {
    return bin('mul', this, b);
  }
  div(b: Ex | number): Ex {
    return bin('div', this, b);
  }
  max(b: Ex | number): Ex {
    return bin('max', this, b);
  }
  min(b: Ex | number): Ex {
    return bin('min', this, b);
  }
  gt(b: Ex | number): Ex {
    return bin('gt', this, b);
  }
  lt(b: Ex | number): Ex {
    return bin('lt', this, b);
  }
  eq(b: Ex | number): Ex {
    return bin('eq', this, b);
  }
  neg(): Ex {
    return new Ex({ op: 'neg', a: this.node });
  }
  sqrt(): Ex {
    return new Ex({ op: 'sqrt', a: this.node });
  }
  abs(): Ex {
    return new Ex({ op: 'abs', a: this.node });
  }
  sign(): Ex {
    return new Ex({ op: 'sign', a: this.node });
  }
  square(): Ex {
    return this.mul(this);
  }
  /** `this + w * (end - this)`, as torch.lerp. */
  lerp(end: Ex | number, w: Ex | number): Ex {
    return this.add(lift(end).sub(this).mul(w));
  }
  /** `cond != 0 ? a : b`. */
  static select(cond: Ex, a: Ex | number, b: Ex | number): Ex {
    return new Ex({ op: 'select', cond: cond.node, a: lift(a).node, b: lift(b).node });
  }
}

function lift(x: Ex | number): Ex {
  return typeof x === 'number' ? new Ex({ op: 'const', value: x }) : x;
}

function bin(op: FusedBinaryOp, a: Ex, b: Ex | number): Ex {
  return new Ex({ op, a: a.node, b: lift(b).node });
}

/** What the body callback of `defineFused` receives. */
export interface FusedBuilder<B extends string, S extends string> {
  readonly buf: Readonly<Record<B, Ex>>;
  readonly s: Readonly<Record<S, Ex>>;
  /** Binds `e` to a local so later uses read it instead of recomputing it. */
  let(e: Ex): Ex;
  store(buffer: B, e: Ex | number): void;
}

/**
 * Builds a program. Build each distinct program once (per optimizer configuration) and
 * keep it: backends cache their compiled form by `key`.
 */
export function defineFused<B extends string, S extends string>(
  name: string,
  buffers: readonly B[],
  scalars: readonly S[],
  body: (b: FusedBuilder<B, S>) => void,
): FusedProgram {
  const statements: FusedStatement[] = [];
  let numLocals = 0;
  const buf = Object.fromEntries(buffers.map((n, index) => [n, new Ex({ op: 'buf', index })])) as Record<
    B,
    Ex
  >;
  const s = Object.fromEntries(scalars.map((n, index) => [n, new Ex({ op: 'scalar', index })])) as Record<
    S,
    Ex
  >;
  body({
    buf,
    s,
    let(e) {
      const local = numLocals++;
      statements.push({ kind: 'let', local, value: e.node });
      return new Ex({ op: 'local', index: local });
    },
    store(name, e) {
      const buffer = buffers.indexOf(name);
      statements.push({ kind: 'store', buffer, value: lift(e).node });
    },
  });
  const shape = JSON.stringify({ buffers: buffers.length, scalars: scalars.length, statements });
  return { key: `${name}:${shape}`, name, buffers, scalars, numLocals, body: statements };
}

/** Host evaluation of one expression (the reference semantics; used by tests and interpreters). */
export function evalFusedExpr(
  e: FusedExpr,
  bufs: readonly { [i: number]: number }[],
  i: number,
  scalars: ArrayLike<number>,
  locals: number[],
): number {
  switch (e.op) {
    case 'buf':
      return bufs[e.index]![i]!;
    case 'scalar':
      return scalars[e.index]!;
    case 'const':
      return e.value;
    case 'local':
      return locals[e.index]!;
    case 'select':
      return evalFusedExpr(e.cond, bufs, i, scalars, locals) !== 0
        ? evalFusedExpr(e.a, bufs, i, scalars, locals)
        : evalFusedExpr(e.b, bufs, i, scalars, locals);
    default: {
      const a = evalFusedExpr(e.a, bufs, i, scalars, locals);
      if ((unaryOps as readonly string[]).includes(e.op)) return applyFusedUnary(e.op as FusedUnaryOp, a);
      const b = evalFusedExpr((e as { b: FusedExpr }).b, bufs, i, scalars, locals);
      return applyFusedBinary(e.op as FusedBinaryOp, a, b);
    }
  }
}

export function applyFusedUnary(op: FusedUnaryOp, a: number): number {
  switch (op) {
    case 'neg':
      return -a;
    case 'sqrt':
      return Math.sqrt(a);
    case 'abs':
      return Math.abs(a);
    case 'sign':
      return a > 0 ? 1 : a < 0 ? -1 : 0; // NaN and -0 give 0, as torch.sign
  }
}

export function applyFusedBinary(op: FusedBinaryOp, a: number, b: number): number {
  switch (op) {
    case 'add':
      return a + b;
    case 'sub':
      return a - b;
    case 'mul':
      return a * b;
    case 'div':
      return a / b;
    case 'max':
      return Math.max(a, b);
    case 'min':
      return Math.min(a, b);
    case 'gt':
      return a > b ? 1 : 0;
    case 'lt':
      return a < b ? 1 : 0;
    case 'eq':
      return a === b ? 1 : 0;
  }
}

/**
 * Runs a program on host typed arrays with the reference semantics (a slow interpreter).
 * Backends use it to test their compiled form; cpu-js may fall back to it where code
 * generation is forbidden (a Content-Security-Policy without 'unsafe-eval').
 */
export function interpretFused(
  program: FusedProgram,
  bufs: readonly (Float32Array | Float64Array)[],
  scalars: ArrayLike<number>,
): void {
  const n = bufs[0]?.length ?? 0;
  const locals = new Array<number>(program.numLocals).fill(0);
  for (let i = 0; i < n; i++) {
    for (const st of program.body) {
      const v = evalFusedExpr(st.value, bufs, i, scalars, locals);
      if (st.kind === 'let') locals[st.local] = v;
      else bufs[st.buffer]![i] = v;
    }
  }
}
