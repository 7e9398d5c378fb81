/**
 * The random number generators against PyTorch 1.13's CPU generator.
 *
 * - random.json (tooling/golden/generator.py): after `manualSeed(s)`, `rand` (float32 and
 *   float64), `randint` and `randperm`.
 * - random_gen.json (tooling/golden/random_gen.py): programs of random calls after
 *   `manualSeed`, with `torch.Generator` streams — randn/normal on both of PyTorch's paths
 *   (and the cached second value of the scalar one), the in-place fills, bernoulli,
 *   multinomial, normal with tensor mean/std, random_, the other distributions, nn.init,
 *   dropout, DataLoader orders and PyTorch's 5056-byte generator state. Cases marked
 *   `exact` compare bit for bit; the others (float64 values through libm's log/sin/cos,
 *   QR, erfinv) to a few ulps.
 *
 * Draws are made on the host, so every backend gets the same numbers: the suite also
 * compares the backend under test with the reference backend value for value, and checks
 * distributions (moments, frequencies) with fixed seeds.
 */
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import { expectClose, type FixtureNumber } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import type { Tolerance } from '../tolerance.js';

interface RandomCase {
  seed: number;
  call: [string, ...unknown[]];
  out: number[];
}

interface FixtureTensor {
  shape: number[];
  dtype: torch.DType;
  data: FixtureNumber[];
}

type Step = [string, ...unknown[]];
type Out = FixtureTensor | number[] | FixtureTensor[];

interface GenCase {
  name: string;
  seed: number;
  gens: Record<string, number>;
  steps: Step[];
  outs: Out[];
  exact: boolean;
}

interface GenFixture {
  generator: { defaultSeed: number; afterManualSeed12345: number; stateBytes: number };
  cases: GenCase[];
}

const EXACT: Tolerance = { rtol: 0, atol: 0 };
/** float64 through the JS engine's log/sin/cos (glibc's differ in the last bit now and then). */
const ULPS: Record<string, Tolerance> = {
  float64: { rtol: 1e-13, atol: 1e-14 },
  float32: EXACT,
  int32: EXACT,
  bool: EXACT,
};
/** QR (Gram-Schmidt against LAPACK's Householder) and erfinv: rounding, not draws. */
const ROUNDING: Record<string, Tolerance> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 2e-6, atol: 2e-6 },
  int32: EXACT,
  bool: EXACT,
};

const isTensorSpec = (v: unknown): v is FixtureTensor =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && 'data' in (v as object);

const INIT: Record<string, string> = {
  normal_: 'normal_',
  uniform_: 'uniform_',
  kaiming_normal_: 'kaimingNormal_',
  kaiming_uniform_: 'kaimingUniform_',
  xavier_normal_: 'xavierNormal_',
  xavier_uniform_: 'xavierUniform_',
  orthogonal_: 'orthogonal_',
  trunc_normal_: 'truncNormal_',
};

const METHOD: Record<string, string> = { log_normal_: 'logNormal_' };

/** The float64 steps of a case (skipped, as a clear error, where the backend has no float64). */
function needsFloat64(c: GenCase): boolean {
  return JSON.stringify(c.steps).includes('float64');
}

/** Replays one step of a random_gen.json program; returns tensors (kept for reading) or plain values. */
async function runStep(
  step: Step,
  gens: Record<string, torch.Generator>,
): Promise<torch.Tensor | number[] | torch.Tensor[]> {
  const [op, ...rest] = step;
  let args = rest;
  let kw: Record<string, unknown> = {};
  const last = args[args.length - 1];
  if (last !== null && typeof last === 'object' && !Array.isArray(last) && !isTensorSpec(last)) {
    kw = { ...(last as Record<string, unknown>) };
    args = args.slice(0, -1);
  }
  const generator = kw.gen === undefined ? undefined : gens[kw.gen as string];
  delete kw.gen;
  const dtype = (kw.dtype as torch.DType | undefined) ?? 'float32';
  delete kw.dtype;
  const make = (v: unknown) =>
    isTensorSpec(v) ? torch.tensor(v.data as number[], { dtype: v.dtype }).reshape(v.shape) : (v as number);
  switch (op) {
    case 'rand':
      return torch.rand(args[0] as number[], { dtype, generator });
    case 'randn':
      return torch.randn(args[0] as number[], { dtype, generator });
    case 'normal':
      return torch.normal(args[0] as number, args[1] as number, args[2] as number[], { dtype, generator });
    case 'normalT':
      return torch.normal(make(args[0]) as torch.Tensor, make(args[1]) as number, { generator });
    case 'randint': {
      const withDType = 'dtype' in ((rest[rest.length - 1] as object) ?? {});
      return torch.randint(args[0] as number, args[1] as number, args[2] as number[], {
        generator,
        ...(withDType ? { dtype } : {}),
      });
    }
    case 'randperm':
      return torch.randperm(args[0] as number, { generator });
    case 'fill': {
      const [method, shape, margs] = args as [string, number[], unknown[]];
      const t = kw.transposed
        ? torch.zeros([...shape].reverse(), { dtype }).t()
        : torch.zeros(shape, { dtype });
      (t as any)[METHOD[method] ?? method](...margs.map(make), { generator });
      return t;
    }
    case 'bernoulli':
      if (args.length === 2) {
        return torch.bernoulli(torch.zeros(args[0] as number[], { dtype }), args[1] as number, { generator });
      }
      return torch.bernoulli(make(args[0]) as torch.Tensor, { generator });
    case 'multinomial':
      return torch.multinomial(make(args[0]) as torch.Tensor, args[1] as number, {
        replacement: args[2] as boolean,
        generator,
      });
    case 'state':
      return Array.from((generator ?? torch.defaultGenerator).stateBytes());
    case 'init': {
      const t = torch.zeros(args[1] as number[], { dtype });
      (torch.nn.init as any)[INIT[args[0] as string]!](t, { ...kw, generator });
      return t;
    }
    case 'dropout':
      return torch.nn.functional.dropout(torch.arange(1, (args[0] as number) + 1, 1, { dtype }), {
        p: args[1] as number,
      });
    case 'linear': {
      const m = new torch.nn.Linear(args[0] as number, args[1] as number, { dtype });
      return [m.weight, m.bias!];
    }
    case 'embedding':
      return new torch.nn.Embedding(args[0] as number, args[1] as number, { dtype }).weight;
    case 'loader': {
      const [n, batchSize, shuffle] = args as [number, number, boolean];
      const ds = new torch.TensorDataset(torch.arange(n));
      const loader = new torch.DataLoader(ds, { batchSize, shuffle, generator });
      const order: number[] = [];
      for (const [b] of loader) order.push(...Array.from(await b!.data()));
      return order;
    }
  }
  throw new Error(`random_gen: unknown step ${op}`);
}

async function compare(got: torch.Tensor, want: FixtureTensor, tol: Tolerance, what: string): Promise<void> {
  expect(got.shape, `${what}: shape`).toEqual(want.shape);
  expect(got.dtype, `${what}: dtype`).toBe(want.dtype);
  // float32 values are written as their shortest decimal: rounding it recovers the float32.
  const data =
    want.dtype === 'float32'
      ? want.data.map((v) => (typeof v === 'number' ? Math.fround(v) : v))
      : want.dtype === 'bool'
        ? want.data.map(Number)
        : want.data;
  expectClose(await got.data(), data, tol, what);
}

export function registerRandomTests(ctx: ConformanceContext): void {
  const { cases } = loadFixture<{ cases: RandomCase[] }>('random');
  describe('manualSeed', () => {
    for (const c of cases) {
      const [fn, ...args] = c.call;
      const opts = args[args.length - 1] as { dtype?: torch.DType };
      it(`${fn}(${JSON.stringify(args.slice(0, -1))}, ${opts.dtype ?? ''}) after manualSeed(${c.seed})`, async () => {
        if (opts.dtype && !ctx.supports(opts.dtype)) {
          torch.manualSeed(c.seed);
          expect(() => (torch as any)[fn](...args)).toThrow(new RegExp(opts.dtype));
          return;
        }
        torch.manualSeed(c.seed);
        const t: torch.Tensor = (torch as any)[fn](...args);
        expectClose(await t.data(), c.out, EXACT, fn);
      });
    }
  });

  const gen = loadFixture<GenFixture>('random_gen');
  describe("PyTorch's samplers (random_gen.json)", () => {
    for (const c of gen.cases) {
      it(c.name, async () => {
        if (needsFloat64(c) && !ctx.supports('float64')) {
          torch.manualSeed(c.seed);
          await expect(async () => {
            for (const s of c.steps) await runStep(s, {});
          }).rejects.toThrow(/float64/);
          return;
        }
        torch.manualSeed(c.seed);
        const gens: Record<string, torch.Generator> = {};
        for (const [name, s] of Object.entries(c.gens)) gens[name] = new torch.Generator().manualSeed(s);
        const results: Awaited<ReturnType<typeof runStep>>[] = [];
        for (const s of c.steps) results.push(await runStep(s, gens));
        for (const [i, r] of results.entries()) {
          const want = c.outs[i]!;
          const what = `${c.name}: step ${i} (${c.steps[i]![0]})`;
          if (r instanceof torch.Tensor) {
            const w = want as FixtureTensor;
            const tol = c.exact ? EXACT : (c.steps[i]![0] === 'init' ? ROUNDING : ULPS)[w.dtype]!;
            await compare(r, w, tol, what);
          } else if (Array.isArray(r) && r[0] instanceof torch.Tensor) {
            for (const [k, x] of (r as torch.Tensor[]).entries()) {
              const w = (want as FixtureTensor[])[k]!;
              await compare(x, w, c.exact ? EXACT : ULPS[w.dtype]!, `${what}[${k}]`);
            }
          } else {
            const w = want as number[];
            if (c.steps[i]![0] === 'state' && !c.exact) {
              // The cached normal value (bytes 5024..5031) is a float64 through libm: compare it
              // as a number, and every other byte exactly.
              const f64 = (b: ArrayLike<number>) =>
                new DataView(Uint8Array.from(b).buffer).getFloat64(5024, true);
              expectClose([f64(r as number[])], [f64(w)], ULPS.float64!, `${what}: cached normal`);
              const mask = (b: ArrayLike<number>) =>
                Array.from(b).map((x, j) => (j >= 5024 && j < 5032 ? 0 : x));
              expect(mask(r as number[])).toEqual(mask(w));
            } else expect(r, what).toEqual(w);
          }
        }
      });
    }
  });

  describe('torch.Generator', () => {
    it("a new Generator has PyTorch's default seed; manualSeed returns it, initialSeed gives the seed", () => {
      const g = new torch.Generator();
      expect(g.initialSeed()).toBe(gen.generator.defaultSeed);
      expect(g.manualSeed(12345)).toBe(g);
      expect(g.initialSeed()).toBe(gen.generator.afterManualSeed12345);
      expect(g.device).toBe('cpu');
      expect(torch.manualSeed(3)).toBe(torch.defaultGenerator);
      expect(torch.initialSeed()).toBe(3);
    });

    it('seed() picks a fresh exact seed and reseeds with it', async () => {
      const g = new torch.Generator();
      const s = g.seed();
      expect(Number.isSafeInteger(s) && s >= 0).toBe(true);
      expect(g.initialSeed()).toBe(s);
      const a = await torch.rand([4], { generator: g }).data();
      g.manualSeed(s);
      expect(await torch.rand([4], { generator: g }).data()).toEqual(a);
      expect(torch.seed()).toBe(torch.initialSeed());
    });

    it('getState/setState round-trip the stream, the cached normal value included', async () => {
      const g = new torch.Generator().manualSeed(77);
      torch.randn([3], { generator: g, dtype: 'float32' }); // leaves a cached value
      const state = g.getState({ backend: ctx.reference() });
      expect(state.shape).toEqual([gen.generator.stateBytes]);
      expect(state.dtype).toBe('int32');
      const a = await torch.randn([5], { generator: g }).data();
      g.manualSeed(1); // elsewhere
      g.setState(state);
      expect(await torch.randn([5], { generator: g }).data()).toEqual(a);
      // A plain array of the byte values (PyTorch's get_state().tolist()) works too.
      g.setState(Array.from(state.dataSync()));
      expect(await torch.randn([5], { generator: g }).data()).toEqual(a);
      torch.setRngState(state);
      expect(await torch.randn([5]).data()).toEqual(a);
      expect(Array.from(torch.getRngState({ backend: ctx.reference() }).dataSync())).toEqual(
        Array.from(torch.defaultGenerator.stateBytes()),
      );
    });

    it("setState takes PyTorch's own state", async () => {
      const c = gen.cases.find((x) => x.name === 'state after rand(700) (past the first twist)')!;
      const g = new torch.Generator().setState(c.outs[1] as number[]);
      torch.manualSeed(c.seed);
      torch.rand([700]);
      expect(await torch.rand([9], { generator: g }).data()).toEqual(await torch.rand([9]).data());
    });

    it('bad generators and states are clear errors', () => {
      expect(() => torch.rand([2], { generator: (() => 0.5) as never })).toThrow(/torch.Generator/);
      expect(() => new torch.Generator().setState([1, 2, 3])).toThrow(/5056/);
      const bad = Array.from(new torch.Generator().stateBytes());
      bad[8] = 0; // left = 0
      expect(() => new torch.Generator().setState(bad)).toThrow(/Invalid mt19937 state/);
      expect(() => new torch.Generator().manualSeed(1.5)).toThrow(/integer/);
      expect(() => new torch.Generator().manualSeed(2n ** 64n)).toThrow(/range/);
      expect(() => new torch.Generator('cuda' as never)).toThrow(/cpu/);
      expect(() => torch.zeros([3]).normal_(0, -1)).toThrow(/std >= 0/);
      expect(() => torch.zeros([3]).uniform_(2, 1)).toThrow(/from=2 > to=1/);
      expect(() => torch.zeros([3]).bernoulli_(1.5)).toThrow(/\[0, 1\]/);
      expect(() => torch.zeros([3], { dtype: 'int32' }).normal_()).toThrow(/int32/);
      expect(() => torch.multinomial(torch.ones([3]), 4)).toThrow(/without replacement/);
      expect(() => torch.multinomial(torch.ones([3]), 0)).toThrow(/n_sample <= 0/);
      expect(() => torch.multinomial(torch.ones([2, 2, 2]), 1)).toThrow(/1 or 2 dim/);
      if (ctx.syncReads) {
        expect(() => torch.multinomial(torch.tensor([0.5, -1]), 1)).toThrow(/element < 0/);
        expect(() => torch.multinomial(torch.zeros([3]), 1)).toThrow(/sum of probabilities/);
        expect(() => torch.normal(torch.zeros([2]), torch.tensor([1, -1]))).toThrow(/std >= 0/);
      }
    });

    it('a DataLoader shuffling with a function draws nothing from the global generator', async () => {
      torch.manualSeed(2);
      const before = await torch.rand([3]).data();
      torch.manualSeed(2);
      const loader = new torch.DataLoader(new torch.TensorDataset(torch.arange(6)), {
        batchSize: 4,
        shuffle: true,
        generator: torch.mulberry32(1),
      });
      const order: number[] = [];
      for (const [b] of loader) order.push(...Array.from(await b!.data()));
      expect([...order].sort()).toEqual([0, 1, 2, 3, 4, 5]);
      expect(await torch.rand([3]).data()).toEqual(before);
    });

    it('a generator stream is independent of the default one', async () => {
      torch.manualSeed(0);
      const a = await torch.rand([6]).data();
      torch.manualSeed(0);
      const g = new torch.Generator().manualSeed(5);
      torch.rand([3], { generator: g });
      expect(await torch.rand([6]).data()).toEqual(a);
    });
  });

  describe('the same numbers on every backend', () => {
    const programs: [string, (o: { backend: torch.Backend }) => torch.Tensor][] = [
      ['rand', (o) => torch.rand([37], o)],
      ['randn', (o) => torch.randn([41], o)],
      ['randn (scalar path)', (o) => torch.randn([5], o)],
      ['normal', (o) => torch.normal(1, 2, [20], o)],
      ['randint', (o) => torch.randint(-3, 9, [30], o)],
      ['randperm', (o) => torch.randperm(25, o)],
      ['bernoulli', (o) => torch.bernoulli(torch.full([40], 0.3, o))],
      ['multinomial', (o) => torch.multinomial(torch.tensor([0.1, 0.5, 0.4, 2], o), 3)],
      [
        'multinomial with replacement',
        (o) => torch.multinomial(torch.tensor([0.1, 0.5, 0.4, 2], o), 9, { replacement: true }),
      ],
      [
        'normal(mean tensor, std)',
        (o) => torch.normal(torch.arange(0, 20, 1, { dtype: 'float32', ...o }), 0.5),
      ],
      ['normal_ on a view', (o) => torch.zeros([6, 4], o).t().normal_().contiguous()],
      ['dropout', (o) => torch.nn.functional.dropout(torch.ones([30], o), { p: 0.4 })],
    ];
    for (const [name, program] of programs) {
      it(`${name}: the backend under test draws what the reference draws`, async () => {
        torch.manualSeed(21);
        const ref = await program({ backend: ctx.reference() }).data();
        torch.manualSeed(21);
        const got = await program({ backend: ctx.backend() }).data();
        expect(Array.from(got)).toEqual(Array.from(ref));
      });
    }
  });

  describe('distributions (fixed seeds)', () => {
    const moments = async (t: torch.Tensor) => {
      const v = Array.from(await t.data());
      const mean = v.reduce((a, b) => a + b, 0) / v.length;
      const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
      return { mean, variance, v };
    };
    it('normal, uniform, exponential, log-normal, geometric moments', async () => {
      const n = 20000;
      const g = new torch.Generator().manualSeed(1234);
      let m = await moments(torch.normal(2, 3, [n], { generator: g }));
      expect(Math.abs(m.mean - 2)).toBeLessThan(0.1);
      expect(Math.abs(m.variance - 9)).toBeLessThan(0.4);
      m = await moments(torch.randn([7], { generator: g })); // the scalar path
      expect(m.v.every(Number.isFinite)).toBe(true);
      m = await moments(torch.zeros([n]).uniform_(-1, 3, { generator: g }));
      expect(Math.abs(m.mean - 1)).toBeLessThan(0.05);
      expect(Math.abs(m.variance - 16 / 12)).toBeLessThan(0.05);
      expect(Math.min(...m.v)).toBeGreaterThanOrEqual(-1);
      expect(Math.max(...m.v)).toBeLessThan(3);
      m = await moments(torch.zeros([n]).exponential_(4, { generator: g }));
      expect(Math.abs(m.mean - 0.25)).toBeLessThan(0.01);
      m = await moments(torch.zeros([n]).logNormal_(0, 0.25, { generator: g }));
      expect(Math.abs(m.mean - Math.exp(0.25 ** 2 / 2))).toBeLessThan(0.01);
      m = await moments(torch.zeros([n]).geometric_(0.25, { generator: g }));
      expect(Math.abs(m.mean - 4)).toBeLessThan(0.15);
      const c = (await moments(torch.zeros([n]).cauchy_(1, 1, { generator: g }))).v.sort((a, b) => a - b);
      expect(Math.abs(c[n / 2]! - 1)).toBeLessThan(0.05);
    });

    it('bernoulli, multinomial and randint frequencies', async () => {
      const g = new torch.Generator().manualSeed(99);
      const n = 20000;
      const b = await moments(torch.bernoulli(torch.full([n], 0.3), { generator: g }));
      expect(Math.abs(b.mean - 0.3)).toBeLessThan(0.015);
      const p = [0.1, 0.2, 0.3, 0.4];
      const s = Array.from(
        await torch.multinomial(torch.tensor(p), n, { replacement: true, generator: g }).data(),
      );
      for (const [k, pk] of p.entries()) {
        expect(Math.abs(s.filter((x) => x === k).length / n - pk)).toBeLessThan(0.015);
      }
      // Without replacement, the first draw of many rows follows p.
      const rows = torch.tensor(p).expand([4000, 4]).contiguous();
      const first = Array.from(await torch.multinomial(rows, 2, { generator: g }).data()).filter(
        (_, i) => i % 2 === 0,
      );
      for (const [k, pk] of p.entries()) {
        expect(Math.abs(first.filter((x) => x === k).length / 4000 - pk)).toBeLessThan(0.03);
      }
      const r = Array.from(await torch.randint(0, 5, [n], { generator: g }).data());
      for (let k = 0; k < 5; k++)
        expect(Math.abs(r.filter((x) => x === k).length / n - 0.2)).toBeLessThan(0.015);
    });

    it('normal with tensor mean and std: per-element moments; no gradient flows', async () => {
      const mean = torch.tensor([[-5], [0], [5]], { requiresGrad: true });
      const std = torch.tensor([0.5, 2]);
      const g = new torch.Generator().manualSeed(7);
      const draws: number[][] = [[], [], [], [], [], []];
      for (let k = 0; k < 400; k++) {
        const v = await torch.normal(mean, std, { generator: g }).data();
        for (let i = 0; i < 6; i++) draws[i]!.push(v[i]!);
      }
      for (let i = 0; i < 6; i++) {
        const mu = [-5, -5, 0, 0, 5, 5][i]!;
        const sd = [0.5, 2][i % 2]!;
        const m = draws[i]!.reduce((a, b) => a + b, 0) / 400;
        expect(Math.abs(m - mu)).toBeLessThan(0.35 * sd);
      }
      const out = torch.normal(mean, std);
      expect(out.shape).toEqual([3, 2]);
      expect(out.gradFn?.name).toBe('NormalBackward3');
      out.sum().backward();
      expect(Array.from(await mean.grad!.data())).toEqual([0, 0, 0]);
    });
  });

  describe('setDefaultDtype', () => {
    it('creation functions, JS numbers and new layers take the default float dtype', async () => {
      expect(torch.getDefaultDtype()).toBe('float32');
      expect(() => torch.setDefaultDtype('int32')).toThrow(/floating-point/);
      if (!ctx.supports('float64')) {
        torch.setDefaultDtype('float64');
        try {
          expect(() => torch.rand([2])).toThrow(/float64/);
        } finally {
          torch.setDefaultDtype('float32');
        }
        return;
      }
      torch.setDefaultDtype('float64');
      try {
        expect(torch.getDefaultDtype()).toBe('float64');
        for (const t of [
          torch.rand([2]),
          torch.randn([2]),
          torch.zeros([2]),
          torch.ones(2, 2),
          torch.tensor([1.5, 2]),
          torch.full([2], 0.5),
          torch.arange(0.5, 3),
          torch.linspace(0, 1, 3),
          torch.eye(2),
          torch.normal(0, 1, [3]),
          torch.tensor([1, 2], { dtype: 'int32' }).add(0.5),
          torch.tensor([1, 2], { dtype: 'int32' }).div(2),
          torch.tensor([1, 4], { dtype: 'int32' }).sqrt(),
          new torch.nn.Linear(2, 2).weight,
        ]) {
          expect(t.dtype).toBe('float64');
        }
        expect(torch.randint(0, 3, [2]).dtype).toBe('int32');
        expect(torch.tensor([true]).dtype).toBe('bool');
        torch.manualSeed(4);
        const a = await torch.randn([20]).data();
        torch.manualSeed(4);
        expect(await torch.randn([20], { dtype: 'float64' }).data()).toEqual(a);
      } finally {
        torch.setDefaultDtype('float32');
      }
      expect(torch.rand([1]).dtype).toBe('float32');
    });
  });
}
