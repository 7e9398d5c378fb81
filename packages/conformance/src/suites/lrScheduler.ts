/**
 * Every LR scheduler (and SWALR) against PyTorch (fixtures/lr_scheduler.json,
 * tooling/golden/sched.py): the lr of two param groups, and the cycled momentum or
 * betas[0], over 60 steps. Then: closed forms equal the recursive path, the
 * scheduler-before-optimizer warning, `initialLr` on resume, state-dict round trips, and
 * OneCycleLR's error past its total steps. Every scheduler resumes from
 * `torch.load(torch.save(stateDict))` (and from its state dict directly) into a fresh
 * scheduler and optimizer and continues the uninterrupted run's lr sequence exactly; a bad
 * state dict is refused naming the key, and changes nothing (children included).
 */

import * as torch from '@stepwise/core';
import { describe, expect, it, vi } from 'vitest';
import { expectClose } from '../assert.js';
import { saveAny } from '../checkpoint.js';
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

/** Gives every parameter a gradient, so optimizer steps write state (momentum buffers, moments). */
function withGrads(opt: any) {
  for (const g of opt.paramGroups) for (const p of g.params) p.grad = torch.onesLike(p);
  return opt;
}

/** A state dict as comparable text (±Infinity and NaN spelt out, as JSON would lose them). */
const text = (sd: unknown) =>
  JSON.stringify(sd, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));

/** Fields holding one value per param group (the suite's optimizers have two groups). */
const perGroup = new Set(['baseLrs', '_lastLr', 'maxLrs', 'minLrs', 'baseMomentums', 'maxMomentums']);
/** String fields that hold one of a few names. */
const enumFields = new Set(['annealStrategy', 'mode', 'scaleMode', 'thresholdMode']);

/**
 * Bad variants of a scheduler state dict `good`, each with the key its error must name:
 * every field given a value of the wrong kind (NaN, null, a string, an array, an object...),
 * per-group arrays of the wrong length, integers that are not, unknown keys, and, for a
 * scheduler with children, each child's bad variants inside an otherwise good parent.
 */
function badStates(
  good: Record<string, any>,
  sched: any,
  path = '',
): [label: string, sd: Record<string, any>, key: string][] {
  const out: [string, Record<string, any>, string][] = [];
  const put = (k: string, v: unknown) =>
    out.push([`${path}${k} = ${text(v)}`, { ...good, [k]: v }, `${path}${k}`]);
  for (const [k, v] of Object.entries(good)) {
    if (k === '_schedulers') continue;
    if (typeof v === 'number') {
      for (const b of [Number.NaN, null, 'a', [1], {}]) put(k, b);
      if (k === 'lastEpoch') for (const b of [1.5, -2, Number.POSITIVE_INFINITY]) put(k, b);
      if (k === '_stepCount') for (const b of [1.5, -1]) put(k, b);
    } else if (typeof v === 'boolean') {
      for (const b of [1, null, 'true']) put(k, b);
      if (k === '_isInitial') put(k, true);
    } else if (typeof v === 'string') {
      for (const b of [5, null, [v]]) put(k, b);
      if (enumFields.has(k)) put(k, 'bogus');
    } else if (Array.isArray(v)) {
      for (const b of [null, 5, ['a'], v.length ? v.map(() => Number.NaN) : [Number.NaN], [{}]]) put(k, b);
      if (perGroup.has(k) && v.length) {
        put(k, [...v, v[0]]);
        put(k, v.slice(1));
      }
      if (k === 'milestones' && sched instanceof S.SequentialLR) put(k, [...v, 99]);
      if (k === 'phases') {
        put(k, v.slice(0, 1));
        put(k, [{ ...v[0], endStep: 'x' }, ...v.slice(1)]);
        put(k, [{ ...v[0], startLr: 'lr' }, ...v.slice(1)]);
        put(k, [{ ...v[0], extra: 1 }, ...v.slice(1)]);
      }
    }
  }
  out.push([`${path}bogus = 1`, { ...good, bogus: 1 }, `${path}bogus`]);
  const children: any[] | undefined = sched._schedulers;
  if (children) {
    out.push([
      `${path}_schedulers too short`,
      { ...good, _schedulers: good._schedulers.slice(1) },
      '_schedulers',
    ]);
    children.forEach((child, i) => {
      for (const [label, bad, key] of badStates(good._schedulers[i], child, `${path}_schedulers[${i}].`)) {
        const kids = [...good._schedulers];
        kids[i] = bad;
        // The parent's own fields change too, so a half-applied load would show.
        out.push([label, { ...good, lastEpoch: good.lastEpoch + 3, _schedulers: kids }, key]);
      }
    });
  }
  return out;
}

/** The error `fn` throws; fails the test, naming `label`, when it does not throw. */
function refused(label: string, fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    expect(e, label).toBeInstanceOf(Error);
    return e as Error;
  }
  return expect.fail(`${label}: expected the load to be refused, but it was accepted`);
}

/** Five optimizer + scheduler steps (ReduceLROnPlateau gets a metric that stalls). */
function run5(opt: any, sched: any, c: Spec): void {
  for (let i = 0; i < 5; i++) {
    opt.step();
    if (c.scheduler === 'ReduceLROnPlateau') sched.step(1);
    else sched.step();
  }
}

export function registerLrSchedulerTests(ctx: ConformanceContext): void {
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

  describe('resume: a fresh optimizer and scheduler loaded from the state dicts continue the identical lr sequence', () => {
    const steps = fx.meta.steps;
    type Row = { lr: number[]; last: number[]; momentum: number[] };
    const run = (opt: any, sched: any, from: number, to: number, c: Spec): Row[] => {
      const rows: Row[] = [];
      for (let i = from; i < to; i++) {
        opt.step();
        if (c.scheduler === 'ReduceLROnPlateau') sched.step(fx.meta.metrics[i]);
        else sched.step();
        rows.push({
          lr: opt.paramGroups.map((g: any) => g.lr),
          last: sched.getLastLr(),
          momentum: momentumOf(opt),
        });
      }
      return rows;
    };
    for (const c of fx.cases) {
      it(c.name!, async () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          const opt = withGrads(makeOpt(c.optimizer));
          const full = run(opt, build(opt, c), 0, steps, c);
          for (const k of [0, 1, 17, 42]) {
            const o1 = withGrads(makeOpt(c.optimizer));
            const s1 = build(o1, c);
            run(o1, s1, 0, k, c);
            const ck = torch.load(await saveAny(ctx, { optim: o1.stateDict(), sched: s1.stateDict() }));
            // Through torch.save/torch.load, and straight from the state dicts.
            for (const [how, osd, ssd] of [
              ['torch.save', ck.optim, ck.sched],
              ['direct', o1.stateDict(), s1.stateDict()],
            ] as const) {
              // PyTorch's recipe: build the optimizer and the scheduler, then load both.
              const o2 = withGrads(makeOpt(c.optimizer));
              const s2 = build(o2, c);
              o2.loadStateDict(osd);
              s2.loadStateDict(ssd);
              expect(text(s2.stateDict()), `${how} at step ${k}: state`).toBe(text(s1.stateDict()));
              expect(s2.getLastLr(), `${how} at step ${k}: getLastLr`).toEqual(s1.getLastLr());
              expect(run(o2, s2, k, steps, c), `${how} at step ${k}: the sequence after`).toEqual(
                full.slice(k),
              );
            }
          }
          expect(warn).not.toHaveBeenCalled();
        } finally {
          warn.mockRestore();
        }
      });
    }
  });

  describe('loadStateDict refuses a bad state dict, naming the key, and changes nothing', () => {
    for (const c of fx.cases) {
      it(c.name!, () => {
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
        try {
          const opt = makeOpt(c.optimizer);
          const sched = build(opt, c);
          run5(opt, sched, c);
          const good = sched.stateDict();
          const before = text(good);
          const lrsBefore = opt.paramGroups.map((g) => g.lr);
          const bad = badStates(good, sched);
          expect(bad.length).toBeGreaterThan(10);
          for (const [label, sd, key] of bad) {
            const e = refused(label, () => sched.loadStateDict(sd));
            expect(e.message, label).toContain(`'${key}'`);
            expect(text(sched.stateDict()), `${label}: state after the failed load`).toBe(before);
          }
          expect(opt.paramGroups.map((g) => g.lr)).toEqual(lrsBefore);
          for (const v of [null, 5, 'x', [good]]) {
            expect(thrown(() => sched.loadStateDict(v as any)).message).toMatch(/must be an object/);
          }
          sched.loadStateDict(good);
          expect(text(sched.stateDict())).toBe(before);
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
