/**
 * Fused elementwise programs: how an optimizer update reaches a backend as one pass.
 *
 * Decision (made once, applied to every optimizer and backend): optimizers are written in
 * core as a tiny expression program over per-element buffers (param, grad, state) and
 * per-tensor scalars (lr, bias corrections, ... computed on the host each step). Core lowers
 * a program once (`lower.ts`: invariant hoisting, the reciprocal rewrite, read/store sets);
 * each backend only renders the lowered form — JS source for cpu-js, a SIMD loop for
 * wasm-simd, a WGSL shader for webgpu — and runs it in place with no allocation. A new
 * optimizer needs no backend work; a backend without `fused` gets core's composed fallback.
 *
 * Semantics, per element, statements in order:
 *  - `buf` reads the current value of a buffer at this element (after any earlier `store`
 *    to it in this program, rounded to the buffer's dtype);
 *  - `let` binds a local; `store` writes a buffer;
 *  - locals are computed in at least the buffers' precision (cpu-js uses float64 JS
 *    numbers; float32 backends may use f32): the difference stays within float rounding;
 *  - comparisons give 1 or 0; `select(c, a, b)` is `c != 0 ? a : b`; `max`/`min`
 *    propagate NaN; `sign(x)` is 0 for 0, -0 and NaN (as torch.sign);
 *  - the math functions are C's (`fmod`, `atan2`, `hypot`, `expm1`, ...), `round` rounds
 *    half to even (C's nearbyint, torch.round), `erf`/`erfinv` are torch's, and
 *    `isnan`/`isinf` give 1 or 0. Their meaning on JS numbers is `evaluate.ts`; float32
 *    backends may compute them in f32 within PyTorch's float32 tolerance.
 * Lowering fixes the rest of the numerics for every backend alike: see `lower.ts`.
 */

/** Unary ops of the language (the first four are the optimizers' original set). */
export const FUSED_UNARY_OPS = [
  'neg',
  'sqrt',
  'abs',
  'sign',
  'exp',
  'log',
  'expm1',
  'log1p',
  'sin',
  'cos',
  'tan',
  'asin',
  'acos',
  'atan',
  'sinh',
  'cosh',
  'tanh',
  'asinh',
  'acosh',
  'atanh',
  'erf',
  'erfinv',
  'floor',
  'ceil',
  'trunc',
  'round',
  'isnan',
  'isinf',
] as const;
/** A unary op of the fused-program language. */
export type FusedUnaryOp = (typeof FUSED_UNARY_OPS)[number];

/** Binary ops of the language. */
export const FUSED_BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'max',
  'min',
  'gt',
  'lt',
  'eq',
  'ge',
  'le',
  'atan2',
  'fmod',
  'hypot',
] as const;
/** A binary op of the fused-program language. */
export type FusedBinaryOp = (typeof FUSED_BINARY_OPS)[number];

const unaryOps: ReadonlySet<string> = new Set(FUSED_UNARY_OPS);

/** True for the node kinds that take one operand (`a`). */
export function isFusedUnary(op: string): op is FusedUnaryOp {
  return unaryOps.has(op);
}

/** One expression node; `buf`, `scalar` and `local` name their operand by index. */
export type FusedExpr =
  | { readonly op: 'buf'; readonly index: number }
  | { readonly op: 'scalar'; readonly index: number }
  | { readonly op: 'const'; readonly value: number }
  | { readonly op: 'local'; readonly index: number }
  | { readonly op: FusedUnaryOp; readonly a: FusedExpr }
  | { readonly op: FusedBinaryOp; readonly a: FusedExpr; readonly b: FusedExpr }
  | { readonly op: 'select'; readonly cond: FusedExpr; readonly a: FusedExpr; readonly b: FusedExpr };

/** One statement of a fused program: a store of an expression into a local or a buffer. */
export type FusedStatement =
  | { readonly kind: 'let'; readonly local: number; readonly value: FusedExpr }
  | { readonly kind: 'store'; readonly buffer: number; readonly value: FusedExpr };

/**
 * A fused program over named buffers `B` and named scalars `S` (the names are its
 * arguments: `runFused` takes records keyed by them, so a swapped or missing argument is a
 * type error). Backends receive the same program with positional arguments in the order of
 * `buffers` and `scalars`.
 */
export interface FusedProgram<B extends string = string, S extends string = string> {
  /** A cache key: equal keys mean equal programs. */
  readonly key: string;
  /** A readable name (for errors and profiles), e.g. 'adam'. */
  readonly name: string;
  /** Names of the per-element buffers; `buf` index i is `buffers[i]`. */
  readonly buffers: readonly B[];
  /** Names of the scalars; `scalar` index i is `scalars[i]`. */
  readonly scalars: readonly S[];
  /** Number of local temporaries. */
  readonly numLocals: number;
  /** The statements, in order. */
  readonly body: readonly FusedStatement[];
}

/** An expression under construction; numbers stand for constants. */
export class Ex {
  constructor(
    /** The expression tree this builder wraps. */
    readonly node: FusedExpr,
  ) {}
  /** This plus `b`. */
  add(b: Ex | number): Ex {
    return bin('add', this, b);
  }
  /** This minus `b`. */
  sub(b: Ex | number): Ex {
    return bin('sub', this, b);
  }
  /** This times `b`. */
  mul(b: Ex | number): Ex {
    return bin('mul', this, b);
  }
  /** This divided by `b`. */
  div(b: Ex | number): Ex {
    return bin('div', this, b);
  }
  /** Maximum of this and `b`. */
  max(b: Ex | number): Ex {
    return bin('max', this, b);
  }
  /** Minimum of this and `b`. */
  min(b: Ex | number): Ex {
    return bin('min', this, b);
  }
  /** 1 where this > `b`, else 0. */
  gt(b: Ex | number): Ex {
    return bin('gt', this, b);
  }
  /** 1 where this < `b`, else 0. */
  lt(b: Ex | number): Ex {
    return bin('lt', this, b);
  }
  /** 1 where this == `b`, else 0. */
  eq(b: Ex | number): Ex {
    return bin('eq', this, b);
  }
  /** 1 where this >= `b`, else 0. */
  ge(b: Ex | number): Ex {
    return bin('ge', this, b);
  }
  /** 1 where this <= `b`, else 0. */
  le(b: Ex | number): Ex {
    return bin('le', this, b);
  }
  /** C's `atan2(this, x)`. */
  atan2(x: Ex | number): Ex {
    return bin('atan2', this, x);
  }
  /** C's `fmod`: the remainder with the sign of `this` (`torch.fmod`). */
  fmod(b: Ex | number): Ex {
    return bin('fmod', this, b);
  }
  /** `sqrt(this^2 + b^2)`. */
  hypot(b: Ex | number): Ex {
    return bin('hypot', this, b);
  }
  /** Negation. */
  neg(): Ex {
    return un('neg', this);
  }
  /** Square root. */
  sqrt(): Ex {
    return un('sqrt', this);
  }
  /** Absolute value. */
  abs(): Ex {
    return un('abs', this);
  }
  /** Sign (-1, 0, 1). */
  sign(): Ex {
    return un('sign', this);
  }
  /** `e^x`. */
  exp(): Ex {
    return un('exp', this);
  }
  /** Natural logarithm. */
  log(): Ex {
    return un('log', this);
  }
  /** `e^x - 1`. */
  expm1(): Ex {
    return un('expm1', this);
  }
  /** `log(1 + x)`. */
  log1p(): Ex {
    return un('log1p', this);
  }
  /** Sine. */
  sin(): Ex {
    return un('sin', this);
  }
  /** Cosine. */
  cos(): Ex {
    return un('cos', this);
  }
  /** Tangent. */
  tan(): Ex {
    return un('tan', this);
  }
  /** Arcsine. */
  asin(): Ex {
    return un('asin', this);
  }
  /** Arccosine. */
  acos(): Ex {
    return un('acos', this);
  }
  /** Arctangent. */
  atan(): Ex {
    return un('atan', this);
  }
  /** Hyperbolic sine. */
  sinh(): Ex {
    return un('sinh', this);
  }
  /** Hyperbolic cosine. */
  cosh(): Ex {
    return un('cosh', this);
  }
  /** Hyperbolic tangent. */
  tanh(): Ex {
    return un('tanh', this);
  }
  /** Inverse hyperbolic sine. */
  asinh(): Ex {
    return un('asinh', this);
  }
  /** Inverse hyperbolic cosine. */
  acosh(): Ex {
    return un('acosh', this);
  }
  /** Inverse hyperbolic tangent. */
  atanh(): Ex {
    return un('atanh', this);
  }
  /** Error function. */
  erf(): Ex {
    return un('erf', this);
  }
  /** Inverse error function. */
  erfinv(): Ex {
    return un('erfinv', this);
  }
  /** Floor. */
  floor(): Ex {
    return un('floor', this);
  }
  /** Ceiling. */
  ceil(): Ex {
    return un('ceil', this);
  }
  /** Truncation toward zero. */
  trunc(): Ex {
    return un('trunc', this);
  }
  /** Half to even, as torch.round. */
  round(): Ex {
    return un('round', this);
  }
  /** 1 where NaN, else 0. */
  isnan(): Ex {
    return un('isnan', this);
  }
  /** 1 where ±inf, else 0. */
  isinf(): Ex {
    return un('isinf', this);
  }
  /** Square. */
  square(): Ex {
    return this.mul(this);
  }
  /**
   * `torch.lerp(this, end, w)` with PyTorch's two formulas: `this + w·(end − this)` when
   * |w| < 0.5, else `end − (end − this)·(1 − w)` (so w = 1 gives `end` exactly). A number
   * weight picks its formula here; an expression weight picks per element, written as
   * `base + (end − this)·coef` with (base, coef) = (this, w) or (end, w − 1): the same
   * roundings as PyTorch's formulas (w − 1 = −(1 − w) and e − d·x = e + d·(−x) exactly),
   * one select instead of two branches, and for a scalar weight lowering hoists both.
   */
  lerp(end: Ex | number, w: Ex | number): Ex {
    const e = lift(end);
    const diff = e.sub(this);
    if (typeof w === 'number') return Math.abs(w) < 0.5 ? this.add(diff.mul(w)) : e.sub(diff.mul(1 - w));
    const small = w.abs().lt(0.5);
    return Ex.select(small, this, e).add(diff.mul(Ex.select(small, w, w.sub(1))));
  }
  /** A constant. */
  static const(value: number): Ex {
    return new Ex({ op: 'const', value });
  }
  /** `cond != 0 ? a : b`. */
  static select(cond: Ex, a: Ex | number, b: Ex | number): Ex {
    return new Ex({ op: 'select', cond: cond.node, a: lift(a).node, b: lift(b).node });
  }
}

function lift(x: Ex | number): Ex {
  return typeof x === 'number' ? new Ex({ op: 'const', value: x }) : x;
}

function un(op: FusedUnaryOp, a: Ex): Ex {
  return new Ex({ op, a: a.node });
}

function bin(op: FusedBinaryOp, a: Ex, b: Ex | number): Ex {
  return new Ex({ op, a: a.node, b: lift(b).node });
}

/** What the body callback of `defineFused` receives. */
export interface FusedBuilder<B extends string, S extends string> {
  /** The program's buffers, by name: reading one gives its element. */
  readonly buf: Readonly<Record<B, Ex>>;
  /** The program's scalars, by name. */
  readonly s: Readonly<Record<S, Ex>>;
  /** Binds `e` to a local so later uses read it instead of recomputing it. */
  let(e: Ex): Ex;
  /** Stores `e` into the element of `buffer`. */
  store(buffer: B, e: Ex | number): void;
}

/**
 * Builds a program over the named buffers and scalars. Build each distinct program once
 * (per optimizer configuration) and keep it: core lowers it and backends compile it once.
 */
export function defineFused<const B extends string, const S extends string>(
  name: string,
  buffers: readonly B[],
  scalars: readonly S[],
  body: (b: FusedBuilder<B, S>) => void,
): FusedProgram<B, S> {
  for (const list of [buffers, scalars] as (readonly string[])[]) {
    const dup = list.find((n, i) => list.indexOf(n) !== i);
    if (dup !== undefined) throw new TypeError(`fused program '${name}': '${dup}' is declared twice`);
  }
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
    store(bufferName, e) {
      const buffer = buffers.indexOf(bufferName);
      if (buffer < 0) {
        throw new TypeError(
          `fused program '${name}' stores to '${bufferName}', which is not one of its buffers (${buffers.join(', ')})`,
        );
      }
      statements.push({ kind: 'store', buffer, value: lift(e).node });
    },
  });
  const shape = fusedText({ buffers: buffers.length, scalars: scalars.length, statements });
  return { key: `${name}:${shape}`, name, buffers, scalars, numLocals, body: statements };
}

/**
 * JSON text of program parts that tells every number apart: JSON writes NaN and the
 * infinities as `null` and -0 as `0`, which would give different programs one cache key.
 */
export function fusedText(x: unknown): string {
  return JSON.stringify(x, (_, v) =>
    typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))
      ? `#${Object.is(v, -0) ? '-0' : v}`
      : v,
  );
}
