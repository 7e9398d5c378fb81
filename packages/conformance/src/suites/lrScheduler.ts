/**
 * Every LR scheduler (and SWALR) against PyTorch (fixtures/lr_scheduler.json,
 * tooling/golden/sched.py): the lr of two param groups, and the cycled momentum or
 * betas[0], over 60 steps. Then: closed forms equal the recursive path, the
 * scheduler-before-optimizer warning, `initialLr` on resume, state-dict round trips, and
 * OneCycleLR's error past its total steps.
 */

import * as torch from '@stepwise/core';
import { describe, expect, it, vi } from 'vitest';
import { expectClose } from '../assert.js';
import type { ConformanceContext } from '../context.js';
import { loadFixture } from '../fixtures.js';
import { thrown, tol, values } from './util.js';

const S = torch.optim.lrScheduler;
type Sched = InstanceType<typeof S.LRScheduler>;

interface Spec {
  name?: string;
  scheduler: string;
  optimizer?: 'sgd' | 'adam';
  options: Record<string, unknown>;
  lambda?: string;
  milestones?: number[];
  children?: Spec[];
  recordMomentum?: boolean;
  lrs?: number[][];
  momentum?: number[][];
}

interface Fixture {
  meta: { steps: number; metrics: number[] };
  cases: Spec[];
}

const lambdas: Record<string, (e: number) => number> = {
  pow095: (e) => 0.95 ** e,
  const09: () => 0.9,
  inv: (e) => 1 / (1 + e),
};

function makeOpt(kind: 'sgd' | 'adam' = 'sgd') {
  const a = torch.zeros([3], { requiresGrad: true });
  const b = torch.zeros([2], { requiresGrad: true });
  const groups = [{ params: [a] }, { params: [b], lr: 0.05 }];
  return kind === 'adam'
    ? new torch.optim.Adam(groups, { lr: 0.1 })
    : new torch.optim.SGD(groups, { lr: 0.1, momentum: 0.9 });
}

function build(opt: any, spec: Spec): any {
  const o: Record<string, unknown> = { ...spec.options };
  if (spec.lambda) o.lrLambda = lambdas[spec.lambda];
  switch (spec.scheduler) {
    case 'SequentialLR':
      return new S.SequentialLR(opt, {
        schedulers: spec.children!.map((c) => build(opt, c)),
        milestones: spec.milestones!,
      });
    case 'ChainedScheduler':
      return new S.ChainedScheduler(spec.children!.map((c) => build(opt, c)));
    case 'SWALR':
      return new torch.optim.swaUtils.SWALR(opt, o as any);
    default:
      return new (S as any)[spec.scheduler](opt, o);
  }
}

const momentumOf = (opt: any) => opt.paramGroups.map((g: any) => (g.betas ? g.betas[0] : g.momentum));

export function registerLrSchedulerTests(_ctx: ConformanceContext): void {
  const fx = loadFixture<Fixture>('lr_scheduler');
  const t64 = tol('float64', 'elementwise');

  describe('lr sequences against PyTorch (60 steps, two groups)', () => {
    for (const c of fx.cases) {
      it(c.name!, () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          const opt = makeOpt(c.optimizer);
          const sched = build(opt, c);
          const lrs = [opt.paramGroups.map((g) => g.lr as number)];
          const moms = [momentumOf(opt)];
          for (let i = 0; i < fx.meta.steps; i++) {
            opt.step();
            if (c.scheduler === 'ReduceLROnPlateau') sched.step(fx.meta.metrics[i]);
            else sched.step();
            lrs.push(opt.paramGroups.map((g) => g.lr as number));
            moms.push(momentumOf(opt));
            expect(sched.getLastLr()).toEqual(lrs[lrs.length - 1]);
          }
          expectClose(lrs.flat(), c.lrs!.flat(), t64, 'lr');
          if (c.momentum) expectClose(moms.flat(), c.momentum.flat(), t64, 'momentum');
          expect(warn).not.toHaveBeenCalled();
        } finally {
          warn.mockRestore();
        }
      });
    }
  });

  describe('closed form equals the recursive path', () => {
    const cases: [string, (o: any) => Sched][] = [
      ['StepLR', (o) => new S.StepLR(o, { stepSize: 3, gamma: 0.5 })],
      ['MultiStepLR', (o) => new S.MultiStepLR(o, { milestones: [2, 5, 5, 9], gamma: 0.3 })],
      ['ConstantLR', (o) => new S.ConstantLR(o, { factor: 0.5, totalIters: 4 })],
      ['LinearLR', (o) => new S.LinearLR(o, { startFactor: 0.2, totalIters: 6 })],
      ['ExponentialLR', (o) => new S.ExponentialLR(o, { gamma: 0.9 })],
      ['PolynomialLR', (o) => new S.PolynomialLR(o, { totalIters: 8, power: 1.5 })],
      ['CosineAnnealingLR', (o) => new S.CosineAnnealingLR(o, { T_max: 6, etaMin: 0.01 })],
    ];
    for (const [name, make] of cases) {
      it(name, () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          const o1 = makeOpt();
          const rec = make(o1);
          const o2 = makeOpt();
          const closed = make(o2);
          for (let e = 1; e <= 20; e++) {
            o1.step();
            rec.step();
            closed.step(e);
            expectClose(closed.getLastLr(), rec.getLastLr(), t64, `epoch ${e}`);
          }
        } finally {
          warn.mockRestore();
        }
      });
    }
  });

  it('warns when scheduler.step() comes before optimizer.step()', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const opt = makeOpt();
      const s = new S.StepLR(opt, { stepSize: 2 });
      s.step();
      expect(warn.mock.calls.some((c) => /before `optimizer.step\(\)`/.test(String(c[0])))).toBe(true);
    } finally {
      warn.mockRestore();
    }
  });

  it('resuming needs initialLr in every group', () => {
    const opt = makeOpt();
    expect(thrown(() => new S.StepLR(opt, { stepSize: 2, lastEpoch: 3 })).message).toMatch(
      /param 'initial_lr' is not specified in param_groups\[0\] when resuming an optimizer/,
    );
  });

  it('a scheduler rebuilt on a resumed optimizer continues its sequence (state dict round trip)', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const opt = makeOpt();
      const s = new S.CosineAnnealingLR(opt, { T_max: 10, etaMin: 0.001 });
      for (let i = 0; i < 4; i++) {
        opt.step();
        s.step();
      }
      const osd = opt.stateDict();
      const ssd = s.stateDict();
      const opt2 = makeOpt();
      opt2.loadStateDict(osd);
      const s2 = new S.CosineAnnealingLR(opt2, { T_max: 10, etaMin: 0.001 });
      s2.loadStateDict(ssd);
      for (let i = 0; i < 8; i++) {
        opt.step();
        s.step();
        opt2.step();
        s2.step();
        expect(s2.getLastLr()).toEqual(s.getLastLr());
      }
      expect(thrown(() => s2.loadStateDict({ lastEpoch: 'x' } as any)).message).toMatch(/lastEpoch/);
      expect(thrown(() => s2.loadStateDict(JSON.parse('{"__proto__": {"x": 1}}'))).message).toMatch(
        /__proto__/,
      );
    } finally {
      warn.mockRestore();
    }
  });

  it('OneCycleLR refuses to step past its total steps', () => {
    const opt = makeOpt();
    const s = new S.OneCycleLR(opt, { maxLr: 1, totalSteps: 3 });
    for (let i = 0; i < 3; i++) {
      opt.step();
      if (i < 2) s.step();
    }
    s.step();
    expect(thrown(() => s.step()).message).toMatch(
      /Tried to step 5 times. The specified number of total steps is 3/,
    );
  });

  it('ChainedScheduler also takes (optimizer, { schedulers })', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const run = (make: (o: any) => Sched) => {
        const opt = makeOpt();
        const s = make(opt);
        const out: number[][] = [];
        for (let i = 0; i < 12; i++) {
          opt.step();
          s.step();
          out.push(s.getLastLr());
        }
        return out;
      };
      const a = run(
        (o) =>
          new S.ChainedScheduler([
            new S.ConstantLR(o, { factor: 0.5 }),
            new S.ExponentialLR(o, { gamma: 0.9 }),
          ]),
      );
      const b = run(
        (o) =>
          new S.ChainedScheduler(o, {
            schedulers: [new S.ConstantLR(o, { factor: 0.5 }), new S.ExponentialLR(o, { gamma: 0.9 })],
          }),
      );
      expect(b).toEqual(a);
    } finally {
      warn.mockRestore();
    }
  });

  it('swaUtils.AveragedModel: equal-weight average and EMA of a model, copied deeply', async () => {
    const model = new torch.nn.Linear(3, 2);
    const swa = new torch.optim.swaUtils.AveragedModel(model);
    const ema = new torch.optim.swaUtils.AveragedModel(model, {
      multiAvgFn: torch.optim.swaUtils.getEmaMultiAvgFn(0.5),
    });
    const snaps: number[][] = [];
    for (let k = 0; k < 3; k++) {
      torch.noGrad(() => model.weight.fill_(k + 1));
      snaps.push(await values(model.weight));
      swa.updateParameters(model);
      ema.updateParameters(model);
    }
    expect(swa.nAveraged).toBe(3);
    expect(await values((swa.module as any).weight)).toEqual(snaps[0]!.map(() => 2));
    // EMA with decay 0.5: first copy 1, then 0.5·1 + 0.5·2 = 1.5, then 0.5·1.5 + 0.5·3 = 2.25
    expect(await values((ema.module as any).weight)).toEqual(snaps[0]!.map(() => 2.25));
    expect((swa.module as any).weight).not.toBe(model.weight);
    const x = torch.ones([1, 3]);
    expect([...swa.forward(x).shape]).toEqual([1, 2]);
  });

  it('lambdas are not saved; LinearLR and ConstantLR validate their factors', () => {
    const opt = makeOpt();
    const s = new S.LambdaLR(opt, { lrLambda: (e) => e });
    expect('lrLambdas' in s.stateDict()).toBe(false);
    expect(thrown(() => new S.LinearLR(makeOpt(), { startFactor: 0 })).message).toMatch(/greater than 0/);
    expect(thrown(() => new S.ConstantLR(makeOpt(), { factor: 2 })).message).toMatch(/between 0 and 1/);
    expect(thrown(() => new S.LambdaLR(makeOpt(), { lrLambda: [(e) => e] })).message).toMatch(
      /Expected 2 lr_lambdas, but got 1/,
    );
  });
}
