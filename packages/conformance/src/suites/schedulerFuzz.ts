/**
 * Property-based tests of the LR schedulers (fast-check, see `property.ts`), over random
 * hyperparameters of all 16 (the 15 of `optim.lrScheduler` and `swaUtils.SWALR`; the
 * composites over random children) and random step counts:
 *
 *  - resume: a run checkpointed after `k` steps (`torch.save` of the optimizer's and the
 *    scheduler's state dicts) and resumed by a fresh optimizer and scheduler from
 *    `torch.load` continues the uninterrupted run's learning rates exactly;
 *  - load: an edited scheduler state dict (hostile values, missing and extra keys) is
 *    either refused with a clear error, leaving the scheduler and its optimizer exactly as
 *    they were (children included), or accepted, and then the next step runs.
 *
 * A failure prints the smallest spec and edit fast-check shrank it to. The fixed
 * examples (PyTorch's sequences, the named refusals) live in the `lrScheduler` suite.
 */

import * as torch from '@stepwise/core';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { saveAny } from '../checkpoint.js';
import type { ConformanceContext } from '../context.js';
import {
  applyEdits,
  checkProperty,
  expectClearError,
  expectNoPollution,
  FUZZ_SEED,
  hostileValue,
  internalErrors,
  runs,
  treeEdit,
} from './property.js';

const S = torch.optim.lrScheduler;

/** A scheduler to build: its class, options, and for composites its children. */
interface Spec {
  scheduler: string;
  options: Record<string, unknown>;
  lambda?: 'pow' | 'const' | 'inv';
  milestones?: number[];
  children?: Spec[];
}

const lambdas = {
  pow: (e: number) => 0.95 ** e,
  const: () => 0.9,
  inv: (e: number) => 1 / (1 + e),
};

/** A number in [lo, hi] on a grid of 1/100, so counterexamples read plainly. */
const grid = (lo: number, hi: number) =>
  fc.integer({ min: Math.round(lo * 100), max: Math.round(hi * 100) }).map((k) => k / 100);
const int = (min: number, max: number) => fc.integer({ min, max });
const spec = (scheduler: string, options: fc.Arbitrary<Record<string, unknown>>) =>
  options.map((o): Spec => ({ scheduler, options: o }));

/** Schedulers that can be children of SequentialLR and ChainedScheduler. */
const simple: fc.Arbitrary<Spec> = fc.oneof(
  spec('StepLR', fc.record({ stepSize: int(1, 10), gamma: grid(0.1, 1) })),
  spec(
    'MultiStepLR',
    fc.record({
      milestones: fc.array(int(1, 40), { maxLength: 4 }).map((m) => m.sort((a, b) => a - b)),
      gamma: grid(0.1, 1),
    }),
  ),
  spec('ConstantLR', fc.record({ factor: grid(0.05, 1), totalIters: int(0, 15) })),
  spec('LinearLR', fc.record({ startFactor: grid(0.05, 1), endFactor: grid(0, 1), totalIters: int(1, 15) })),
  spec('ExponentialLR', fc.record({ gamma: grid(0.5, 1) })),
  spec('PolynomialLR', fc.record({ totalIters: int(1, 30), power: grid(0.5, 3) })),
  spec('CosineAnnealingLR', fc.record({ T_max: int(1, 20), etaMin: grid(0, 0.01) })),
  spec(
    'CosineAnnealingWarmRestarts',
    fc.record({ T_0: int(1, 10), T_mult: int(1, 3), etaMin: grid(0, 0.01) }),
  ),
  fc
    .record({
      scheduler: fc.constantFrom('LambdaLR', 'MultiplicativeLR'),
      lambda: fc.constantFrom('pow', 'const', 'inv'),
    })
    .map(({ scheduler, lambda }): Spec => ({ scheduler, lambda: lambda as Spec['lambda'], options: {} })),
);

const anyScheduler: fc.Arbitrary<Spec> = fc.oneof(
  simple,
  spec(
    'CyclicLR',
    fc.record(
      {
        baseLr: grid(0.001, 0.05),
        maxLr: grid(0.06, 0.5),
        stepSizeUp: int(1, 8),
        stepSizeDown: int(1, 8),
        mode: fc.constantFrom('triangular', 'triangular2', 'exp_range'),
        gamma: grid(0.9, 1),
        cycleMomentum: fc.boolean(),
      },
      { requiredKeys: ['baseLr', 'maxLr', 'stepSizeUp'] },
    ),
  ),
  spec(
    'OneCycleLR',
    fc.record(
      {
        maxLr: grid(0.1, 1),
        totalSteps: int(60, 80),
        pctStart: grid(0.1, 0.9),
        annealStrategy: fc.constantFrom('cos', 'linear'),
        threePhase: fc.boolean(),
        divFactor: grid(2, 30),
        finalDivFactor: grid(10, 1000),
      },
      { requiredKeys: ['maxLr', 'totalSteps'] },
    ),
  ),
  spec(
    'ReduceLROnPlateau',
    fc.record(
      {
        mode: fc.constantFrom('min', 'max'),
        factor: grid(0.1, 0.9),
        patience: int(0, 4),
        threshold: grid(0, 0.05),
        thresholdMode: fc.constantFrom('rel', 'abs'),
        cooldown: int(0, 3),
        minLr: grid(0, 0.01),
      },
      { requiredKeys: [] },
    ),
  ),
  spec(
    'SWALR',
    fc.record({
      swaLr: grid(0.01, 0.1),
      annealEpochs: int(1, 10),
      annealStrategy: fc.constantFrom('cos', 'linear'),
    }),
  ),
  fc
    .record({
      children: fc.array(simple, { minLength: 1, maxLength: 3 }),
      gaps: fc.array(int(1, 12), { maxLength: 2 }),
    })
    .map(({ children, gaps }): Spec => {
      const milestones: number[] = [];
      for (let i = 1; i < children.length; i++)
        milestones.push((milestones.at(-1) ?? 0) + (gaps[i - 1] ?? 5));
      return { scheduler: 'SequentialLR', options: {}, children, milestones };
    }),
  fc
    .array(simple, { minLength: 1, maxLength: 3 })
    .map((children): Spec => ({ scheduler: 'ChainedScheduler', options: {}, children })),
);

/** Two param groups (lr 0.1 and 0.05), SGD with momentum so CyclicLR/OneCycleLR can cycle it. */
function makeOpt(): any {
  const a = torch.zeros([3], { requiresGrad: true });
  const b = torch.zeros([2], { requiresGrad: true });
  return new torch.optim.SGD([{ params: [a] }, { params: [b], lr: 0.05 }], { lr: 0.1, momentum: 0.9 });
}

function build(opt: any, s: Spec): any {
  const o: Record<string, unknown> = { ...s.options };
  if (s.lambda) o.lrLambda = lambdas[s.lambda];
  switch (s.scheduler) {
    case 'SequentialLR':
      return new S.SequentialLR(opt, {
        schedulers: s.children!.map((c) => build(opt, c)),
        milestones: s.milestones!,
      });
    case 'ChainedScheduler':
      return new S.ChainedScheduler(s.children!.map((c) => build(opt, c)));
    case 'SWALR':
      return new torch.optim.swaUtils.SWALR(opt, o as any);
    default:
      return new (S as any)[s.scheduler](opt, o);
  }
}

/** Steps `from..to` (optimizer, then scheduler); the group lrs and getLastLr after each. */
function run(
  opt: any,
  sched: any,
  s: Spec,
  metrics: readonly number[],
  from: number,
  to: number,
): number[][] {
  const rows: number[][] = [];
  for (let i = from; i < to; i++) {
    opt.step();
    if (s.scheduler === 'ReduceLROnPlateau') sched.step(metrics[i % metrics.length]);
    else sched.step();
    rows.push([...opt.paramGroups.map((g: any) => g.lr), ...sched.getLastLr()]);
  }
  return rows;
}

/** Everything a load could change: the scheduler's state dict (children inside) and the groups' lrs. */
function observe(opt: any, sched: any): string {
  const text = (v: unknown) =>
    JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
  return text({
    state: sched.stateDict(),
    last: sched.getLastLr?.(),
    groups: opt.paramGroups.map((g: any) => ({ lr: g.lr, momentum: g.momentum, initialLr: g.initialLr })),
  });
}

const metricsArb = fc.array(grid(0, 1), { minLength: 1, maxLength: 12 });

export function registerSchedulerFuzzTests(ctx: ConformanceContext): void {
  describe(`fast-check, seed ${FUZZ_SEED}`, () => {
    it(`resume from torch.load(torch.save(stateDicts)) continues the identical lr sequence (${runs(150)} runs)`, async () => {
      await checkProperty(
        fc.asyncProperty(anyScheduler, int(0, 30), int(1, 12), metricsArb, async (s, k, m, metrics) => {
          const opt = makeOpt();
          const sched = build(opt, s);
          run(opt, sched, s, metrics, 0, k);
          const ck = torch.load(await saveAny(ctx, { optim: opt.stateDict(), sched: sched.stateDict() }));
          const opt2 = makeOpt();
          const sched2 = build(opt2, s);
          opt2.loadStateDict(ck.optim);
          sched2.loadStateDict(ck.sched);
          const want = JSON.stringify(run(opt, sched, s, metrics, k, k + m));
          const got = JSON.stringify(run(opt2, sched2, s, metrics, k, k + m));
          if (got !== want) throw new Error(`resumed lrs ${got}\nuninterrupted ${want}`);
        }),
        150,
        101,
      );
    });

    it(`an edited state dict is refused leaving everything unchanged, or accepted and steps (${runs(300)} runs)`, async () => {
      const edits = fc.array(treeEdit(hostileValue()), { minLength: 1, maxLength: 2 });
      await checkProperty(
        fc.asyncProperty(
          anyScheduler,
          int(0, 8),
          int(0, 8),
          metricsArb,
          edits,
          async (s, k, k2, metrics, es) => {
            const opt = makeOpt();
            const sched = build(opt, s);
            run(opt, sched, s, metrics, 0, k);
            const sd = applyEdits(JSON.parse(JSON.stringify(sched.stateDict())), es);
            // The target has its own history, so a half-applied load would show.
            const opt2 = makeOpt();
            const sched2 = build(opt2, s);
            run(opt2, sched2, s, metrics, 0, k2);
            const before = observe(opt2, sched2);
            try {
              sched2.loadStateDict(sd);
            } catch (e) {
              expectClearError(e, 'loadStateDict');
              const after = observe(opt2, sched2);
              if (after !== before)
                throw new Error(`a refused load (${e.message}) changed\n${before}\ninto\n${after}`);
              expectNoPollution();
              return;
            }
            try {
              run(opt2, sched2, s, metrics, k2, k2 + 1);
            } catch (e) {
              if (!(e instanceof Error) || internalErrors.test(e.message))
                throw new Error(`step after an accepted load: ${(e as Error)?.message}`);
            }
            expectNoPollution();
          },
        ),
        300,
        102,
      );
    });
  });
}
