/**
 * dtype promotion (fixtures/promotion.json): float64 op int32 -> float64, float32 op
 * float64 -> float64, a JS number keeps the tensor's dtype, int32 -> float32 for
 * floating results; and int32 unary ops.
 */
import type { Tensor } from '@stepwise/core';
import { describe, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, expectTensor, fromSpec, type TensorSpec, tol } from './util.js';

interface BinaryPromo {
  readonly id: string;
  readonly op: 'add' | 'sub' | 'mul' | 'div' | 'maximum' | 'lt';
  readonly a: TensorSpec | number;
  readonly b: TensorSpec | number;
  readonly out: TensorSpec;
}
interface UnaryPromo {
  readonly id: string;
  readonly op: 'exp' | 'sqrt' | 'sigmoid' | 'log' | 'neg' | 'abs' | 'sum';
  readonly a: TensorSpec;
  readonly out: TensorSpec;
}

const operand = (v: TensorSpec | number): Tensor | number => (typeof v === 'number' ? v : fromSpec(v));

function usesFloat64(...vs: (TensorSpec | number)[]): boolean {
  return vs.some((v) => typeof v !== 'number' && v.dtype === 'float64');
}

export function registerPromotionTests(ctx: ConformanceContext): void {
  const fx = loadFixture<{ binary: BinaryPromo[]; unary: UnaryPromo[] }>('promotion');
  describe('binary', () => {
    for (const c of fx.binary) {
      it(c.id, async () => {
        if (usesFloat64(c.a, c.b) && !ctx.supports('float64')) return expectDTypeUnsupported(ctx, 'float64');
        const a = operand(c.a);
        const b = operand(c.b);
        // The tensor is always on the left in the fixture, or both are tensors.
        const out = (a as Tensor)[c.op](b as any) as Tensor;
        await expectTensor(out, c.out, tol(c.out.dtype), c.id);
      });
    }
  });
  describe('unary int32', () => {
    for (const c of fx.unary) {
      it(c.id, async () => {
        const a = fromSpec(c.a);
        const out = c.op === 'sum' ? a.sum() : (a[c.op]() as Tensor);
        await expectTensor(out, c.out, tol(c.out.dtype), c.id);
      });
    }
  });
}
