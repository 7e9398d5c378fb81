/**
 * Elementwise math (issue 13) against PyTorch 1.13 (fixtures/ops_math.json, written by
 * tooling/golden/ops_math.py): output shape, dtype and values, gradients of sum(out * cot)
 * for every input that requires grad, `gradFn.name`, special values, int32 promotion, and
 * PyTorch's refusals (integer inputs to float-only kernels) as clear errors.
 */
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import {
  expectDTypeUnsupported,
  expectInputGrads,
  expectTensor,
  expectThrowsPhrase,
  fromSpec,
  type TensorSpec,
  tensorOf,
  tol,
} from './util.js';

const { nn } = torch;
const F = torch.nn.functional;

type Call = (xs: Tensor[], args: any[]) => Tensor;

const nul = (v: number | null): number | undefined => (v === null ? undefined : v);

/** The stepwise call for every `op` key of the fixture (tooling/golden/ops_math.py `OPS`). */
export const mathOpTable: Record<string, Call> = {
  sin: ([x]) => x!.sin(),
  cos: ([x]) => x!.cos(),
  tan: ([x]) => x!.tan(),
  asin: ([x]) => x!.asin(),
  acos: ([x]) => x!.acos(),
  atan: ([x]) => x!.atan(),
  sinh: ([x]) => x!.sinh(),
  cosh: ([x]) => x!.cosh(),
  asinh: ([x]) => x!.asinh(),
  acosh: ([x]) => x!.acosh(),
  atanh: ([x]) => x!.atanh(),
  exp2: ([x]) => x!.exp2(),
  expm1: ([x]) => x!.expm1(),
  log2: ([x]) => x!.log2(),
  log10: ([x]) => x!.log10(),
  log1p: ([x]) => x!.log1p(),
  floor: ([x]) => x!.floor(),
  ceil: ([x]) => x!.ceil(),
  round: ([x]) => x!.round(),
  roundDecimals: ([x], [d]) => x!.round({ decimals: d }),
  trunc: ([x]) => x!.trunc(),
  frac: ([x]) => x!.frac(),
  erf: ([x]) => x!.erf(),
  erfinv: ([x]) => x!.erfinv(),
  logit: ([x], a) => (a.length ? x!.logit(a[0]) : x!.logit()),
  nanToNum: ([x], [o]) => x!.nanToNum(o),
  isnan: ([x]) => x!.isnan(),
  isinf: ([x]) => x!.isinf(),
  isfinite: ([x]) => x!.isfinite(),
  clip: ([x], [lo, hi]) => x!.clip(nul(lo), nul(hi)),
  'fn.sin': ([x]) => torch.sin(x!),
  'fn.atan2': ([a, b]) => torch.atan2(a!, b!),
  'fn.erf': ([x]) => torch.erf(x!),
  'fn.clip': ([x], [lo, hi]) => torch.clip(x!, nul(lo), nul(hi)),
  'fn.lerp': ([a, b, w]) => torch.lerp(a!, b!, w!),
  'fn.round': ([x]) => torch.round(x!),
  atan2: ([a, b]) => a!.atan2(b!),
  hypot: ([a, b]) => a!.hypot(b!),
  fmod: ([a, b]) => a!.fmod(b!),
  remainder: ([a, b]) => a!.remainder(b!),
  fmodScalar: ([x], [v]) => x!.fmod(v),
  remainderScalar: ([x], [v]) => x!.remainder(v),
  divTrunc: ([a, b]) => torch.div(a!, b!, { roundingMode: 'trunc' }),
  divFloor: ([a, b]) => torch.div(a!, b!, { roundingMode: 'floor' }),
  divTruncScalar: ([x], [v]) => x!.div(v, { roundingMode: 'trunc' }),
  divFloorScalar: ([x], [v]) => x!.div(v, { roundingMode: 'floor' }),
  lerp: ([a, b, w]) => a!.lerp(b!, w!),
  lerpScalar: ([a, b], [w]) => a!.lerp(b!, w),
  addcmul: ([x, a, b], v) => x!.addcmul(a!, b!, v.length ? { value: v[0] } : undefined),
  addcdiv: ([x, a, b], v) => x!.addcdiv(a!, b!, v.length ? { value: v[0] } : undefined),
  max2: ([a, b]) => torch.max(a!, b!),
  min2: ([a, b]) => torch.min(a!, b!),
  maxMethod2: ([a, b]) => a!.max(b!),
  gelu: ([x], a) => F.gelu(x!, a.length ? { approximate: a[0] } : undefined),
  powScalar: ([x], [v]) => x!.pow(v),
  silu: ([x]) => F.silu(x!),
  mish: ([x]) => F.mish(x!),
  hardtanh: ([x], a) => F.hardtanh(x!, a.length ? { minVal: a[0], maxVal: a[1] } : undefined),
  leakyRelu: ([x], a) => F.leakyRelu(x!, a.length ? { negativeSlope: a[0] } : undefined),
  elu: ([x], a) => F.elu(x!, a.length ? { alpha: a[0] } : undefined),
  softplus: ([x], a) => F.softplus(x!, a.length ? { beta: a[0], threshold: a[1] } : undefined),
  'nn.GELU': ([x], [approximate]) => new nn.GELU({ approximate }).forward(x!),
  'nn.SiLU': ([x]) => new nn.SiLU().forward(x!),
  'nn.Mish': ([x]) => new nn.Mish().forward(x!),
  'nn.Hardtanh': ([x], [minVal, maxVal]) => new nn.Hardtanh({ minVal, maxVal }).forward(x!),
  'nn.LeakyReLU': ([x], [negativeSlope]) => new nn.LeakyReLU({ negativeSlope }).forward(x!),
  'nn.ELU': ([x], [alpha]) => new nn.ELU({ alpha }).forward(x!),
  'nn.Softplus': ([x], [beta, threshold]) => new nn.Softplus({ beta, threshold }).forward(x!),
  'nn.Tanh': ([x]) => new nn.Tanh().forward(x!),
  'nn.Sigmoid': ([x]) => new nn.Sigmoid().forward(x!),
  // In place on a clone of input 0: a non-leaf, so autograd records the in-place op.
  sin_: ([x]) => x!.clone().sin_(),
  cos_: ([x]) => x!.clone().cos_(),
  exp2_: ([x]) => x!.clone().exp2_(),
  log1p_: ([x]) => x!.clone().log1p_(),
  floor_: ([x]) => x!.clone().floor_(),
  round_: ([x]) => x!.clone().round_(),
  trunc_: ([x]) => x!.clone().trunc_(),
  erf_: ([x]) => x!.clone().erf_(),
  clip_: ([x], [lo, hi]) => x!.clone().clip_(nul(lo), nul(hi)),
  fmod_: ([x, y]) => x!.clone().fmod_(y!),
  lerp_: ([x, y], [w]) => x!.clone().lerp_(y!, w),
  lerpT_: ([x, y, w]) => x!.clone().lerp_(y!, w!),
  addcmul_: ([x, a, b]) => x!.clone().addcmul_(a!, b!),
  addcdiv_: ([x, a, b], [value]) => x!.clone().addcdiv_(a!, b!, { value }),
  nanToNum_: ([x]) => x!.clone().nanToNum_(),
  silu_: ([x]) => F.silu(x!.clone(), { inplace: true }),
  leakyRelu_: ([x], [negativeSlope]) => F.leakyRelu(x!.clone(), { negativeSlope, inplace: true }),
};

interface MathCase {
  readonly id: string;
  readonly op: string;
  readonly dtype: 'float32' | 'float64' | 'int32';
  readonly args: any[];
  readonly inputs: TensorSpec[];
  readonly requiresGrad: boolean[];
  readonly out: TensorSpec;
  readonly gradFn: string | null;
  readonly cot?: FixtureNumber[];
  readonly grads?: (FixtureNumber[] | null)[];
}

interface MathError {
  readonly id: string;
  readonly op: string;
  readonly args: any[];
  readonly inputs: TensorSpec[];
  readonly pytorch: { readonly type: string; readonly message: string };
  readonly phrase: string;
}

interface MathFixture {
  readonly cases: MathCase[];
  readonly errors: MathError[];
}

function call(op: string): Call {
  const f = mathOpTable[op];
  expect(f, `no stepwise call for op '${op}' in opsMath.ts`).toBeDefined();
  return f!;
}

async function runCase(c: MathCase): Promise<void> {
  const xs = c.inputs.map((spec, i) => fromSpec(spec, c.requiresGrad[i]));
  const out = call(c.op)(xs, c.args);
  await expectTensor(out, c.out, tol(c.out.dtype), `${c.op} output`);
  expect(out.gradFn?.name ?? null, `${c.op} gradFn`).toBe(c.gradFn);
  if (!(c.cot && c.grads)) {
    expect(out.requiresGrad, 'a non-differentiable output does not require grad').toBe(false);
    return;
  }
  expect(out.requiresGrad, 'output requiresGrad').toBe(true);
  out
    .mul(tensorOf(c.cot, c.out.shape, c.out.dtype))
    .sum()
    .backward();
  await expectInputGrads(xs, c.grads, c.inputs, (d) => tol(d), c.op);
}

export function registerOpsMathTests(ctx: ConformanceContext): void {
  const { cases, errors } = loadFixture<MathFixture>('ops_math');
  const byOp = new Map<string, MathCase[]>();
  for (const c of cases) {
    if (!byOp.has(c.op)) byOp.set(c.op, []);
    byOp.get(c.op)!.push(c);
  }
  for (const [op, opCases] of byOp) {
    describe(op, () => {
      for (const c of opCases) {
        it(c.id, async () => {
          const missing = c.inputs.find((s) => !ctx.supports(s.dtype));
          if (missing) return expectDTypeUnsupported(ctx, missing.dtype);
          await runCase(c);
        });
      }
    });
  }

  describe('refusals', () => {
    for (const e of errors) {
      it(`${e.id}: ${e.pytorch.type}`, () => {
        const xs = e.inputs.map((spec) => fromSpec(spec));
        const err = expectThrowsPhrase(() => call(e.op)(xs, e.args), e.phrase);
        // Names the dtype or the operation (PyTorch: '"gelu" not implemented for 'Int'').
        expect(err.message).toMatch(/int32|Integer/);
      });
    }
    it('div with an unknown rounding mode names the choices', () => {
      const x = torch.tensor([1, 2]);
      expectThrowsPhrase(() => x.div(2, { roundingMode: 'round' as 'trunc' }), "'trunc', or 'floor'");
    });
    it('gelu with an unknown approximation names it', () => {
      expectThrowsPhrase(() => F.gelu(torch.tensor([1]), { approximate: 'erf' as 'none' }), 'approximate');
    });
    it('torch.max(t, dim) keeps its values-and-indices form', async () => {
      const r = torch.max(
        torch.tensor([
          [1, 5],
          [7, 2],
        ]),
        1,
      );
      expect(Array.from(await r.values.data())).toEqual([5, 7]);
      expect(Array.from(await r.indices.data())).toEqual([1, 0]);
    });
  });
}
