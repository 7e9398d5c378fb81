/**
 * nn.Module behaviours: parameter names and state-dict keys as PyTorch's
 * (fixtures/nn_module.json), registration by field assignment, train/eval and Dropout,
 * zeroGrad, stateDict/loadStateDict (round trip, clear errors for missing/unexpected keys
 * and shape mismatches, a failed load changes nothing), to()/double()/float(), PyTorch's
 * default initialisation bounds, and seeded reproducibility.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { describe, expect, it } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { expectDTypeUnsupported, values } from './util.js';

const nn = torch.nn;

interface ModuleFixture {
  models: Record<
    string,
    { namedParameters: [string, number[]][]; stateDictKeys: string[]; children: string[] }
  >;
}

/** The Python `Net` of tooling/golden/nn.py, written the stepwise way. */
class Net extends nn.Module {
  conv1 = new nn.Conv2d(1, 4, 3, { padding: 1 });
  pool = new nn.MaxPool2d(2);
  features = new nn.Sequential(new nn.Conv2d(4, 8, 3, { groups: 2, bias: false }), new nn.ReLU());
  flatten = new nn.Flatten();
  fc = new nn.Linear(8, 10);
  head = new nn.Sequential(new nn.Linear(10, 10), new nn.Sequential(new nn.Tanh(), new nn.Linear(10, 3)));

  forward(x: Tensor): Tensor {
    let h = this.pool.forward(this.conv1.forward(x).relu());
    h = this.flatten.forward(this.features.forward(h));
    return this.head.forward(this.fc.forward(h));
  }
}

function mlp(): InstanceType<typeof nn.Sequential> {
  return new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU(), new nn.Linear(4, 2));
}

async function snapshot(m: InstanceType<typeof nn.Module>): Promise<number[][]> {
  const out: number[][] = [];
  for (const p of m.parameters()) out.push(await values(p));
  return out;
}

export function registerNnModuleTests(ctx: ConformanceContext): void {
  const fx = loadFixture<ModuleFixture>('nn_module');

  describe('names and registration', () => {
    it('Sequential names its parameters 0.weight, 0.bias, 2.weight, ... as PyTorch', () => {
      const m = mlp();
      const want = fx.models.sequential!;
      expect([...m.namedParameters()].map(([k, p]) => [k, [...p.shape]])).toEqual(want.namedParameters);
      expect(Object.keys(m.stateDict())).toEqual(want.stateDictKeys);
      expect([...m.children()].map((c) => c.constructor.name)).toEqual(want.children);
    });

    it('fields holding modules and parameters are registered in assignment order', () => {
      const m = new Net();
      const want = fx.models.net!;
      expect([...m.namedParameters()].map(([k, p]) => [k, [...p.shape]])).toEqual(want.namedParameters);
      expect(Object.keys(m.stateDict())).toEqual(want.stateDictKeys);
      expect([...m.children()].map((c) => c.constructor.name)).toEqual(want.children);
      expect([...m.parameters()].every((p) => p.requiresGrad && p.isLeaf)).toBe(true);
      const out = m.forward(torch.randn([2, 1, 6, 6]));
      expect([...out.shape]).toEqual([2, 3]);
    });

    it('a Parameter field, registerParameter, registerBuffer and a shared module counted once', () => {
      class M extends nn.Module {
        scale = new nn.Parameter(torch.ones([1]));
        lin = new nn.Linear(2, 2);
        again = this.lin;
        plain = torch.zeros([3]);
        constructor() {
          super();
          this.registerParameter('extra', new nn.Parameter(torch.zeros([2])));
          this.registerBuffer('runningMean', torch.zeros([2]));
        }
        forward(x: Tensor): Tensor {
          return this.lin.forward(x).mul(this.scale);
        }
      }
      const m = new M();
      expect([...m.namedParameters()].map(([k]) => k)).toEqual(['scale', 'extra', 'lin.weight', 'lin.bias']);
      expect(Object.keys(m.stateDict())).toEqual(['scale', 'extra', 'runningMean', 'lin.weight', 'lin.bias']);
      expect(() => m.registerParameter('bad', torch.zeros([1]) as never)).toThrow(/Parameter/);
      expect(() => m.registerModule('a.b', new nn.ReLU())).toThrow(/"\."/);
      m.again = null as never;
      m.lin = null as never;
      expect([...m.namedParameters()].map(([k]) => k)).toEqual(['scale', 'extra']);
    });
  });

  describe('apply', () => {
    it('visits children before their parent, as PyTorch', () => {
      const m = new nn.Sequential(new nn.Linear(2, 2), new nn.Sequential(new nn.ReLU(), new nn.Tanh()));
      const seen: string[] = [];
      m.apply((k) => seen.push(k.constructor.name));
      expect(seen).toEqual(['Linear', 'ReLU', 'Tanh', 'Sequential', 'Sequential']);
      m.apply((k) => {
        if (k instanceof nn.Linear) nn.init.constant_(k.weight, 0.25);
      });
      expect([...m.parameters()].length).toBe(2);
    });
  });

  describe('modes and grads', () => {
    it('train()/eval() reach every submodule; Dropout is the identity in eval mode', async () => {
      const m = new nn.Sequential(new nn.Linear(4, 4), new nn.Dropout({ p: 0.5 }));
      expect([...m.modules()].every((k) => k.training)).toBe(true);
      m.eval();
      expect([...m.modules()].some((k) => k.training)).toBe(false);
      const x = torch.randn([3, 4]);
      const d = new nn.Dropout(0.5).eval();
      expect(await values(d.forward(x))).toEqual(await values(x));
      m.train();
      expect(m.at(1).training).toBe(true);
    });

    it('Dropout in training zeroes about p of the values and scales the rest by 1/(1-p)', async () => {
      const p = 0.3;
      const x = torch.ones([20000], { requiresGrad: true });
      const y = new nn.Dropout({ p }).forward(x);
      const v = await values(y);
      const zeros = v.filter((a) => a === 0).length / v.length;
      expect(zeros).toBeGreaterThan(0.28);
      expect(zeros).toBeLessThan(0.32);
      const scale = Math.fround(1 / (1 - p));
      expect(v.every((a) => a === 0 || Math.abs(a - scale) < 1e-6)).toBe(true);
      y.sum().backward();
      expect(await values(x.grad!)).toEqual(v);
      expect(await values(new nn.Dropout({ p: 1 }).forward(torch.ones([5])))).toEqual([0, 0, 0, 0, 0]);
      expect(() => new nn.Dropout({ p: 1.5 })).toThrow(/1\.5/);
    });

    it('zeroGrad sets grads to null (default) or zero', async () => {
      const m = mlp();
      m.forward(torch.randn([5, 3]))
        .sum()
        .backward();
      expect([...m.parameters()].every((p) => p.grad !== null)).toBe(true);
      m.zeroGrad(false);
      for (const p of m.parameters()) expect((await values(p.grad!)).every((g) => g === 0)).toBe(true);
      m.zeroGrad();
      expect([...m.parameters()].every((p) => p.grad === null)).toBe(true);
    });
  });

  describe('stateDict / loadStateDict', () => {
    it('round trip: a fresh model computes the same outputs after loading', async () => {
      const a = mlp();
      const b = mlp();
      const x = torch.randn([4, 3]);
      const res = b.loadStateDict(a.stateDict());
      expect(res).toEqual({ missingKeys: [], unexpectedKeys: [] });
      expect(await values(b.forward(x))).toEqual(await values(a.forward(x)));
    });

    it('missing and unexpected keys are named, and a failed load changes nothing', async () => {
      const m = mlp();
      const before = await snapshot(m);
      const sd = mlp().stateDict();
      const missing = { ...sd };
      delete missing['2.bias'];
      expect(() => m.loadStateDict(missing)).toThrow(/Missing key\(s\) in state_dict: "2\.bias"/);
      expect(() => m.loadStateDict({ ...sd, '3.weight': torch.zeros([1]) })).toThrow(
        /Unexpected key\(s\) in state_dict: "3\.weight"/,
      );
      expect(await snapshot(m)).toEqual(before);
      const res = m.loadStateDict({ ...missing, extra: torch.zeros([1]) }, { strict: false });
      expect(res).toEqual({ missingKeys: ['2.bias'], unexpectedKeys: ['extra'] });
      expect((await snapshot(m))[3]).toEqual(before[3]);
    });

    it('a shape mismatch names the key and both shapes; nothing is copied', async () => {
      const m = mlp();
      const before = await snapshot(m);
      const sd = mlp().stateDict();
      sd['2.weight'] = torch.zeros([4, 2]);
      expect(() => m.loadStateDict(sd)).toThrow(
        /size mismatch for 2\.weight: copying a param with shape \[4, 2\] from checkpoint, the shape in current model is \[2, 4\]/,
      );
      expect(await snapshot(m)).toEqual(before);
      expect(() => m.loadStateDict({ ...sd, '2.weight': 3 as never })).toThrow(/2\.weight/);
    });

    it('values are cast to the parameter dtype', async () => {
      if (!ctx.supports('float64')) {
        expectDTypeUnsupported(ctx, 'float64');
        return;
      }
      const m = new nn.Linear(2, 1);
      m.loadStateDict({
        weight: torch.tensor([[0.5, 0.25]], { dtype: 'float64' }),
        bias: torch.tensor([1], { dtype: 'float64' }),
      });
      expect(m.weight.dtype).toBe('float32');
      expect(await values(m.weight)).toEqual([0.5, 0.25]);
    });
  });

  describe('conversion', () => {
    it('double() and float() convert every parameter; to(backend name) keeps the backend', async () => {
      const m = mlp();
      if (!ctx.supports('float64')) {
        expect(() => m.double()).toThrow(/float64/);
        expect([...m.parameters()].every((p) => p.dtype === 'float32')).toBe(true);
        return;
      }
      const before = await snapshot(m);
      m.double();
      expect([...m.parameters()].every((p) => p.dtype === 'float64' && p.requiresGrad)).toBe(true);
      expect(m.forward(torch.randn([2, 3], { dtype: 'float64' })).dtype).toBe('float64');
      m.float();
      expect(await snapshot(m)).toEqual(before);
      m.to(ctx.name);
      expect([...m.parameters()].every((p) => p.backend.name === ctx.name)).toBe(true);
      expect(() => m.to('int32')).toThrow(/floating point/);
    });
  });

  describe('memory', () => {
    it('a CNN training loop under tidy keeps torch.memory() flat', () => {
      torch.manualSeed(5);
      const model = new nn.Sequential(
        new nn.Conv2d(1, 4, 3, { padding: 1 }),
        new nn.ReLU(),
        new nn.MaxPool2d(2),
        new nn.Flatten(),
        new nn.Dropout({ p: 0.1 }),
        new nn.Linear(4 * 3 * 3, 3),
      );
      const opt = new torch.optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
      const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });
      const x = torch.randn([8, 1, 7, 6]);
      const y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1], { dtype: 'int32' });
      const counts: number[] = [];
      for (let i = 0; i < 12; i++) {
        torch.tidy(() => {
          const loss = lossFn.forward(model.forward(x), y);
          opt.zeroGrad();
          loss.backward();
          opt.step();
        });
        counts.push(torch.memory().backends[ctx.name]?.tensors ?? 0);
      }
      // After the first steps (grads and momentum buffers appear), nothing accumulates.
      expect(new Set(counts.slice(3)).size).toBe(1);
    });
  });

  describe('initialisation', () => {
    it('Linear and Conv2d start uniform in ±1/sqrt(fanIn), as PyTorch', async () => {
      const cases: [InstanceType<typeof nn.Module> & { weight: Tensor; bias: Tensor | null }, number][] = [
        [new nn.Linear(50, 40), 50],
        [new nn.Conv2d(6, 16, 3, { groups: 2 }), 27],
      ];
      for (const [m, fanIn] of cases) {
        const bound = 1 / Math.sqrt(fanIn);
        for (const t of [m.weight, m.bias!]) {
          const v = await values(t);
          const max = Math.max(...v.map(Math.abs));
          expect(max).toBeLessThanOrEqual(bound * (1 + 1e-6));
          if (v.length > 100) {
            expect(max).toBeGreaterThan(0.9 * bound);
            expect(Math.abs(v.reduce((a, b) => a + b, 0) / v.length)).toBeLessThan(0.1 * bound);
          }
        }
      }
    });

    it('manualSeed makes model construction repeatable', async () => {
      torch.manualSeed(1234);
      const a = await snapshot(mlp());
      torch.manualSeed(1234);
      const b = await snapshot(mlp());
      expect(b).toEqual(a);
    });

    it('nn.init helpers fill in place', async () => {
      const t = torch.zeros([30, 20]);
      torch.nn.init.kaimingUniform_(t, { nonlinearity: 'relu' });
      const bound = Math.sqrt(2) * Math.sqrt(3 / 20);
      expect(Math.max(...(await values(t)).map(Math.abs))).toBeLessThanOrEqual(bound);
      torch.nn.init.constant_(t, 0.5);
      expect((await values(t)).every((v) => v === 0.5)).toBe(true);
      expect(torch.nn.init.calculateGain('tanh')).toBeCloseTo(5 / 3, 12);
    });
  });
}
