/**
 * Every op of API.md's Tensor section against PyTorch 1.13 (fixtures/ops.json): output
 * shape, dtype and values; gradients of sum(out * cot) for every input that requires grad;
 * and `gradFn.name`, which must be PyTorch's.
 */
import type { Tensor } from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { looseOps, opTable } from './opTable.js';
import {
  expectDTypeUnsupported,
  expectInputGrads,
  expectTensor,
  fromSpec,
  type TensorSpec,
  tensorOf,
  tol,
} from './util.js';

export interface OpCase {
  readonly id: string;
  readonly op: string;
  readonly dtype: 'float32' | 'float64' | 'int32';
  readonly args: any[];
  readonly inputs: TensorSpec[];
  readonly requiresGrad: boolean[];
  readonly out: TensorSpec;
  readonly gradFn: string | null;
  readonly gradFnAccept?: (string | null)[];
  readonly cot?: FixtureNumber[];
  readonly grads?: (FixtureNumber[] | null)[];
}

interface OpsFixture {
  readonly cases: OpCase[];
}

/** Runs one case's forward (and backward when the fixture has gradients). */
async function runCase(c: OpCase): Promise<void> {
  const call = opTable[c.op];
  expect(call, `no stepwise call for op '${c.op}' in opTable.ts`).toBeDefined();
  const xs = c.inputs.map((spec, i) => fromSpec(spec, c.requiresGrad[i]));
  const out: Tensor = call!(xs, c.args);
  const kind = looseOps.has(c.op) ? 'loose' : 'elementwise';
  await expectTensor(out, c.out, tol(c.out.dtype, kind), `${c.op} output`);

  if (c.cot && c.grads) {
    expect(out.requiresGrad, 'output requiresGrad').toBe(true);
    const cot = tensorOf(c.cot, c.out.shape, c.out.dtype);
    out.mul(cot).sum().backward();
    await expectInputGrads(xs, c.grads, c.inputs, (d) => tol(d, kind), c.op);
  } else {
    expect(out.requiresGrad, 'a non-differentiable output does not require grad').toBe(false);
  }
}

function gradFnName(c: OpCase): string | null {
  const xs = c.inputs.map((spec, i) => fromSpec(spec, c.requiresGrad[i]));
  const out = opTable[c.op]!(xs, c.args);
  return out.gradFn ? out.gradFn.name : null;
}

export function registerOpsTests(ctx: ConformanceContext): void {
  const { cases } = loadFixture<OpsFixture>('ops');
  const byOp = new Map<string, OpCase[]>();
  for (const c of cases) {
    if (!byOp.has(c.op)) byOp.set(c.op, []);
    byOp.get(c.op)!.push(c);
  }
  for (const [op, opCases] of byOp) {
    describe(op, () => {
      for (const c of opCases) {
        it(c.id, async () => {
          if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
          await runCase(c);
        });
      }
      // One test per op: the gradFn names of all its cases (PyTorch's names, API.md).
      it(`gradFn name of ${op}`, () => {
        const supported = opCases.filter((c) => ctx.supports(c.dtype));
        expect(supported.length, 'cases on a supported dtype').toBeGreaterThan(0);
        for (const c of supported) {
          const name = gradFnName(c);
          if (c.gradFnAccept) expect(c.gradFnAccept, `${c.id}: gradFn ${name}`).toContain(name);
          else expect(name, `${c.id}: gradFn`).toBe(c.gradFn);
        }
      });
    });
  }
}
