/**
 * An optimizer tour: one problem — a 1-20-1 MLP fitted to y = x² + 0.1·noise — trained
 * from the same initial weights by every optimizer that `torch.optim` exports (found at
 * run time, so new ones join the tour by themselves) and by a few learning-rate
 * schedulers, with every loss curve in one picture.
 */

import { DASHES, paletteColor, seriesStyle } from '@stepwise/charts';
import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { writeChart } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';

const nn = torch.nn;
type Opt = InstanceType<typeof torch.optim.Optimizer>;
type OptClass = new (params: Iterable<Tensor>, opts: Record<string, unknown>) => Opt;

/** Learning rates that suit this small problem; optimizers not listed start from their defaults, else lr 1e-2. */
const SETTINGS: Record<string, Record<string, unknown>> = {
  SGD: { lr: 0.1, momentum: 0.9 },
  Adam: { lr: 0.01 },
  AdamW: { lr: 0.01 },
  Adamax: { lr: 0.02 },
  NAdam: { lr: 0.01 },
  RAdam: { lr: 0.01 },
  Adagrad: { lr: 0.1 },
  Adadelta: { lr: 1 },
  RMSprop: { lr: 0.003 },
  Rprop: { lr: 0.01 },
  ASGD: { lr: 0.1 },
  LBFGS: { lr: 1, lineSearchFn: 'strong_wolfe' },
  Muon: { lr: 0.02 },
};

/** Optimizers that take only some of the parameters (PyTorch's Muon accepts 2-D matrices only). */
const ONLY: Record<string, [(p: Tensor) => boolean, string]> = {
  Muon: [(p) => p.dim() === 2, 'weights only, biases stay put'],
};

/** Why some optimizers cannot take this problem as it is. */
const UNSUITED: Record<string, string> = {
  SparseAdam: 'needs sparse gradients (an embedding lookup), not a dense MLP',
};

interface Run {
  name: string;
  losses: number[];
}

function problem() {
  torch.manualSeed(7);
  const x = torch.linspace(-1, 1, 256).unsqueeze(1);
  const y = x.pow(2).add(torch.randn([256, 1]).mul(0.1));
  return { x, y };
}

function mlp() {
  torch.manualSeed(0);
  return new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
}

async function trainWith(
  label: string,
  make: (params: Iterable<Tensor>) => Opt,
  steps: number,
  data: { x: Tensor; y: Tensor },
  schedule?: (opt: Opt) => { step(): void },
): Promise<Run> {
  const model = mlp();
  const opt = make([...model.parameters()]);
  const sched = schedule?.(opt);
  const losses: number[] = [];
  const closure = () => {
    opt.zeroGrad();
    const l = nn.functional.mseLoss(model.forward(data.x), data.y);
    l.backward();
    return l;
  };
  const isAsync = opt.constructor.name === 'LBFGS';
  for (let i = 0; i < steps; i++) {
    if (isAsync) {
      const l = (await (opt.step as (c: () => Tensor) => Promise<Tensor>)(closure)) as Tensor;
      losses.push(await scalar(l));
    } else {
      const l = closure();
      opt.step();
      losses.push(await scalar(l));
    }
    sched?.step();
  }
  return { name: label, losses };
}

export async function optimizerTour(opts: { steps?: number } = {}) {
  console.log('\n== optimizer tour: one problem, every optimizer, a few schedulers ==');
  const steps = opts.steps ?? 300;
  const data = problem();
  const optim = torch.optim as unknown as Record<string, unknown>;
  const classes = Object.entries(optim).filter(
    ([, v]) =>
      typeof v === 'function' && v !== torch.optim.Optimizer && v.prototype instanceof torch.optim.Optimizer,
  ) as [string, OptClass][];
  const runs: Run[] = [];
  const bar = new ProgressBar('optimizers', classes.length);
  let k = 0;
  for (const [name, Cls] of classes) {
    bar.update(k++, name);
    if (UNSUITED[name]) {
      runs.push({ name: `${name} (skipped: ${UNSUITED[name]})`, losses: [] });
      continue;
    }
    const settings = SETTINGS[name];
    const only = ONLY[name];
    const make = (all: Iterable<Tensor>) => {
      const p = [...all].filter(only ? only[0] : () => true);
      try {
        return new Cls(p, settings ?? {});
      } catch (e) {
        if (settings) throw e;
        return new Cls(p, { lr: 1e-2 });
      }
    };
    try {
      const lr = (settings?.lr as number | undefined) ?? 'default';
      const label = `${name} (lr ${lr}${only ? `, ${only[1]}` : ''})`;
      runs.push(await trainWith(label, make, name === 'LBFGS' ? Math.ceil(steps / 10) : steps, data));
    } catch (e) {
      runs.push({ name: `${name} (skipped: ${(e as Error).message.split('\n')[0]})`, losses: [] });
    }
  }
  bar.done();

  // Schedulers, where this build has them.
  const lrs = (
    torch.optim as unknown as { lrScheduler?: Record<string, new (...a: any[]) => { step(): void }> }
  ).lrScheduler;
  const schedRuns: [string, (p: Iterable<Tensor>) => Opt, (o: Opt) => { step(): void }][] = [];
  if (lrs) {
    const sgd = (p: Iterable<Tensor>) => new torch.optim.SGD(p, { lr: 0.1, momentum: 0.9 });
    const adam = (p: Iterable<Tensor>) => new torch.optim.Adam(p, { lr: 0.01 });
    if (lrs.StepLR)
      schedRuns.push([
        'SGD + StepLR(100, γ 0.3)',
        sgd,
        (o) => new lrs.StepLR!(o, { stepSize: 100, gamma: 0.3 }),
      ]);
    if (lrs.CosineAnnealingLR)
      schedRuns.push([
        'SGD + CosineAnnealingLR',
        sgd,
        (o) => new lrs.CosineAnnealingLR!(o, { T_max: steps }),
      ]);
    if (lrs.OneCycleLR)
      schedRuns.push([
        'Adam + OneCycleLR(0.05)',
        adam,
        (o) => new lrs.OneCycleLR!(o, { maxLr: 0.05, totalSteps: steps }),
      ]);
    if (lrs.ExponentialLR)
      schedRuns.push(['Adam + ExponentialLR(0.99)', adam, (o) => new lrs.ExponentialLR!(o, { gamma: 0.99 })]);
  }
  for (const [label, make, sched] of schedRuns) {
    try {
      runs.push(await trainWith(label, make, steps, data, sched));
    } catch (e) {
      runs.push({ name: `${label} (skipped: ${(e as Error).message.split('\n')[0]})`, losses: [] });
    }
  }
  if (!lrs) console.log('  (torch.optim.lrScheduler is not in this build: no scheduler runs)');

  console.log(`  ${'run'.padEnd(50)} ${'first loss'.padStart(12)} ${'final loss'.padStart(12)}`);
  for (const r of runs) {
    if (r.losses.length === 0) console.log(`  ${r.name}`);
    else
      console.log(
        `  ${r.name.padEnd(50)} ${fmt(r.losses[0]!, 5).padStart(12)} ${fmt(r.losses[r.losses.length - 1]!, 5).padStart(12)}`,
      );
  }
  const plotted = runs.filter((r) => r.losses.length > 0);
  await writeChart('optimizer-tour', {
    title: 'optimizer tour: 1-20-1 MLP on y = x² + 0.1·noise (LBFGS: one point per outer step)',
    xLabel: 'step',
    yLabel: 'MSE loss (log)',
    logY: true,
    width: 960,
    height: 560,
    // 18 curves: the optimizers in the ten colours, solid then dashed; the scheduler runs
    // dotted, in the colours again — no two curves share both colour and dash.
    lines: plotted.map((r, i) => {
      const sched = i - (plotted.length - schedRuns.length);
      return {
        name: r.name,
        y: r.losses,
        x: r.name.startsWith('LBFGS') ? r.losses.map((_, j) => j * 10) : undefined,
        ...(sched >= 0 ? { color: paletteColor(sched), dash: DASHES[2] } : seriesStyle(i)),
      };
    }),
  });
  return runs;
}

runIfMain(import.meta.url, optimizerTour);
