/**
 * The composed reference path of fused programs: evaluates a `FusedProgram` with ordinary
 * Tensor ops (allocating a tensor per operation, rounding each to the buffers' dtype), so
 * the conformance suite can check that every backend's compiled fused pass agrees with the
 * same update written as a chain of ops — DESIGN.md's "both paths agree".
 */
import { noGrad, tidy } from './engine.js';
import {
  applyFusedBinary,
  applyFusedUnary,
  type FusedBinaryOp,
  type FusedExpr,
  type FusedProgram,
  type FusedUnaryOp,
} from './fused.js';
import { fullLike } from './ops/creation.js';
import { where } from './ops/elementwise.js';
import { Tensor } from './tensor.js';

type Val = Tensor | number;

function unary(op: FusedUnaryOp, a: Val): Val {
  if (typeof a === 'number') return applyFusedUnary(op, a);
  switch (op) {
    case 'neg':
      return a.neg();
    case 'sqrt':
      return a.sqrt();
    case 'abs':
      return a.abs();
    case 'sign':
      return a.sign();
  }
}

function binary(op: FusedBinaryOp, a: Val, b: Val, like: Tensor): Val {
  if (typeof a === 'number' && typeof b === 'number') return applyFusedBinary(op, a, b);
  // A number on the left becomes a tensor of the buffers' dtype (a JS number keeps the dtype).
  const x = typeof a === 'number' ? fullLike(like, a) : a;
  switch (op) {
    case 'add':
      return x.add(b);
    case 'sub':
      return x.sub(b);
    case 'mul':
      return x.mul(b);
    case 'div':
      return x.div(b);
    case 'max':
      return x.maximum(b);
    case 'min':
      return x.minimum(b);
    case 'gt':
      return x.gt(b).to(like.dtype);
    case 'lt':
      return x.lt(b).to(like.dtype);
    case 'eq':
      return x.eq(b).to(like.dtype);
  }
}

function evaluate(e: FusedExpr, bufs: readonly Tensor[], scalars: ArrayLike<number>, locals: Val[]): Val {
  switch (e.op) {
    case 'buf':
      return bufs[e.index]!;
    case 'scalar':
      return scalars[e.index]!;
    case 'const':
      return e.value;
    case 'local':
      return locals[e.index]!;
    case 'select': {
      const c = evaluate(e.cond, bufs, scalars, locals);
      if (typeof c === 'number')
        return c !== 0 ? evaluate(e.a, bufs, scalars, locals) : evaluate(e.b, bufs, scalars, locals);
      let a = evaluate(e.a, bufs, scalars, locals);
      const b = evaluate(e.b, bufs, scalars, locals);
      if (typeof a === 'number' && typeof b === 'number') a = fullLike(bufs[0]!, a);
      return where(c.ne(0), a, b);
    }
    case 'neg':
    case 'sqrt':
    case 'abs':
    case 'sign':
      return unary(e.op, evaluate(e.a, bufs, scalars, locals));
    default:
      return binary(
        e.op,
        evaluate(e.a, bufs, scalars, locals),
        evaluate(e.b, bufs, scalars, locals),
        bufs[0]!,
      );
  }
}

/**
 * Runs `program` over each entry with composed Tensor ops, in place, exactly as
 * `runFused` would (same statement order, same read-after-store semantics).
 */
export function runFusedReference(
  program: FusedProgram,
  entries: readonly { buffers: readonly Tensor[]; scalars: ArrayLike<number> }[],
): void {
  noGrad(() => {
    for (const { buffers, scalars } of entries) {
      tidy(() => {
        const locals: Val[] = new Array(program.numLocals).fill(0);
        for (const st of program.body) {
          let v = evaluate(st.value, buffers, scalars, locals);
          if (st.kind === 'let') {
            // A local must keep its value even if its buffer is stored to later.
            if (v instanceof Tensor && buffers.includes(v)) v = v.clone();
            locals[st.local] = v;
          } else {
            const target = buffers[st.buffer]!;
            if (typeof v === 'number') target.fill_(v);
            else if (v !== target) target.copy_(v);
          }
        }
      });
    }
  });
}
