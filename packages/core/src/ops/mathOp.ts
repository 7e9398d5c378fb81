/**
 * Elementwise math written once: an op is its forward expression and the expression of each
 * input's gradient in the fused-program language (`fused/program.ts`), and `mathOp` turns
 * them into fused programs — one forward program over [inputs…, out], one backward program
 * over [g, the inputs and out it reads, the gradients it writes] — that every backend
 * renders (JS on cpu-js, wasm on wasm-simd, WGSL on webgpu). Core does the rest once:
 * dtype promotion, broadcasting (inputs are broadcast to the result's shape before the
 * program runs, gradients summed back), number operands (they become program scalars),
 * autograd recording and the argument errors.
 */
import { recordOp } from '../autograd/graph.js';
import { type DType, getDefaultDtype, isFloat, promoteTypes } from '../dtype.js';
import { DTypeError } from '../errors.js';
import { lowerFused } from '../fused/lower.js';
import { defineFused, Ex, type FusedProgram } from '../fused/program.js';
import { runFused } from '../fused/run.js';
import { Tensor } from '../tensor.js';
import { toDType } from './convert.js';
import { alloc, allocOut, broadcastShapes, checkSameBackend, sameShape, sumToShape } from './util.js';

/** What a spec's expressions receive besides their operands. */
export interface MathContext {
  /** The op's numeric parameters (`alpha`, `beta`, ...), as program scalars. */
  readonly p: Readonly<Record<string, Ex>>;
  /** Binds an expression to a local, so that later uses read it instead of recomputing it. */
  let(e: Ex): Ex;
}

/** How integer and bool inputs are treated. */
export type IntegerRule =
  /** As PyTorch's transcendental ops: promoted to float32. */
  | 'float'
  /** Refused with a DTypeError, as PyTorch's kernels that are not implemented for integers. */
  | 'error'
  /**
   * Computed in float64 (float32 where the backend has no float64: exact below 2^24) and
   * cast back to the integer dtype (fmod, remainder, div with a rounding mode, addcmul).
   */
  | 'exact';

export interface MathSpec {
  /** PyTorch's name, used in errors and program names. */
  readonly name: string;
  /** `gradFn.name`; a function of which operands are numbers where PyTorch's name depends on it. */
  readonly gradFn: string | ((isNumber: readonly boolean[]) => string);
  /** Number of operands (tensors or JS numbers). */
  readonly arity: number;
  /** Names of numeric parameters, passed per call. */
  readonly params?: readonly string[];
  readonly ints: IntegerRule;
  /**
   * Number operands travel as 0-dim tensors instead of program scalars: lowering rewrites
   * `x / s` into `x · (1/s)` for a scalar `s`, which can move an exact quotient by an ulp —
   * fatal right before a trunc (49 · (1/49) < 1).
   */
  readonly exactNumbers?: boolean;
  /** The result, per element. */
  forward(x: readonly Ex[], c: MathContext): Ex;
  /**
   * The gradient flowing to operand `i` given the incoming gradient `g`, the operands and the
   * result; omitted: the op is not differentiable.
   */
  backward?(i: number, g: Ex, x: readonly Ex[], out: Ex, c: MathContext): Ex;
}

type Operand = Tensor | number;

const category = (d: DType) => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

/**
 * PyTorch's result type of several operands: dimensioned tensors decide; a 0-dim tensor of a
 * higher category lifts them to its category's default (float32 for floats), and so does a
 * number (a fractional number lifts integers to float32; an integer lifts bool to int32).
 */
export function resultTypeOf(operands: readonly Operand[]): DType {
  let dimmed: DType | null = null;
  let zero: DType | null = null;
  let number: DType | null = null;
  for (const o of operands) {
    if (o instanceof Tensor) {
      if (o.dim() > 0) dimmed = dimmed ? promoteTypes(dimmed, o.dtype) : o.dtype;
      else zero = zero ? promoteTypes(zero, o.dtype) : o.dtype;
    } else {
      const d: DType = Number.isInteger(o) ? 'int32' : getDefaultDtype();
      number = number ? promoteTypes(number, d) : d;
    }
  }
  let d = dimmed ?? zero ?? number ?? 'float32';
  for (const [other, lifted] of [
    [zero, zero === 'float64' ? 'float32' : zero],
    [number, number],
  ] as const) {
    if (other !== null && d !== other && category(other) > category(d)) d = dimmed ? lifted! : other;
  }
  return d;
}

/** The programs of one spec, per variant (which operands are numbers, what backward stores). */
const programs = new WeakMap<MathSpec, Map<string, FusedProgram>>();

function cached(spec: MathSpec, key: string, make: () => FusedProgram): FusedProgram {
  let m = programs.get(spec);
  if (!m) programs.set(spec, (m = new Map()));
  let p = m.get(key);
  if (!p) m.set(key, (p = make()));
  return p;
}

const inName = (i: number) => `x${i}`;
const gradName = (i: number) => `g${i}`;

/** Operands as expressions: tensors read buffers, numbers read scalars of the same name. */
function operandExprs(
  isNumber: readonly boolean[],
  buf: Readonly<Record<string, Ex>>,
  s: Readonly<Record<string, Ex>>,
): Ex[] {
  return isNumber.map((n, i) => (n ? s[inName(i)]! : buf[inName(i)]!));
}

function scalarNames(spec: MathSpec, isNumber: readonly boolean[]): string[] {
  const names = isNumber.flatMap((n, i) => (n ? [inName(i)] : []));
  return [...names, ...(spec.params ?? [])];
}

function paramExprs(spec: MathSpec, s: Readonly<Record<string, Ex>>): Record<string, Ex> {
  return Object.fromEntries((spec.params ?? []).map((n) => [n, s[n]!]));
}

function forwardProgram(spec: MathSpec, isNumber: readonly boolean[]): FusedProgram {
  const key = `f:${isNumber.map(Number).join('')}`;
  return cached(spec, key, () => {
    const tensors = isNumber.flatMap((n, i) => (n ? [] : [inName(i)]));
    return defineFused(spec.name, [...tensors, 'out'], scalarNames(spec, isNumber), (b) => {
      const x = operandExprs(isNumber, b.buf, b.s);
      b.store('out', spec.forward(x, { p: paramExprs(spec, b.s), let: b.let }));
    });
  });
}

/**
 * The backward program storing the gradients of the operands in `wanted`, declared over
 * only the buffers it reads (found by building it once over all of them).
 */
function backwardProgram(
  spec: MathSpec,
  isNumber: readonly boolean[],
  wanted: readonly number[],
): FusedProgram {
  const key = `b:${isNumber.map(Number).join('')}:${wanted.join(',')}`;
  return cached(spec, key, () => {
    const build = (inputs: readonly string[]) =>
      defineFused(
        `${spec.name}_backward`,
        [...inputs, ...wanted.map(gradName)],
        scalarNames(spec, isNumber),
        (b) => {
          const x = operandExprs(isNumber, b.buf, b.s);
          const c: MathContext = { p: paramExprs(spec, b.s), let: b.let };
          const g = b.buf.g!;
          const out = b.buf.out!;
          // Each gradient's expression is built before any store (all read the inputs).
          const exprs = wanted.map((i) => spec.backward!(i, g, x, out, c));
          wanted.forEach((i, k) => {
            b.store(gradName(i), exprs[k]!);
          });
        },
      );
    const all = ['g', ...isNumber.flatMap((n, i) => (n ? [] : [inName(i)])), 'out'];
    const reads = new Set(lowerFused(build(all)).reads);
    const used = all.filter((_, k) => reads.has(k));
    // Undeclared buffers read as `undefined` expressions; none is used, by construction.
    return build(used.length > 0 ? used : []);
  });
}

/** A view of `t` broadcast to `shape` (no autograd), or `t` when it already has that shape. */
export function broadcastTo(t: Tensor, shape: readonly number[]): Tensor {
  if (sameShape(t.shape, shape)) return t;
  const lead = shape.length - t.shape.length;
  const strides = shape.map((d, i) => {
    const j = i - lead;
    return j < 0 || (t.shape[j] === 1 && d !== 1) ? 0 : t._strides[j]!;
  });
  return t._asStrided(shape, strides, t._offset);
}

function integerError(spec: MathSpec, d: DType): DTypeError {
  return new DTypeError(`"${spec.name}" is not implemented for dtype ${d}: it needs floating point inputs`);
}

/**
 * Runs `spec` on its operands (tensors or numbers; at least one tensor) with the given
 * parameters: PyTorch's promotion and broadcasting, the fused forward program, and a
 * recorded backward that runs the fused backward program.
 */
export function mathOp(
  spec: MathSpec,
  operands: readonly Operand[],
  params: Readonly<Record<string, number>> = {},
  opts: { readonly gradFn?: string } = {},
): Tensor {
  if (operands.length !== spec.arity) {
    throw new TypeError(
      `${spec.name}() takes ${spec.arity} tensor or number operands, got ${operands.length}`,
    );
  }
  const tensorOperands: Tensor[] = [];
  operands.forEach((o, i) => {
    if (o instanceof Tensor) tensorOperands.push(o);
    else if (typeof o !== 'number') {
      throw new TypeError(
        `${spec.name}(): operand ${i} must be a Tensor or a number, got ${o === null ? 'null' : typeof o}`,
      );
    }
  });
  if (tensorOperands.length === 0)
    throw new TypeError(`${spec.name}(): at least one operand must be a Tensor`);
  for (const name of spec.params ?? []) {
    const v = params[name];
    if (typeof v !== 'number') {
      throw new TypeError(
        `${spec.name}(): '${name}' must be a number, got ${v === null ? 'null' : typeof v}`,
      );
    }
  }
  const backend = checkSameBackend(spec.name, ...tensorOperands);
  const resultDType = resultTypeOf(operands);
  let d = resultDType;
  if (!isFloat(d)) {
    if (spec.ints === 'error') throw integerError(spec, d);
    if (spec.ints === 'float') d = getDefaultDtype();
    else {
      if (d === 'bool') throw integerError(spec, d);
      d = backend.dtypes.includes('float64') ? 'float64' : 'float32';
    }
  }
  let shape: number[] = [];
  for (const t of tensorOperands) shape = broadcastShapes(shape, t.shape);
  const name =
    opts.gradFn ??
    (typeof spec.gradFn === 'string'
      ? spec.gradFn
      : spec.gradFn(operands.map((o) => !(o instanceof Tensor))));
  // 'exact' integer results are computed in float, then cast back.
  const castBack = !isFloat(resultDType) && spec.ints === 'exact';
  // Casts are differentiable (float32 ↔ float64); integers never require grad.
  const xs = operands.map((o) => {
    if (o instanceof Tensor) return o.dtype === d ? o : toDType(o, d);
    if (!spec.exactNumbers) return o;
    const t = alloc([], d, backend);
    backend.fill(t.storage, o);
    return t;
  });
  const isNumber = xs.map((o) => !(o instanceof Tensor));
  const scalars: Record<string, number> = { ...params };
  xs.forEach((x, i) => {
    if (typeof x === 'number') scalars[inName(i)] = x;
  });

  // The programs store every element of `out` and of each gradient: no zero fill.
  const out = allocOut(shape, d, backend);
  const forward = forwardProgram(spec, isNumber);
  runWithViews(shape, xs, forward, (buffers) => {
    runFused(forward, [{ buffers: { ...buffers, out }, scalars }]);
  });
  const tensorIndex = xs.flatMap((x, i) => (x instanceof Tensor ? [i] : []));
  const probe = spec.backward && !castBack ? backwardProgram(spec, isNumber, tensorIndex) : null;
  // Numbers made tensors (`exactNumbers`) live on only where the backward reads them.
  xs.forEach((x, i) => {
    if (x instanceof Tensor && !(operands[i] instanceof Tensor) && !probe?.buffers.includes(inName(i)))
      x.dispose();
  });
  if (castBack) {
    const r = toDType(out, resultDType);
    out.dispose();
    return r;
  }
  if (!probe) return out;
  const inputs = xs.filter((x): x is Tensor => x instanceof Tensor);
  const savesOut = probe.buffers.includes('out');
  const savedInputs = inputs.filter((_, k) => probe.buffers.includes(inName(tensorIndex[k]!)));
  return recordOp(
    out,
    name,
    inputs,
    (g, needs) => {
      const wanted = tensorIndex.filter((_, k) => needs[k]);
      if (wanted.length === 0) return inputs.map(() => null);
      const program = backwardProgram(spec, isNumber, wanted);
      const grads = new Map(wanted.map((i) => [i, allocOut(shape, d, backend)]));
      runWithViews(shape, xs, program, (buffers) => {
        const all: Record<string, Tensor> = { ...buffers, g: broadcastTo(g, shape), out };
        for (const [i, t] of grads) all[gradName(i)] = t;
        const used = Object.fromEntries(program.buffers.map((n) => [n, all[n]!]));
        runFused(program, [{ buffers: used, scalars }]);
      });
      return tensorIndex.map((i, k) => {
        const gi = grads.get(i);
        return gi ? sumToShape(gi, inputs[k]!.shape) : null;
      });
    },
    [...savedInputs, ...(savesOut ? [out] : [])],
  );
}

/**
 * Calls `run` with the tensor operands that `program` reads broadcast to `shape` (views,
 * disposed after).
 */
function runWithViews(
  shape: readonly number[],
  xs: readonly Operand[],
  program: FusedProgram,
  run: (buffers: Record<string, Tensor>) => void,
): void {
  const buffers: Record<string, Tensor> = {};
  const made: Tensor[] = [];
  xs.forEach((x, i) => {
    if (!(x instanceof Tensor) || !program.buffers.includes(inName(i))) return;
    const v = broadcastTo(x, shape);
    if (v !== x) made.push(v);
    buffers[inName(i)] = v;
  });
  try {
    run(buffers);
  } finally {
    for (const v of made) v.dispose();
  }
}

/** A constant expression (for specs). */
export const K = (v: number): Ex => Ex.const(v);
