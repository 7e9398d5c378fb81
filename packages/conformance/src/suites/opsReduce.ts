/**
 * Reductions, sorting, linear algebra and shape ops of issue 13 against PyTorch 1.13
 * (fixtures/ops_reduce.json, tooling/golden/ops_reduce.py): every output's shape, dtype and
 * values, the gradients of sum(out_i * cot_i) for every input that requires grad, and
 * `gradFn.name`. Then the argument forms (sizes as separate numbers or arrays, options
 * objects, `torch.*` functions), views, and the errors for bad input.
 */
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import {
  expectDTypeUnsupported,
  expectInputGrads,
  expectThrowsPhrase,
  expectValues,
  fromSpec,
  numbers,
  type TensorSpec,
  tensorOf,
  tol,
  values,
} from './util.js';

interface ReduceCase {
  readonly id: string;
  readonly op: string;
  readonly dtype: 'float32' | 'float64' | 'int32' | 'bool';
  readonly args: any[];
  readonly inputs: TensorSpec[];
  readonly requiresGrad: boolean[];
  readonly outs: TensorSpec[];
  readonly gradFn: string | null;
  readonly gradFnAccept?: (string | null)[];
  readonly orderFree?: boolean;
  readonly cots?: (FixtureNumber[] | null)[];
  readonly grads?: (FixtureNumber[] | null)[];
}

type Call = (xs: Tensor[], args: any[]) => Tensor | Tensor[];

/** 'inf' / '-inf' in the fixture's arguments are infinite norm orders. */
function arg(a: any): any {
  if (a === 'inf') return Number.POSITIVE_INFINITY;
  if (a === '-inf') return Number.NEGATIVE_INFINITY;
  if (Array.isArray(a)) return a.map(arg);
  if (a !== null && typeof a === 'object')
    return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, arg(v)]));
  return a;
}

const pair = (r: { values: Tensor; indices: Tensor }): Tensor[] => [r.values, r.indices];

/** The stepwise call for every `op` key of the fixture (tooling/golden/ops_reduce.py `OPS`). */
const table: Record<string, Call> = {
  norm: ([x], a) => x!.norm(...(a.map(arg) as [number, number, boolean])),
  'fn.norm': ([x], a) => torch.norm(x!, ...(a.map(arg) as [number, number, boolean])),
  vectorNorm: ([x], a) => torch.linalg.vectorNorm(x!, ...(a.map(arg) as [number, number, boolean])),
  vectorNormOpts: ([x], [o]) => torch.linalg.vectorNorm(x!, arg(o)),
  prod: ([x], a) => x!.prod(...(a as [number, boolean])),
  'fn.prod': ([x], a) => torch.prod(x!, ...(a as [number, boolean])),
  std: ([x], a) => x!.std(...(a as [number])),
  var: ([x], a) => x!.var(...(a as [number])),
  stdMean: ([x], a) => torch.stdMean(x!, ...(a as [number])),
  varMean: ([x], a) => torch.varMean(x!, ...(a as [number])),
  cumsum: ([x], [d]) => x!.cumsum(d),
  cumprod: ([x], [d]) => x!.cumprod(d),
  'fn.cumsum': ([x], [d]) => torch.cumsum(x!, d),
  all: ([x], a) => x!.all(...(a as [number, boolean])),
  any: ([x], a) => x!.any(...(a as [number, boolean])),
  median: ([x], a) => (a.length ? pair(x!.median(a[0], a[1])) : x!.median()),
  mode: ([x], a) => pair(x!.mode(...(a as [number, boolean]))),
  sort: ([x], a) => pair(x!.sort(...(a as [number, boolean]))),
  argsort: ([x], a) => x!.argsort(...(a as [number, boolean])),
  topk: ([x], [k, ...a]) => pair(x!.topk(k, ...(a as [number, boolean, boolean]))),
  kthvalue: ([x], [k, ...a]) => pair(x!.kthvalue(k, ...(a as [number, boolean]))),
  amax: ([x], a) => x!.amax(...(a as [number[], boolean])),
  amin: ([x], a) => x!.amin(...(a as [number[], boolean])),
  bmm: ([a, b]) => torch.bmm(a!, b!),
  mv: ([m, v]) => m!.mv(v!),
  outer: ([a, b]) => torch.outer(a!, b!),
  addmm: ([i, a, b], [o]) => torch.addmm(i!, a!, b!, o),
  baddbmm: ([i, a, b], [o]) => i!.baddbmm(a!, b!, o),
  einsum: (xs, [eq]) => torch.einsum(eq, ...xs),
  trace: ([x]) => x!.trace(),
  tril: ([x], a) => x!.tril(...(a as [number])),
  triu: ([x], a) => torch.triu(x!, ...(a as [number])),
  diag: ([x], a) => x!.diag(...(a as [number])),
  flip: ([x], a) => x!.flip(...a),
  roll: ([x], a) => x!.roll(...(a as [number, number])),
  repeat: ([x], a) => x!.repeat(...a),
  tile: ([x], a) => x!.tile(...a),
  unflatten: ([x], [d, s]) => x!.unflatten(d, s),
  pad: ([x], [p, o]) => torch.nn.functional.pad(x!, p, o),
  oneHot: ([x], a) => torch.nn.functional.oneHot(x!, ...(a as [number])),
  'F.softmax': ([x], [o]) => torch.nn.functional.softmax(x!, o),
  'F.logSoftmax': ([x], [o]) => torch.nn.functional.logSoftmax(x!, o),
  'nn.Softmax': ([x], [o]) => new torch.nn.Softmax(o).forward(x!),
  'F.linear': ([x, w, b]) => torch.nn.functional.linear(x!, w!, { bias: b! }),
};

const outsOf = (r: Tensor | Tensor[]): Tensor[] => (Array.isArray(r) ? r : [r]);

/** Sorts flat values by a key list (for order-free results: topk with sorted = false). */
function byKey(vals: readonly number[], keys: readonly number[]): number[] {
  return keys
    .map((k, i) => [k, vals[i]!] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}

async function runCase(c: ReduceCase): Promise<void> {
  const call = table[c.op];
  expect(call, `no stepwise call for op '${c.op}' in opsReduce.ts`).toBeDefined();
  const xs = c.inputs.map((spec, i) => fromSpec(spec, c.requiresGrad[i]));
  const outs = outsOf(call!(xs, c.args));
  expect(outs.length, 'number of outputs').toBe(c.outs.length);
  const indexKeys = c.orderFree && outs.length === 2 ? await values(outs[1]!) : null;
  for (let k = 0; k < outs.length; k++) {
    const out = outs[k]!;
    const spec = c.outs[k]!;
    const what = `${c.op} output ${k}`;
    expect([...out.shape], `${what}: shape`).toEqual([...spec.shape]);
    expect(out.dtype, `${what}: dtype`).toBe(spec.dtype);
    const t = tol(spec.dtype, 'loose');
    if (indexKeys) {
      const expectedKeys = numbers(c.outs[1]!.data) as number[];
      const got = byKey(await values(out), indexKeys);
      const want = byKey(numbers(spec.data) as number[], expectedKeys);
      expectClose(got, want, t, what);
    } else {
      await expectValues(out, spec.data, t, what);
    }
  }
  if (c.cots && c.grads) {
    let loss: Tensor | null = null;
    c.cots.forEach((cot, k) => {
      if (!cot) return;
      const out = outs[k]!;
      expect(out.requiresGrad, `output ${k} requiresGrad`).toBe(true);
      const term = out.mul(tensorOf(cot, c.outs[k]!.shape, c.outs[k]!.dtype)).sum();
      loss = loss ? loss.add(term) : term;
    });
    (loss as Tensor | null)!.backward();
    await expectInputGrads(xs, c.grads, c.inputs, (d) => tol(d, 'loose'), c.op);
  } else {
    for (const out of outs)
      expect(out.requiresGrad, 'a non-differentiable output does not require grad').toBe(false);
  }
}

function checkGradFn(c: ReduceCase): void {
  const xs = c.inputs.map((spec, i) => fromSpec(spec, c.requiresGrad[i]));
  const first = outsOf(table[c.op]!(xs, c.args))[0]!;
  const name = first.gradFn ? first.gradFn.name : null;
  if (c.gradFnAccept?.includes(null) && c.gradFn !== null) {
    expect(name, `${c.id}: some gradFn`).not.toBeNull();
  } else if (c.gradFnAccept) {
    expect(c.gradFnAccept, `${c.id}: gradFn ${name}`).toContain(name);
  } else {
    expect(name, `${c.id}: gradFn`).toBe(c.gradFn);
  }
}

/** Cases whose op reads values on the host by design (oneHot without numClasses). */
function needsSyncReads(c: ReduceCase): boolean {
  return c.op === 'oneHot' && c.args.length === 0;
}

function registerFixtureTests(ctx: ConformanceContext): void {
  const { cases } = loadFixture<{ cases: ReduceCase[] }>('ops_reduce');
  const byOp = new Map<string, ReduceCase[]>();
  for (const c of cases) {
    if (!byOp.has(c.op)) byOp.set(c.op, []);
    byOp.get(c.op)!.push(c);
  }
  for (const [op, opCases] of byOp) {
    describe(op, () => {
      for (const c of opCases) {
        it(c.id, async () => {
          if (!ctx.supports(c.dtype)) return expectDTypeUnsupported(ctx, c.dtype);
          if (needsSyncReads(c) && !ctx.syncReads) {
            // oneHot's default numClasses reads the values: such a backend asks for it.
            expectThrowsPhrase(
              () =>
                table[c.op]!(
                  c.inputs.map((s) => fromSpec(s)),
                  c.args,
                ),
              'numClasses',
            );
            return;
          }
          await runCase(c);
        });
      }
      it(`gradFn name of ${op}`, () => {
        for (const c of opCases) {
          if (ctx.supports(c.dtype) && (ctx.syncReads || !needsSyncReads(c))) checkGradFn(c);
        }
      });
    });
  }
}

const f = (data: number[] | number[][] | number[][][]) => torch.tensor(data);

function registerFormTests(_ctx: ConformanceContext): void {
  describe('argument forms', () => {
    it('norm takes a dim (it used to reduce everything)', async () => {
      const x = f([
        [3, 4],
        [6, 8],
        [0, 1],
      ]);
      expect([...x.norm(2, 1).shape]).toEqual([3]);
      expect(await values(x.norm(2, 1))).toEqual([5, 10, 1]);
      expect([...x.norm(2, 0, true).shape]).toEqual([1, 2]);
      expect([...x.norm().shape]).toEqual([]);
      expect([...torch.linalg.vectorNorm(x, { dim: [0, 1], keepdim: true }).shape]).toEqual([1, 1]);
      expect(await values(torch.linalg.vectorNorm(x, Number.POSITIVE_INFINITY, 1))).toEqual([4, 8, 1]);
    });
    it('sizes as separate numbers or one array', async () => {
      const x = f([
        [1, 2],
        [3, 4],
      ]);
      expect(await values(x.repeat(2, 1))).toEqual(await values(x.repeat([2, 1])));
      expect(await values(x.tile(1, 2))).toEqual(await values(x.tile([1, 2])));
      expect(await values(x.flip(0, 1))).toEqual(await values(x.flip([0, 1])));
      expect(await values(x.flip(0, 1))).toEqual([4, 3, 2, 1]);
      expect([...x.repeat(2, 1, 3).shape]).toEqual([2, 2, 6]);
      expect(await values(x.amax([0, 1]))).toEqual([4]);
    });
    it('options objects and positional forms agree', async () => {
      const x = f([
        [1, 5, 2],
        [4, 0, 7],
      ]);
      expect(await values(x.sort({ dim: 0, descending: true }).values)).toEqual(
        await values(x.sort(0, true).values),
      );
      expect(await values(torch.sort(x, 1).indices)).toEqual([0, 2, 1, 1, 0, 2]);
      expect(await values(x.topk(1, { dim: 0, largest: false }).values)).toEqual([1, 0, 2]);
      expect(await values(x.std(1, { correction: 0 }))).toEqual(await values(x.std(1, false)));
      expect(await values(torch.var(x, 1, { unbiased: true, keepdim: true }))).toEqual(
        await values(x.var(1, true, true)),
      );
      expect(await values(torch.nn.functional.softmax(x, { dim: 1 }))).toEqual(await values(x.softmax(1)));
      expect(await values(torch.nn.functional.logSoftmax(x, 0))).toEqual(
        await values(new torch.nn.LogSoftmax({ dim: 0 }).forward(x)),
      );
      const w = f([[1, 1, 1]]);
      const b = f([0.5]);
      expect(await values(torch.nn.functional.linear(x, w, { bias: b }))).toEqual(
        await values(torch.nn.functional.linear(x, w, b)),
      );
      expect(await values(torch.einsum('ij->j', [x]))).toEqual([5, 5, 9]);
      expect(await values(torch.nn.functional.pad(f([1, 2]), [1, 0], { value: 9 }))).toEqual([9, 1, 2]);
      const oh = torch.nn.functional.oneHot(torch.tensor([2, 0], { dtype: 'int32' }), { numClasses: 3 });
      expect(oh.dtype).toBe('int32');
      expect(await values(oh)).toEqual([0, 0, 1, 1, 0, 0]);
    });
    it('unflatten and einsum transposes are views; flip, roll, repeat, tril, diag copy', async () => {
      const x = torch.arange(6).float().reshape(2, 3);
      const u = x.unflatten(1, [3, 1]);
      expect(u.storageOffset()).toBe(0);
      u.add_(1);
      expect(await values(x)).toEqual([1, 2, 3, 4, 5, 6]);
      const e = torch.einsum('ij->ji', x);
      expect([...e.stride()]).toEqual([1, 3]);
      const copies = [x.flip(0), x.roll(1, 1), x.repeat(1, 1), x.tril(), x.diag()];
      for (const c of copies) c.mul_(0);
      expect(await values(x)).toEqual([1, 2, 3, 4, 5, 6]);
    });
    it('sort, topk, median and mode run on every backend (no synchronous read needed)', async () => {
      const x = f([
        [3, 1, 2, 1],
        [0, 5, 5, 4],
      ]);
      expect(await values(x.sort(1).indices)).toEqual([1, 3, 2, 0, 0, 3, 1, 2]);
      expect(await values(x.median(1).values)).toEqual([1, 4]);
      expect(await values(x.mode(1).values)).toEqual([1, 5]);
      expect(await values(x.mode(1).indices)).toEqual([3, 2]);
      expect(await values(x.median())).toEqual([2]);
      expect(await values(x.kthvalue(3, 1).values)).toEqual([2, 5]);
    });
  });
}

function registerErrorTests(ctx: ConformanceContext): void {
  describe('bad input', () => {
    it('names the dtype, shape or parameter', () => {
      const x = torch.ones(2, 3);
      const i = torch.tensor([1, 2], { dtype: 'int32' });
      expectThrowsPhrase(() => i.norm(), 'int32');
      expectThrowsPhrase(() => i.std(), 'int32');
      expectThrowsPhrase(() => x.norm(Number.NaN), 'order');
      expectThrowsPhrase(() => x.sort(2), 'Dimension out of range');
      expectThrowsPhrase(() => x.topk(4), 'k out of range');
      expectThrowsPhrase(() => x.kthvalue(0, 1), 'k out of range');
      expectThrowsPhrase(() => x.cumsum(-3), 'Dimension out of range');
      expectThrowsPhrase(() => x.std(1, { corection: 0 } as never), 'corection');
      expectThrowsPhrase(() => torch.bmm(x, x), 'batch1 must be a 3D tensor');
      expectThrowsPhrase(() => torch.bmm(torch.ones(2, 2, 3), torch.ones(2, 2, 3)), '[2, 3]');
      expectThrowsPhrase(() => x.mv(torch.ones(2)), 'size mismatch');
      expectThrowsPhrase(() => torch.addmm(torch.ones(4), x, torch.ones(3, 2)), '[4]');
      expectThrowsPhrase(() => torch.einsum('ij,jk->ik', x, torch.ones(4, 2)), 'subscript j has size 4');
      expectThrowsPhrase(() => torch.einsum('ij,jk->ik', x), 'fewer operands');
      expectThrowsPhrase(() => torch.einsum('ijk->i', x), 'number of subscripts');
      expectThrowsPhrase(() => torch.einsum('i1->i', x), 'subscripts must be in [a-zA-Z]');
      expectThrowsPhrase(() => torch.ones(3).tril(), 'at least 2 dimensions');
      expectThrowsPhrase(() => torch.ones(2, 2, 2).diag(), 'matrix or a vector expected');
      expectThrowsPhrase(() => torch.ones(2, 2, 2).trace(), 'expected a matrix');
      expectThrowsPhrase(() => x.repeat(2), 'Number of dimensions of repeat dims');
      expectThrowsPhrase(() => x.unflatten(1, [2, 2]), "don't multiply up to the size of dim 1 (3)");
      expectThrowsPhrase(() => x.roll([1, 2], [0]), 'shifts and dimensions must align');
      const F = torch.nn.functional;
      expectThrowsPhrase(() => F.pad(x, [1]), 'divisible by 2');
      expectThrowsPhrase(() => F.pad(x, [1, 1, 1, 1, 1, 1]), 'two times the input dimension');
      expectThrowsPhrase(
        () => F.pad(torch.ones(1, 2, 3), [3, 1], { mode: 'reflect' }),
        'Padding size should be less than',
      );
      expectThrowsPhrase(() => F.pad(torch.ones(3), [1, 1], { mode: 'replicate' }), 'non-constant padding');
      expectThrowsPhrase(() => F.pad(x, [-2, -2]), 'negative output size');
      expectThrowsPhrase(() => F.pad(x, [1, 1], { mode: 'wrap' as never }), "mode must be 'constant'");
      expectThrowsPhrase(() => F.oneHot(x, 3), 'index tensor');
      expectThrowsPhrase(() => F.softmax(x, {}), 'dim must be given');
      if (ctx.syncReads) {
        expectThrowsPhrase(
          () => F.oneHot(torch.tensor([0, 3], { dtype: 'int32' }), 3),
          'smaller than num_classes',
        );
        expectThrowsPhrase(() => F.oneHot(torch.tensor([0, -1], { dtype: 'int32' }), 3), 'non-negative');
      } else {
        expectThrowsPhrase(() => F.oneHot(torch.tensor([0, 1], { dtype: 'int32' })), 'numClasses');
      }
    });
  });
}

export function registerOpsReduceTests(ctx: ConformanceContext): void {
  registerFixtureTests(ctx);
  registerFormTests(ctx);
  registerErrorTests(ctx);
}
