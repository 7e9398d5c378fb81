/**
 * What each op of a fused program computes, on JS numbers (float64): the one definition
 * that the interpreter, lowering's host-evaluated scalars and the composed fallback share,
 * and that every backend's rendering matches.
 */
import type { FusedBinaryOp, FusedExpr, FusedUnaryOp } from './program.js';
import { erf, erfinv, roundHalfEven } from './special.js';

/** Applies a fused unary op to one number, as every backend must (the reference semantics). */
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
    case 'exp':
      return Math.exp(a);
    case 'log':
      return Math.log(a);
    case 'expm1':
      return Math.expm1(a);
    case 'log1p':
      return Math.log1p(a);
    case 'sin':
      return Math.sin(a);
    case 'cos':
      return Math.cos(a);
    case 'tan':
      return Math.tan(a);
    case 'asin':
      return Math.asin(a);
    case 'acos':
      return Math.acos(a);
    case 'atan':
      return Math.atan(a);
    case 'sinh':
      return Math.sinh(a);
    case 'cosh':
      return Math.cosh(a);
    case 'tanh':
      return Math.tanh(a);
    case 'asinh':
      return Math.asinh(a);
    case 'acosh':
      return Math.acosh(a);
    case 'atanh':
      return Math.atanh(a);
    case 'erf':
      return erf(a);
    case 'erfinv':
      return erfinv(a);
    case 'floor':
      return Math.floor(a);
    case 'ceil':
      return Math.ceil(a);
    case 'trunc':
      return Math.trunc(a);
    case 'round':
      return roundHalfEven(a);
    case 'isnan':
      return Number.isNaN(a) ? 1 : 0;
    case 'isinf':
      return a === Number.POSITIVE_INFINITY || a === Number.NEGATIVE_INFINITY ? 1 : 0;
  }
}

/** Applies a fused binary op to two numbers, as every backend must (the reference semantics). */
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
    case 'ge':
      return a >= b ? 1 : 0;
    case 'le':
      return a <= b ? 1 : 0;
    case 'atan2':
      return Math.atan2(a, b);
    case 'fmod':
      return a % b; // JS `%` on numbers is C's fmod, exactly
    case 'hypot':
      return Math.hypot(a, b);
  }
}

/** Host evaluation of one expression at element `i` (buffers and locals may be empty for invariant ones). */
export function evalFusedExpr(
  e: FusedExpr,
  bufs: readonly { [i: number]: number }[],
  i: number,
  scalars: ArrayLike<number>,
  locals: readonly number[],
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
    default:
      if ('b' in e) {
        return applyFusedBinary(
          e.op,
          evalFusedExpr(e.a, bufs, i, scalars, locals),
          evalFusedExpr(e.b, bufs, i, scalars, locals),
        );
      }
      return applyFusedUnary(e.op, evalFusedExpr(e.a, bufs, i, scalars, locals));
  }
}
