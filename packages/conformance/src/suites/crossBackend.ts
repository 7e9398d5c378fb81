/**
 * Cross-backend agreement: the same random programs (chains of elementwise ops with
 * broadcasting, reductions, matmul, softmax) run on the backend under test in each dtype
 * it stores, and on the reference backend (cpu-js) in float64. Values and the gradients
 * of every input must agree within `tolerance(dtype, 'crossBackend')`.
 */

import type { Backend, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, it } from 'vitest';
import { expectClose } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { mulberry32 } from '../seeded.js';
import { tolerance } from '../tolerance.js';

type Step = (x: Tensor, other: Tensor) => Tensor;

/** Ops that keep values in a tame range, so float32 and float64 stay comparable. */
const unary: Record<string, (x: Tensor) => Tensor> = {
  tanh: (x) => x.tanh(),
  sigmoid: (x) => x.sigmoid(),
  relu: (x) => x.relu(),
  abs: (x) => x.abs(),
  softplus: (x) => x.softplus(),
  'sqrt(abs+1)': (x) => x.abs().add(1).sqrt(),
  'exp(clamp)': (x) => x.clamp(-3, 3).exp(),
  'log(abs+1)': (x) => x.abs().add(1).log(),
  square: (x) => x.square(),
  neg: (x) => x.neg(),
  'clamp(-1,1)': (x) => x.clamp(-1, 1),
};

const binary: Record<string, Step> = {
  add: (x, o) => x.add(o),
  sub: (x, o) => x.sub(o),
  mul: (x, o) => x.mul(o),
  'div(abs+1)': (x, o) => x.div(o.abs().add(1)),
  maximum: (x, o) => x.maximum(o),
  minimum: (x, o) => x.minimum(o),
  'where(gt)': (x, o) => torch.where(x.gt(o), x, o.mul(0.5)),
};

interface Program {
  shape: number[];
  otherShapes: number[][];
  steps: { name: string; kind: 'unary' | 'binary' }[];
  tail: 'sum' | 'mean(-1)' | 'softmax(-1)' | 'logsumexp(-1)' | 'matmul' | 'max(-1)';
}

function makeProgram(seed: number): Program {
  // The program must be the same on both backends: one seeded generator draws it.
  const r = mulberry32(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const rank = 1 + Math.floor(r() * 3);
  const shape = Array.from({ length: rank }, () => pick([1, 2, 3, 5, 7, 33]));
  const steps: Program['steps'] = [];
  const otherShapes: number[][] = [];
  const n = 2 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    if (r() < 0.5) steps.push({ name: pick(Object.keys(unary)), kind: 'unary' });
    else {
      steps.push({ name: pick(Object.keys(binary)), kind: 'binary' });
      // Broadcast: drop leading dims and/or set some dims to 1.
      const drop = Math.floor(r() * shape.length);
      otherShapes.push(shape.slice(drop).map((d) => (r() < 0.3 ? 1 : d)));
    }
  }
  const tail = pick(['sum', 'mean(-1)', 'softmax(-1)', 'logsumexp(-1)', 'matmul', 'max(-1)'] as const);
  return { shape, otherShapes, steps, tail };
}

function hostData(seed: number, shape: readonly number[]): Float64Array {
  const r = mulberry32(seed * 7919 + shape.length);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float64Array.from({ length: n }, () => r() * 4 - 2);
}

/** Runs the program on one backend in one dtype; returns the output and every input's gradient. */
async function run(
  p: Program,
  seed: number,
  backend: Backend,
  dtype: torch.DType,
): Promise<{ out: ArrayLike<number>; grads: ArrayLike<number>[] }> {
  const make = (s: number, shape: readonly number[]) =>
    torch.tensor(hostData(s, shape), { dtype, backend }).reshape(shape).detach().requiresGrad_(true);
  const x = make(seed, p.shape);
  const others = p.otherShapes.map((s, i) => make(seed + i + 1, s));
  let y = x;
  let k = 0;
  for (const st of p.steps) {
    y = st.kind === 'unary' ? unary[st.name]!(y) : binary[st.name]!(y, others[k++]!);
  }
  switch (p.tail) {
    case 'sum':
      y = y.sum();
      break;
    case 'mean(-1)':
      y = y.mean(-1);
      break;
    case 'softmax(-1)':
      y = y.softmax(-1);
      break;
    case 'logsumexp(-1)':
      y = y.logsumexp(-1);
      break;
    case 'max(-1)':
      y = y.max(-1).values;
      break;
    case 'matmul': {
      const m = y.dim() === 1 ? y.reshape([1, y.shape[0]!]) : y.reshape([-1, y.shape[y.dim() - 1]!]);
      y = m.matmul(m.T);
      break;
    }
  }
  const cot = torch.tensor(hostData(seed + 99, y.shape), { dtype, backend }).reshape(y.shape);
  y.mul(cot).sum().backward();
  const grads = [x, ...others].map((t) => t.grad!);
  return { out: await y.data(), grads: await Promise.all(grads.map((g) => g.data())) };
}

export function registerCrossBackendTests(ctx: ConformanceContext): void {
  describe('random programs agree with the float64 reference', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const p = makeProgram(seed);
      const label = `seed ${seed}: ${p.steps.map((s) => s.name).join(' → ')} → ${p.tail} on [${p.shape}]`;
      it(label, async () => {
        const ref = await run(p, seed, ctx.reference(), 'float64');
        for (const dtype of ['float32', 'float64'] as const) {
          if (!ctx.supports(dtype)) continue; // float64's clear error is asserted by the creation suite
          const got = await run(p, seed, ctx.backend(), dtype);
          // max(-1) ties can pick different indices in float32; compare values only there.
          const tol = tolerance(dtype, 'crossBackend');
          expectClose(got.out, Array.from(ref.out), tol, `${dtype} output`);
          if (p.tail === 'max(-1)' && dtype === 'float32') continue;
          got.grads.forEach((g, i) => {
            expectClose(g, Array.from(ref.grads[i]!), tol, `${dtype} grad of input ${i}`);
          });
        }
      });
    }
  });
}
