/**
 * Lowering: the passes every fused program goes through once, in core, before any backend
 * sees it. Backends render the lowered form statement by statement (JS, wasm, WGSL) and do
 * no analysis of their own, so the operation order — and with it the numerics — is the
 * same everywhere.
 *
 *  1. Invariant hoisting. A subexpression made only of scalars and constants (`1 − β1`,
 *     `lr / bc1`), and a `let` bound to one, is the same for every element: it becomes a
 *     derived scalar, evaluated once per tensor on the host in float64 (`fusedScalars`) and
 *     passed to the backend after the program's own scalars. Constants alone are folded.
 *     (Only in programs that bind each local once before reading it — all that
 *     `defineFused` builds; elsewhere a local carries across elements and stays put.)
 *  2. Reciprocals. `x / s` with `s` invariant becomes `x · (1/s)`, `1/s` a derived
 *     scalar: a division per element (the divider, shared with sqrt, bounds Adam-like
 *     updates on SIMD) becomes a multiplication; the result moves by at most an ulp for
 *     normal `s`.
 *  3. Locals renumbered densely (hoisted lets leave gaps).
 *  4. Access sets: which buffers each element loads (read before any store), reads and
 *     stores, and which stores are read again later (a backend keeps the stored value,
 *     rounded to the buffer's dtype, for those reads).
 */
import { evalFusedExpr } from './evaluate.js';
import { type FusedExpr, type FusedProgram, type FusedStatement, fusedText } from './program.js';

/** One statement of a lowered program: a store into a local or a buffer. */
export type LoweredStatement =
  | { readonly kind: 'let'; readonly local: number; readonly value: FusedExpr }
  | {
      readonly kind: 'store';
      readonly buffer: number;
      readonly value: FusedExpr;
      /** A later statement reads this buffer: it must see the value stored here. */
      readonly reread: boolean;
    };

/** A program as backends render it. `scalar` indices run over own then derived scalars. */
export interface LoweredFused {
  /** The program's key and name. */
  readonly key: string;
  /** The program's name (for caches and errors). */
  readonly name: string;
  /** Number of buffers the program reads or writes. */
  readonly numBuffers: number;
  /** The program's own scalars (what a caller passes per tensor). */
  readonly numOwnScalars: number;
  /** Own plus derived: what the rendered program reads (`fusedScalars` computes them). */
  readonly numScalars: number;
  /** Derived scalar k (index `numOwnScalars + k`): an expression over own scalars and constants. */
  readonly derived: readonly FusedExpr[];
  /** Number of local temporaries. */
  readonly numLocals: number;
  /**
   * Every local is bound once, before it is read: a backend may declare locals inside the
   * loop. Otherwise locals start at 0 and carry from one element to the next.
   */
  readonly localsInLoop: boolean;
  /** The statements, in order. */
  readonly body: readonly LoweredStatement[];
  /** Buffers read before any store to them (loaded at the top of each element), ascending. */
  readonly loads: readonly number[];
  /** Buffers read anywhere, ascending. */
  readonly reads: readonly number[];
  /** Buffers stored to, ascending. */
  readonly stores: readonly number[];
}

const byProgram = new WeakMap<FusedProgram, LoweredFused>();
const byKey = new Map<string, LoweredFused>();

/** The lowered form of `program`, computed once per program (and per key). */
export function lowerFused(program: FusedProgram): LoweredFused {
  let lowered = byProgram.get(program);
  if (lowered) return lowered;
  lowered = byKey.get(program.key);
  if (!lowered) {
    lowered = lower(program);
    byKey.set(program.key, lowered);
  }
  byProgram.set(program, lowered);
  return lowered;
}

/**
 * The scalars the lowered program reads for one tensor: its own (`own`, in the program's
 * order), then each derived scalar evaluated in float64.
 */
export function fusedScalars(lowered: LoweredFused, own: ArrayLike<number>): ArrayLike<number> {
  if (own.length !== lowered.numOwnScalars) {
    throw new RangeError(
      `fused program '${lowered.name}' takes ${lowered.numOwnScalars} scalars, got ${own.length}`,
    );
  }
  if (lowered.derived.length === 0) return own;
  const all = new Float64Array(lowered.numScalars);
  for (let i = 0; i < own.length; i++) all[i] = own[i]!;
  for (let k = 0; k < lowered.derived.length; k++) {
    all[own.length + k] = evalFusedExpr(lowered.derived[k]!, [], 0, own, []);
  }
  return all;
}

function children(e: FusedExpr): FusedExpr[] {
  if (e.op === 'select') return [e.cond, e.a, e.b];
  if ('b' in e) return [e.a, e.b];
  if ('a' in e) return [e.a];
  return [];
}

function mapChildren(e: FusedExpr, f: (x: FusedExpr) => FusedExpr): FusedExpr {
  if (e.op === 'select') return { op: 'select', cond: f(e.cond), a: f(e.a), b: f(e.b) };
  if ('b' in e) return { op: e.op, a: f(e.a), b: f(e.b) };
  if ('a' in e) return { op: e.op, a: f(e.a) };
  return e;
}

function visitExpr(e: FusedExpr, f: (x: FusedExpr) => void): void {
  f(e);
  for (const c of children(e)) visitExpr(c, f);
}

/** True when each local is bound by exactly one `let` and read only after it. */
function localsBoundOnceBeforeUse(body: readonly FusedStatement[]): boolean {
  const bound = new Set<number>();
  for (const st of body) {
    let ok = true;
    visitExpr(st.value, (e) => {
      if (e.op === 'local' && !bound.has(e.index)) ok = false;
    });
    if (!ok) return false;
    if (st.kind === 'let') {
      if (bound.has(st.local)) return false;
      bound.add(st.local);
    }
  }
  return true;
}

function lower(program: FusedProgram): LoweredFused {
  const own = program.scalars.length;
  const localsInLoop = localsBoundOnceBeforeUse(program.body);

  // Pass 1 and 2: hoisting and reciprocals.
  const derived: FusedExpr[] = [];
  const derivedByText = new Map<string, number>();
  /** Invariant locals, as the expression over scalars and constants they stand for. */
  const invariantLocal = new Map<number, FusedExpr>();
  const invariant = (e: FusedExpr): boolean => {
    if (e.op === 'buf') return false;
    if (e.op === 'local') return invariantLocal.has(e.index);
    return children(e).every(invariant);
  };
  /** An invariant expression with its locals replaced by what they stand for. */
  const expand = (e: FusedExpr): FusedExpr =>
    e.op === 'local' ? invariantLocal.get(e.index)! : mapChildren(e, expand);
  /** An invariant expression as a leaf: itself, a folded constant or a derived scalar. */
  const leaf = (e: FusedExpr): FusedExpr => {
    if (e.op === 'scalar' || e.op === 'const') return e;
    let readsScalar = false;
    visitExpr(e, (x) => {
      if (x.op === 'scalar') readsScalar = true;
    });
    if (!readsScalar) return { op: 'const', value: evalFusedExpr(e, [], 0, [], []) };
    const text = fusedText(e);
    let k = derivedByText.get(text);
    if (k === undefined) {
      k = derived.length;
      derived.push(e);
      derivedByText.set(text, k);
    }
    return { op: 'scalar', index: own + k };
  };
  const rewrite = (e: FusedExpr): FusedExpr => {
    if (e.op === 'buf' || e.op === 'scalar' || e.op === 'const') return e;
    if (invariant(e)) return leaf(expand(e));
    if (e.op === 'div' && invariant(e.b)) {
      return {
        op: 'mul',
        a: rewrite(e.a),
        b: leaf({ op: 'div', a: { op: 'const', value: 1 }, b: expand(e.b) }),
      };
    }
    return mapChildren(e, rewrite);
  };

  // Pass 3: dense locals.
  const localIndex = new Map<number, number>();
  const renumber = (e: FusedExpr): FusedExpr => {
    if (e.op !== 'local') return mapChildren(e, renumber);
    let index = localIndex.get(e.index);
    if (index === undefined) localIndex.set(e.index, (index = localIndex.size));
    return { op: 'local', index };
  };

  const statements: FusedStatement[] = [];
  for (const st of program.body) {
    if (st.kind === 'let' && localsInLoop && invariant(st.value)) {
      invariantLocal.set(st.local, expand(st.value));
      continue;
    }
    const value = renumber(rewrite(st.value));
    if (st.kind === 'let') {
      const local = renumber({ op: 'local', index: st.local }) as { index: number };
      statements.push({ kind: 'let', local: local.index, value });
    } else statements.push({ kind: 'store', buffer: st.buffer, value });
  }

  // Pass 4: access sets.
  const readsOf = statements.map((st) => {
    const r = new Set<number>();
    visitExpr(st.value, (e) => {
      if (e.op === 'buf') r.add(e.index);
    });
    return r;
  });
  const loads = new Set<number>();
  const reads = new Set<number>();
  const stored = new Set<number>();
  statements.forEach((st, k) => {
    for (const b of readsOf[k]!) {
      reads.add(b);
      if (!stored.has(b)) loads.add(b);
    }
    if (st.kind === 'store') stored.add(st.buffer);
  });
  const body: LoweredStatement[] = statements.map((st, k) =>
    st.kind === 'let' ? st : { ...st, reread: readsOf.slice(k + 1).some((r) => r.has(st.buffer)) },
  );
  const ascending = (s: Set<number>) => [...s].sort((a, b) => a - b);
  return {
    key: program.key,
    name: program.name,
    numBuffers: program.buffers.length,
    numOwnScalars: own,
    numScalars: own + derived.length,
    derived,
    numLocals: localsInLoop ? localIndex.size : program.numLocals,
    localsInLoop,
    body,
    loads: ascending(loads),
    reads: ascending(reads),
    stores: ascending(stored),
  };
}
