/**
 * Elementwise ops with PyTorch's broadcasting, type promotion and backward formulas.
 */
import { needsGrad2, recordOp } from '../autograd/graph.js';
import type { BinaryOp, UnaryOp } from '../backend.js';
import { type DType, getDefaultDtype, isFloat, promoteTypes, promoteWithScalar } from '../dtype.js';
import { DTypeError, ValueError } from '../errors.js';
import { Tensor, type TensorOrScalar } from '../tensor.js';
import { toDType } from './convert.js';
import { divRounded, type RoundingMode, reluBackward, softplusWith } from './math.js';
import {
  allocOut,
  broadcastShapes,
  broadcastView,
  checkSameBackend,
  checkSameBackend2,
  sameShape,
  sumToShape,
  viewOf,
} from './util.js';

const category = (d: DType) => (d === 'bool' ? 0 : d === 'int32' ? 1 : 2);

/**
 * PyTorch's result type of two tensors: a 0-dim tensor only decides the dtype when it is
 * of a higher category (bool < integer < float) than a dimensioned one, and then gives
 * that category's default (float32 for floats).
 */
export function resultType(a: Tensor, b: Tensor): DType {
  const az = a.dim() === 0;
  const bz = b.dim() === 0;
  if (az === bz) return promoteTypes(a.dtype, b.dtype);
  const [dimmed, zero] = az ? [b, a] : [a, b];
  if (category(zero.dtype) <= category(dimmed.dtype)) return dimmed.dtype;
  return zero.dtype === 'float64' ? 'float32' : zero.dtype === 'bool' ? 'bool' : zero.dtype;
}

/** Casts (differentiably) when needed. */
function as(t: Tensor, d: DType): Tensor {
  return t.dtype === d ? t : toDType(t, d);
}

/**
 * Runs a binary kernel on two tensors of one dtype, broadcasting. No autograd. The kernels
 * write every element of their result, so it is allocated without the zero fill.
 */
function rawBinary(op: BinaryOp, a: Tensor, b: Tensor, outDType: DType): Tensor {
  const backend = checkSameBackend2(op, a, b);
  if (sameShape(a.shape, b.shape)) {
    // The common case (same shape): no broadcast views, the shape shared with the result.
    const out = allocOut(a.shape, outDType, backend);
    backend.binary(op, viewOf(a), viewOf(b), out.storage, out.shape);
    return out;
  }
  const shape = broadcastShapes(a.shape, b.shape);
  const out = allocOut(shape, outDType, backend);
  backend.binary(op, broadcastView(a, shape), broadcastView(b, shape), out.storage, out.shape);
  return out;
}

function rawScalar(op: BinaryOp, a: Tensor, s: number, outDType: DType, scalarFirst = false): Tensor {
  const backend = a.backend;
  const out = allocOut(a.shape, outDType, backend);
  backend.binaryScalar(op, a.storage, s, out.storage, scalarFirst);
  return out;
}

function rawUnary(op: UnaryOp, a: Tensor, outDType = a.dtype): Tensor {
  const backend = a.backend;
  const out = allocOut(a.shape, outDType, backend);
  backend.unary(op, a.storage, out.storage);
  return out;
}

/**
 * PyTorch computes a float `x ** 0.5` as `sqrt(x)` and `x ** -0.5` as `rsqrt(x)`: the
 * same but at -0 (sqrt keeps it, pow gives +0) and -inf (NaN, pow gives +inf).
 */
function powAsRoot(op: BinaryOp, s: number, d: DType): boolean {
  return op === 'pow' && (s === 0.5 || s === -0.5) && isFloat(d);
}

function checkNumber(v: unknown, op: string): number {
  if (typeof v !== 'number') {
    throw new TypeError(`${op}(): expected a Tensor or a number as the other operand, got ${typeof v}`);
  }
  return v;
}

type Grads = (g: Tensor, needs: readonly boolean[]) => readonly (Tensor | null)[];

/**
 * A binary arithmetic op: promotion, broadcasting, and its backward. `grads` receives the
 * (promoted) inputs and returns full-shape gradients; broadcasting is undone here.
 */
function arith(
  op: BinaryOp,
  a: Tensor,
  other: TensorOrScalar,
  names: [string, string],
  grads: (a: Tensor, b: Tensor | number, out: Tensor) => Grads,
  floatResult = false,
  saves: 'none' | 'inputs' | 'all' = 'inputs',
): Tensor {
  if (!(other instanceof Tensor)) {
    const s = checkNumber(other, op);
    let d = promoteWithScalar(a.dtype, s);
    if (floatResult && !isFloat(d)) d = getDefaultDtype();
    const x = as(a, d);
    const out = powAsRoot(op, s, d) ? rawUnary(s > 0 ? 'sqrt' : 'rsqrt', x) : rawScalar(op, x, s, d);
    // No graph to record (grad mode off, or no input needs a gradient): no closures either.
    if (!needsGrad2(x, null)) return out;
    const g = grads(x, s, out);
    // With a number operand only pow's gradient reads the tensor input.
    return recordOp(out, names[1], [x], (go, needs) => [g(go, needs)[0]], op === 'pow' ? [x] : []);
  }
  let d = resultType(a, other);
  if (floatResult && !isFloat(d)) d = getDefaultDtype();
  const x = as(a, d);
  const y = as(other, d);
  const out = rawBinary(op, x, y, d);
  if (!needsGrad2(x, y)) return out;
  const g = grads(x, y, out);
  return recordOp(
    out,
    names[0],
    [x, y],
    (go, needs) => {
      const [gx, gy] = g(go, needs);
      return [gx && sumToShape(gx, x.shape), gy && sumToShape(gy, y.shape)];
    },
    saves === 'none' ? [] : saves === 'all' ? [x, y, out] : [x, y],
  );
}

/** `torch.add(a, b, alpha=1)`. */
export function add(a: Tensor, b: TensorOrScalar, opts?: { alpha?: number }): Tensor {
  const alpha = opts?.alpha ?? 1;
  if (alpha !== 1) b = b instanceof Tensor ? mul(b, alpha) : checkNumber(b, 'add') * alpha;
  return arith('add', a, b, ['AddBackward0', 'AddBackward0'], () => (g) => [g, g], false, 'none');
}

/** `torch.sub(a, b, alpha=1)`. */
export function sub(a: Tensor, b: TensorOrScalar, opts?: { alpha?: number }): Tensor {
  const alpha = opts?.alpha ?? 1;
  if (alpha !== 1) b = b instanceof Tensor ? mul(b, alpha) : checkNumber(b, 'sub') * alpha;
  if (a.dtype === 'bool' && (!(b instanceof Tensor) || b.dtype === 'bool')) {
    throw new DTypeError(
      'Subtraction, the `-` operator, with two bool tensors is not supported (use logicalXor)',
    );
  }
  return arith(
    'sub',
    a,
    b,
    ['SubBackward0', 'SubBackward0'],
    () => (g, needs) => [g, needs[1] ? g.neg() : null],
    false,
    'none',
  );
}

/** `torch.mul`. */
export function mul(a: Tensor, b: TensorOrScalar): Tensor {
  return arith('mul', a, b, ['MulBackward0', 'MulBackward0'], (x, y) => (g, needs) => [
    needs[0] ? g.mul(y) : null,
    needs[1] ? g.mul(x) : null,
  ]);
}

/** Options of `torch.div`: `roundingMode` 'trunc' or 'floor' rounds the quotient (null: true division). */
export interface DivOptions {
  /**
   * `'trunc'` rounds the quotient toward zero, `'floor'` down; `null` keeps true division (PyTorch's
   * `rounding_mode`).
   */
  readonly roundingMode?: RoundingMode | null;
}

/**
 * `torch.div` (true division: integers give float32); with `roundingMode` the quotient
 * rounded toward zero or down (integers stay integers, as PyTorch).
 */
export function div(a: Tensor, b: TensorOrScalar, opts?: DivOptions): Tensor {
  const mode = opts?.roundingMode ?? null;
  if (mode !== null) return divRounded(a, b, mode);
  return arith(
    'div',
    a,
    b,
    ['DivBackward0', 'DivBackward0'],
    (x, y) => (g, needs) => [
      needs[0] ? g.div(y) : null,
      needs[1] && y instanceof Tensor ? g.mul(x).div(y.square()).neg() : null,
    ],
    true,
  );
}

/** `torch.pow` with a tensor or number exponent. */
export function pow(a: Tensor, e: TensorOrScalar): Tensor {
  if (!(e instanceof Tensor)) {
    const s = checkNumber(e, 'pow');
    if (!isFloat(a.dtype) && Number.isInteger(s) && s < 0) {
      throw new ValueError(
        `pow(): Integers to negative integer powers are not allowed (a ${a.dtype} tensor to the power ${s}); use a float tensor or exponent`,
      );
    }
    return arith('pow', a, s, ['PowBackward1', 'PowBackward0'], (x) => (g) => [
      s === 0 ? g.mul(0) : g.mul(x.pow(s - 1).mul(s)),
    ]);
  }
  return arith(
    'pow',
    a,
    e,
    ['PowBackward1', 'PowBackward1'],
    (x, y, out) => (g, needs) => {
      const yt = y as Tensor;
      const gx = needs[0] ? g.mul(yt).mul(x.pow(yt.sub(1))) : null;
      // d/dy x^y = x^y log x; where x == 0 and y >= 0 PyTorch defines it as 0.
      const gy = needs[1] ? where(x.eq(0).logicalAnd(yt.ge(0)), 0, g.mul(out).mul(x.log())) : null;
      return [gx, gy];
    },
    false,
    'all',
  );
}

/**
 * `base ** t` for a number base (`torch.pow(2, t)`): an integer base to an integer tensor
 * stays int32 (PyTorch's integer power), any other pair is floating.
 */
export function powScalarBase(base: number, t: Tensor): Tensor {
  const d = isFloat(t.dtype) ? t.dtype : Number.isInteger(base) ? 'int32' : getDefaultDtype();
  const x = as(t, d);
  const out = rawScalar('pow', x, base, d, true);
  return recordOp(out, 'PowBackward2', [x], (g) => [g.mul(out).mul(Math.log(base))], [out]);
}

function minmax(op: 'maximum' | 'minimum', a: Tensor, b: TensorOrScalar): Tensor {
  const other = b instanceof Tensor ? b : full(a, checkNumber(b, op));
  const name = op === 'maximum' ? 'MaximumBackward0' : 'MinimumBackward0';
  return arith(op, a, other, [name, name], (x, y) => (g, needs) => {
    const yt = y as Tensor;
    const wins = op === 'maximum' ? x.gt(yt) : x.lt(yt);
    const tie = x.eq(yt);
    const half = g.mul(0.5);
    return [
      needs[0] ? where(wins, g, where(tie, half, 0)) : null,
      needs[1] ? where(wins, 0, where(tie, half, g)) : null,
    ];
  });
}

/** A tensor of `a`'s dtype and backend holding one number (0-dim). */
function full(a: Tensor, v: number): Tensor {
  const t = allocOut([], promoteWithScalar(a.dtype, v), a.backend);
  a.backend.fill(t.storage, v);
  return t;
}

/** Elementwise maximum with `other` (broadcast; NaN propagates): PyTorch's `maximum`. */
export function maximum(a: Tensor, b: TensorOrScalar): Tensor {
  return minmax('maximum', a, b);
}
/** Elementwise minimum with `other` (broadcast; NaN propagates): PyTorch's `minimum`. */
export function minimum(a: Tensor, b: TensorOrScalar): Tensor {
  return minmax('minimum', a, b);
}

/** Comparisons: bool results, no gradient. */
export function compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: Tensor, b: TensorOrScalar): Tensor {
  if (!(b instanceof Tensor)) {
    const s = checkNumber(b, op);
    return rawScalar(op, as(a, promoteWithScalar(a.dtype, s)), s, 'bool');
  }
  const d = resultType(a, b);
  return rawBinary(op, as(a, d), as(b, d), 'bool');
}

/** Elementwise logical AND with `other`, a bool tensor: PyTorch's `logical_and`. */
export function logicalAnd(a: Tensor, b: Tensor): Tensor {
  return rawBinary('and', as(a, 'bool'), as(b, 'bool'), 'bool');
}
/** Elementwise logical OR with `other`, a bool tensor: PyTorch's `logical_or`. */
export function logicalOr(a: Tensor, b: Tensor): Tensor {
  return rawBinary('or', as(a, 'bool'), as(b, 'bool'), 'bool');
}
/** Elementwise logical NOT, a bool tensor: PyTorch's `logical_not`. */
export function logicalNot(a: Tensor): Tensor {
  return rawUnary('not', a, 'bool');
}

/**
 * A unary op. `floatOnly` ops (exp, log, ...) turn integer inputs into float32, as PyTorch.
 */
function unary(
  op: UnaryOp,
  a: Tensor,
  name: string,
  floatOnly: boolean,
  grad: (g: Tensor, x: Tensor, out: Tensor) => Tensor,
  saves: 'none' | 'input' | 'output' = 'input',
): Tensor {
  const x = floatOnly && !isFloat(a.dtype) ? as(a, getDefaultDtype()) : a;
  const out = rawUnary(op, x);
  if (!needsGrad2(x, null)) return out;
  const saved = saves === 'none' ? [] : saves === 'input' ? [x] : [out];
  return recordOp(out, name, [x], (g) => [grad(g, x, out)], saved);
}

/** Negation, `-x`: PyTorch's `neg`. */
export const neg = (a: Tensor) => {
  if (a.dtype === 'bool')
    throw new DTypeError('Negation, the `-` operator, on a bool tensor is not supported');
  return unary('neg', a, 'NegBackward0', false, (g) => g.neg(), 'none');
};
/** Elementwise `e^x`: PyTorch's `exp`. */
export const exp = (a: Tensor) => unary('exp', a, 'ExpBackward0', true, (g, _x, out) => g.mul(out), 'output');
/** Elementwise natural logarithm: PyTorch's `log`. */
export const log = (a: Tensor) => unary('log', a, 'LogBackward0', true, (g, x) => g.div(x));
/** Elementwise square root: PyTorch's `sqrt`. */
export const sqrt = (a: Tensor) =>
  unary('sqrt', a, 'SqrtBackward0', true, (g, _x, out) => g.div(out.mul(2)), 'output');
/** Elementwise reciprocal of the square root: PyTorch's `rsqrt`. */
export const rsqrt = (a: Tensor) =>
  unary('rsqrt', a, 'RsqrtBackward0', true, (g, _x, out) => g.mul(out.pow(3)).mul(-0.5), 'output');
/** Elementwise absolute value: PyTorch's `abs`. */
export const abs = (a: Tensor) => unary('abs', a, 'AbsBackward0', false, (g, x) => g.mul(x.sign()));
/** Elementwise sign (-1, 0 or 1): PyTorch's `sign`. */
export const sign = (a: Tensor) => unary('sign', a, 'SignBackward0', false, (g) => g.mul(0), 'none');
/** Elementwise square: PyTorch's `square`. */
export const square = (a: Tensor) => unary('square', a, 'PowBackward0', false, (g, x) => g.mul(x).mul(2));
/** Elementwise `max(x, 0)`: PyTorch's `relu`. */
export const relu = (a: Tensor) =>
  unary('relu', a, 'ReluBackward0', false, (g, _x, out) => reluBackward(g, out), 'output');
/** Elementwise logistic sigmoid `1 / (1 + e^-x)`: PyTorch's `sigmoid`. */
export const sigmoid = (a: Tensor) =>
  unary('sigmoid', a, 'SigmoidBackward0', true, (g, _x, out) => g.mul(out).mul(out.neg().add(1)), 'output');
/** Elementwise hyperbolic tangent: PyTorch's `tanh`. */
export const tanh = (a: Tensor) =>
  unary('tanh', a, 'TanhBackward0', true, (g, _x, out) => g.mul(out.square().neg().add(1)), 'output');
/** Options of `softplus`: PyTorch's `beta` (1) and `threshold` (20). */
export interface SoftplusOptions {
  /** The `beta` of softplus (PyTorch's `beta`). */
  readonly beta?: number;
  /** Above `beta * x > threshold` softplus returns `x` (PyTorch's `threshold`). */
  readonly threshold?: number;
}

/** `F.softplus(x, beta=1, threshold=20)`: log(1 + exp(βx))/β, and x where βx > threshold. */
export function softplus(a: Tensor, opts: SoftplusOptions = {}): Tensor {
  const beta = opts.beta ?? 1;
  const threshold = opts.threshold ?? 20;
  if (!isFloat(a.dtype))
    throw new DTypeError(
      `"softplus" is not implemented for dtype ${a.dtype}: it needs floating point inputs`,
    );
  if (beta !== 1 || threshold !== 20) return softplusWith(a, beta, threshold);
  return unary('softplus', a, 'SoftplusBackward0', true, (g, x) => where(x.gt(20), g, g.mul(x.sigmoid())));
}
/** Elementwise `1 / x`: PyTorch's `reciprocal`. */
export const reciprocal = (a: Tensor) =>
  unary('reciprocal', a, 'ReciprocalBackward0', true, (g, _x, out) => g.mul(out.square()).neg(), 'output');

/** `torch.clamp(t, min, max)`; either bound may be omitted (not both). */
export function clamp(a: Tensor, min?: number | null, max?: number | null): Tensor {
  const lo = min ?? null;
  const hi = max ?? null;
  if (lo === null && hi === null)
    throw new TypeError("clamp(): at least one of 'min' or 'max' must not be None");
  let d = a.dtype;
  for (const v of [lo, hi]) if (v !== null) d = promoteTypes(d, promoteWithScalar(a.dtype, v));
  const x = as(a, d);
  let out = x;
  if (lo !== null) out = rawScalar('maximum', out, lo, d);
  if (hi !== null) {
    const prev = out;
    out = rawScalar('minimum', out, hi, d);
    if (prev !== x) prev.dispose();
  }
  // NaN passes through clamp (and its gradient) as in PyTorch.
  return recordOp(
    out,
    'ClampBackward1',
    [x],
    (g) => {
      let keep = lo !== null ? x.ge(lo) : null;
      if (hi !== null) keep = keep ? keep.logicalAnd(x.le(hi)) : x.le(hi);
      return [where(keep!.logicalOr(x.ne(x)), g, 0)];
    },
    [x],
  );
}

/** `torch.where(condition, a, b)`; a and b may be numbers. */
export function where(condition: Tensor, a: TensorOrScalar, b: TensorOrScalar): Tensor {
  const ref = a instanceof Tensor ? a : b instanceof Tensor ? b : condition;
  const at = a instanceof Tensor ? a : full(ref, checkNumber(a, 'where'));
  const bt = b instanceof Tensor ? b : full(ref, checkNumber(b, 'where'));
  const d =
    a instanceof Tensor && b instanceof Tensor
      ? resultType(at, bt)
      : a instanceof Tensor
        ? at.dtype
        : b instanceof Tensor
          ? bt.dtype
          : promoteTypes(at.dtype, bt.dtype);
  const x = as(at, d);
  const y = as(bt, d);
  const c = as(condition, 'bool');
  const backend = checkSameBackend('where', c, x, y);
  const shape = broadcastShapes(broadcastShapes(c.shape, x.shape), y.shape);
  const out = allocOut(shape, d, backend);
  backend.where(
    broadcastView(c, shape),
    broadcastView(x, shape),
    broadcastView(y, shape),
    out.storage,
    shape,
  );
  return recordOp(
    out,
    'WhereBackward0',
    [x, y],
    (g, needs) => [
      needs[0] ? sumToShape(where(c, g, 0), x.shape) : null,
      needs[1] ? sumToShape(where(c, 0, g), y.shape) : null,
    ],
    [c],
  );
}
