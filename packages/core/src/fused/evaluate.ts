/**
 * What each op of a fused program computes, on JS numbers (float64): the one definition
 * that the interpreter, lowering's host-evaluated scalars and the composed fallback share,
 * and that every backend's rendering matches.
 */
import type { FusedBinaryOp, FusedExpr, FusedUnaryOp } from './program.js';

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
    case 'neg':
    case 'sqrt':
    case 'abs':
    case 'sign':
      return applyFusedUnary(e.op, evalFusedExpr(e.a, bufs, i, scalars, locals));
    default:
      return applyFusedBinary(
        e.op,
        evalFusedExpr(e.a, bufs, i, scalars, locals),
        evalFusedExpr(e.b, bufs, i, scalars, locals),
      );
  }
}
