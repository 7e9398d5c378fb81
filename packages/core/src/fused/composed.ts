/**
 * The composed path of fused programs: runs the lowered program with ordinary Tensor ops
 * (a tensor per operation, each rounded to the buffers' dtype). It is the fallback where a
 * backend has no `fused` kernel, and `optim.withComposedUpdates` runs it so the conformance
 * suite can check that every backend's fused pass agrees with the same update written as a
 * chain of ops — DESIGN.md's "both paths agree".
 *
 * Why composed ops and not a JS loop over read-back data (the interpreter): it runs on every
 * backend, synchronously and without reading anything back — webgpu can only read
 * asynchronously, and `opt.step()` is synchronous everywhere.
 */
import { noGrad, tidy } from '../engine.js';
import { BackendError, ValueError } from '../errors.js';
import { fullLike } from '../ops/creation.js';
import { where } from '../ops/elementwise.js';
import { Tensor } from '../tensor.js';
import { applyFusedBinary, applyFusedUnary } from './evaluate.js';
import { fusedScalars, type LoweredFused, lowerFused } from './lower.js';
import type { FusedBinaryOp, FusedExpr, FusedProgram, FusedUnaryOp } from './program.js';

type Val = Tensor | number;

/**
 * The language's ops that are no backend kernel of their own (the math functions that
 * only fused programs compute): a backend without `fused` cannot run programs using them.
 */
function noKernel(op: string, like: Tensor): never {
  throw new BackendError(
    `the '${like.backend.name}' backend has no fused kernel, and the fused op '${op}' has no composed form: implement Backend.fused to run it`,
  );
}

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
    case 'exp':
      return a.exp();
    case 'log':
      return a.log();
    case 'tanh':
      return a.tanh();
    default:
      return noKernel(op, a);
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
    case 'ge':
      return x.ge(b).to(like.dtype);
    case 'le':
      return x.le(b).to(like.dtype);
    default:
      return noKernel(op, like);
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
    default:
      if (!('b' in e)) return unary(e.op, evaluate(e.a, bufs, scalars, locals));
      return binary(
        e.op,
        evaluate(e.a, bufs, scalars, locals),
        evaluate(e.b, bufs, scalars, locals),
        bufs[0]!,
      );
  }
}

function runOne(lowered: LoweredFused, buffers: readonly Tensor[], scalars: ArrayLike<number>): void {
  const all = fusedScalars(lowered, scalars);
  const locals: Val[] = new Array(lowered.numLocals).fill(0);
  for (const st of lowered.body) {
    let v = evaluate(st.value, buffers, all, locals);
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
}

/**
 * Runs `program` over each entry (tensors in the program's buffer order, its own scalars)
 * with composed Tensor ops, in place, as the backends' fused pass would: same lowered
 * statements, same read-after-store semantics. Core has checked the entries.
 */
export function runFusedComposed(
  program: FusedProgram,
  entries: readonly { readonly buffers: readonly Tensor[]; readonly scalars: ArrayLike<number> }[],
): void {
  const lowered = lowerFused(program);
  if (!lowered.localsInLoop) {
    throw new ValueError(
      `fused program '${program.name}' reads a local before binding it (locals carried across elements): the composed path cannot run it`,
    );
  }
  noGrad(() => {
    for (const { buffers, scalars } of entries) tidy(() => runOne(lowered, buffers, scalars));
  });
}
