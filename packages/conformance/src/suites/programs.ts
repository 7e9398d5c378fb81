/**
 * The interpreter of the views and indexing fixtures (fixtures/views.json and
 * indexing.json, tooling/golden/views.py): each case is a small program (see the
 * generator's docstring) replayed here: values, shape, strides, storage offset, whether the
 * result shares the input's storage, in-place writes through views (the base and the other
 * views see them), the gradients through PyTorch's CopySlices, gradFn names, and the errors
 * PyTorch raises (class and key phrases). The suites views.ts and indexing.ts register it.
 */
import type { DType, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import {
  expectDTypeUnsupported,
  expectTensor,
  fromSpec,
  phrasePattern,
  type TensorSpec,
  thrown,
  tol,
} from './util.js';

/** One step of a program: `cur = op(cur, ...args)`; see tooling/golden/views.py. */
export interface ProgramStep {
  readonly op: string;
  readonly args?: readonly unknown[];
  /** Remember the result under this name. */
  readonly save?: string;
  /** For ops returning a list (unbind, chunk, split): keep this element. */
  readonly pick?: number;
}

export interface ProgramCase {
  readonly name: string;
  readonly dtype: DType;
  readonly notes?: string;
  readonly inputs: Record<string, TensorSpec>;
  readonly requiresGrad: readonly string[];
  readonly steps: readonly ProgramStep[];
  readonly out?: TensorSpec;
  readonly outRequiresGrad?: boolean;
  readonly gradFn?: string | null;
  readonly gradFnAccept?: readonly (string | null)[];
  readonly view?: { stride: number[]; offset: number; contiguous: boolean; shares: boolean };
  readonly probe?: TensorSpec;
  readonly record?: Record<string, TensorSpec>;
  readonly cot?: FixtureNumber[];
  readonly grads?: Record<string, TensorSpec | null>;
  readonly error?: { type: string; message: string; phrases: string[]; accept: string[] };
  readonly syncReadsOnly?: boolean;
  readonly hostMask?: boolean;
}

interface ProgramFixture {
  readonly cases: ProgramCase[];
}

type Op = (t: Tensor, a: any[]) => Tensor | Tensor[];

/** The stepwise call of every op a program may use (the generator's OPS, in TypeScript). */
const OPS: Record<string, Op> = {
  narrow: (t, a) => t.narrow(a[0], a[1], a[2]),
  select: (t, a) => t.select(a[0], a[1]),
  T: (t) => t.T,
  t: (t) => t.t(),
  transpose: (t, a) => t.transpose(a[0], a[1]),
  permute: (t, a) => t.permute(...a),
  expand: (t, a) => t.expand(...a),
  view: (t, a) => t.view(...a),
  reshape: (t, a) => t.reshape(...a),
  flatten: (t, a) => t.flatten(a[0], a[1]),
  squeeze: (t, a) => t.squeeze(a[0]),
  unsqueeze: (t, a) => t.unsqueeze(a[0]),
  unbind: (t, a) => t.unbind(a[0]),
  chunk: (t, a) => t.chunk(a[0], a[1]),
  split: (t, a) => t.split(a[0], a[1]),
  diagonal: (t, a) => t.diagonal(a[0], a[1], a[2]),
  unfold: (t, a) => t.unfold(a[0], a[1], a[2]),
  movedim: (t, a) => t.movedim(a[0], a[1]),
  detach: (t) => t.detach(),
  contiguous: (t) => t.contiguous(),
  clone: (t) => t.clone(),
  mul: (t, a) => t.mul(a[0]),
  add: (t, a) => t.add(a[0]),
  add_: (t, a) => t.add_(a[0]),
  sub_: (t, a) => t.sub_(a[0]),
  mul_: (t, a) => t.mul_(a[0]),
  div_: (t, a) => t.div_(a[0]),
  zero_: (t) => t.zero_(),
  fill_: (t, a) => t.fill_(a[0]),
  copy_: (t, a) => t.copy_(a[0]),
  clamp_: (t, a) => t.clamp_(a[0], a[1]),
  index: (t, a) => t.index(...a),
  indexPut_: (t, a) => t.indexPut_(a[0], a[1], a[2]),
  maskedFill: (t, a) => t.maskedFill(a[0], a[1]),
  maskedFill_: (t, a) => t.maskedFill_(a[0], a[1]),
  maskedSelect: (t, a) => t.maskedSelect(a[0]),
  indexFill_: (t, a) => t.indexFill_(a[0], a[1], a[2]),
  indexCopy_: (t, a) => t.indexCopy_(a[0], a[1], a[2]),
  indexAdd_: (t, a) => t.indexAdd_(a[0], a[1], a[2]),
  scatter: (t, a) => t.scatter(a[0], a[1], a[2]),
  scatter_: (t, a) => t.scatter_(a[0], a[1], a[2]),
  scatterAdd: (t, a) => t.scatterAdd(a[0], a[1], a[2]),
  scatterAdd_: (t, a) => t.scatterAdd_(a[0], a[1], a[2]),
  take: (t, a) => t.take(a[0]),
};

type Env = Map<string, Tensor>;

/** A fixture tensor; an empty one keeps its shape (nested arrays cannot say [0, 3]). */
function specTensor(spec: TensorSpec, requiresGrad = false): Tensor {
  if (spec.shape.includes(0)) return torch.zeros([...spec.shape], { dtype: spec.dtype, requiresGrad });
  return fromSpec(spec, requiresGrad);
}

/** A fixture argument as the stepwise call takes it: refs and constant tensors become tensors. */
function decode(a: unknown, env: Env): unknown {
  if (Array.isArray(a)) return a.map((v) => decode(v, env));
  if (a !== null && typeof a === 'object') {
    if ('ref' in a) {
      const t = env.get((a as { ref: string }).ref);
      if (!t) throw new Error(`fixture: no tensor named '${(a as { ref: string }).ref}'`);
      return t;
    }
    if ('tensor' in a) return specTensor((a as { tensor: TensorSpec }).tensor);
  }
  return a;
}

function runStep(s: ProgramStep, cur: Tensor, env: Env): Tensor {
  const args = s.args ?? [];
  if (s.op === 'use') {
    const t = env.get(args[0] as string);
    if (!t) throw new Error(`fixture: no tensor named '${String(args[0])}'`);
    return t;
  }
  if (s.op === 'backward') {
    cur.sum().backward();
    return cur;
  }
  const f = OPS[s.op];
  if (!f) throw new Error(`fixture: no stepwise call for op '${s.op}' in views.ts`);
  const out = f(
    cur,
    args.map((a) => decode(a, env)),
  );
  if (Array.isArray(out)) {
    const piece = out[s.pick ?? -1];
    if (!piece) throw new Error(`fixture: ${s.op} returned ${out.length} pieces, pick ${s.pick}`);
    return piece;
  }
  return out;
}

/** The leaves (with requiresGrad when `grad`), then the steps; returns the last `cur`. */
function runProgram(c: ProgramCase, grad: boolean, steps = c.steps): { cur: Tensor; env: Env } {
  const env: Env = new Map();
  for (const [name, spec] of Object.entries(c.inputs)) {
    env.set(name, specTensor(spec, grad && c.requiresGrad.includes(name)));
  }
  let cur = env.get('x')!;
  for (const s of steps) {
    cur = runStep(s, cur, env);
    if (s.save) env.set(s.save, cur);
  }
  return { cur, env };
}

/** True when `e` is an instance of a class named in `names` (its own class or a superclass). */
function isOneOf(e: Error, names: readonly string[]): boolean {
  for (let p = Object.getPrototypeOf(e); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (names.includes(p.constructor?.name)) return true;
  }
  return names.includes(e.name);
}

/**
 * Core reads a bool mask's values on the host (the result's size depends on them): on a
 * backend without synchronous reads, indexing with a mask may be refused with an error that
 * names `torch.where` (core README, "Views and indexing"). Such a refusal passes the case.
 */
function isHostMaskRefusal(ctx: ConformanceContext, c: ProgramCase, e: unknown): boolean {
  return c.hostMask === true && !ctx.syncReads && e instanceof Error && /torch\.where/.test(e.message);
}

async function runErrorCase(ctx: ConformanceContext, c: ProgramCase): Promise<void> {
  const err = c.error!;
  // The index values are read where the backend reads synchronously; webgpu cannot check
  // them when the op is called (core clamps instead, see ops/indexing.ts).
  if (c.syncReadsOnly && !ctx.syncReads) return;
  const { cur, env } = runProgram(c, true, c.steps.slice(0, -1));
  const e = thrown(() => runStep(c.steps[c.steps.length - 1]!, cur, env));
  if (isHostMaskRefusal(ctx, c, e)) return;
  for (const p of err.phrases) {
    expect(e.message, `PyTorch: ${err.type}: ${err.message}`).toMatch(phrasePattern(p));
  }
  expect(
    isOneOf(e, err.accept),
    `error class ${e.constructor.name} (${e.name}): PyTorch raises ${err.type}; accepted: ${err.accept.join(', ')}`,
  ).toBe(true);
}

async function runValueCase(c: ProgramCase): Promise<void> {
  const t = tol(c.dtype);
  const { cur, env } = runProgram(c, true);
  await expectTensor(cur, c.out!, t, 'out');
  expect(cur.requiresGrad, 'out.requiresGrad').toBe(c.outRequiresGrad);

  if (c.view) {
    const v = c.view;
    if (v.shares) {
      // Strides of size-1 dims address nothing and the offset of an empty view reads nothing:
      // PyTorch's values there are implementation details, so only the others are compared.
      const stride = cur.stride();
      for (let d = 0; d < cur.shape.length; d++) {
        if (cur.shape[d]! > 1) expect(stride[d], `stride(${d}) of shape [${cur.shape}]`).toBe(v.stride[d]);
      }
      if (cur.numel() > 0) expect(cur.storageOffset(), 'storageOffset()').toBe(v.offset);
    }
    expect(cur.isContiguous(), 'isContiguous()').toBe(v.contiguous);
  }

  for (const [name, spec] of Object.entries(c.record ?? {})) {
    await expectTensor(env.get(name)!, spec, t, `'${name}' at the end`);
  }

  if (c.cot && c.grads) {
    const cot = specTensor({ shape: c.out!.shape, dtype: c.out!.dtype, data: c.cot });
    cur.mul(cot).sum().backward();
    for (const [name, g] of Object.entries(c.grads)) {
      const grad = env.get(name)!.grad;
      if (g === null) {
        expect(grad, `${name}.grad`).toBeNull();
        continue;
      }
      expect(grad, `${name}.grad`).not.toBeNull();
      await expectTensor(grad!, g, t, `${name}.grad`);
    }
  }

  if (c.probe) {
    // Replayed without grad, then the result is written: a view writes into x, a copy does not.
    const p = runProgram(c, false);
    p.cur.add_(100);
    await expectTensor(
      p.env.get('x')!,
      c.probe,
      t,
      'x after out.add_(100) (a view writes through, a copy does not)',
    );
  }

  const name = cur.gradFn ? cur.gradFn.name : null;
  if (c.gradFnAccept) expect(c.gradFnAccept, `gradFn ${name}`).toContain(name);
  else expect(name, 'gradFn').toBe(c.gradFn);
}

/** Registers one test per case of a program fixture (views.json, indexing.json). */
export function registerProgramCases(ctx: ConformanceContext, fixture: string): void {
  const { cases } = loadFixture<ProgramFixture>(fixture);
  const values = cases.filter((c) => !c.error);
  const errors = cases.filter((c) => c.error);
  for (const c of values) {
    it(c.name, async () => {
      if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
      try {
        await runValueCase(c);
      } catch (e) {
        if (!isHostMaskRefusal(ctx, c, e)) throw e;
      }
    });
  }
  describe('errors', () => {
    for (const c of errors) {
      it(c.name, async () => {
        if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
        try {
          await runErrorCase(ctx, c);
        } catch (e) {
          if (!isHostMaskRefusal(ctx, c, e)) throw e;
        }
      });
    }
  });
}
