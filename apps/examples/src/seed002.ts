/**
 * Seed 002: how an optimizer works inside, then an experiment.
 *
 * Part 1, the internals: parameter groups with their own hyperparameters, adding a group
 * (with Nesterov momentum) to a running optimizer, the per-parameter state that SGD keeps
 * (its momentum buffer), 50 steps, and a state dict saved and loaded into a fresh
 * optimizer, which then continues exactly as the original does.
 *
 * Part 2, the experiment: a 1-20-1 MLP fitted to y = x² + 0.1·noise on 1000 points of
 * [-1, 1], SGD against Adam for 1000 full-batch steps, both loss curves in one picture.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { writeChart } from './lib/output.js';
import { ProgressBar } from './lib/progress.js';
import { fmt, runIfMain, scalar } from './lib/standalone.js';
import { termChart } from './lib/termChart.js';

const nn = torch.nn;

function describeGroups(opt: InstanceType<typeof torch.optim.Optimizer>): void {
  opt.paramGroups.forEach((g, i) => {
    const hyper = Object.entries(g)
      .filter(([k]) => k !== 'params' && k !== 'paramNames')
      .map(([k, v]) => `${k}=${typeof v === 'number' ? v : JSON.stringify(v)}`)
      .join(', ');
    console.log(
      `    group ${i}: ${g.params.length} tensor(s) [${g.params.map((p) => `[${p.shape.join('×')}]`).join(' ')}]  ${hyper}`,
    );
  });
}

/** A toy problem with three parts: fit y = 3x₁ − 2x₂ + 1 + noise with a Linear layer plus a free scale. */
function toyProblem() {
  torch.manualSeed(2);
  const x = torch.randn([64, 2]);
  const y = x
    .matmul(torch.tensor([[3], [-2]]))
    .add(1)
    .add(torch.randn([64, 1]).mul(0.1));
  const model = new nn.Linear(2, 1);
  const scale = new nn.Parameter(torch.ones([1]));
  const loss = () => nn.functional.mseLoss(model.forward(x).mul(scale), y);
  return { model, scale, loss };
}

async function internals(): Promise<void> {
  console.log('  -- part 1: the optimizer inside --');
  const { model, scale, loss } = toyProblem();
  const opt = new torch.optim.SGD([{ params: [model.weight] }, { params: [model.bias!], lr: 0.05 }], {
    lr: 0.02,
    momentum: 0.9,
  });
  console.log('  two groups; the defaults fill what a group does not say:');
  describeGroups(opt);
  opt.addParamGroup({ params: [scale], lr: 0.01, nesterov: true, momentum: 0.9 });
  console.log('  after addParamGroup({ params: [scale], lr: 0.01, momentum: 0.9, nesterov: true }):');
  describeGroups(opt);
  const step = () => {
    const l = loss();
    opt.zeroGrad();
    l.backward();
    opt.step();
    return l;
  };
  const losses: number[] = [];
  for (let i = 0; i < 50; i++) {
    const l = step();
    losses.push(await scalar(l));
  }
  console.log(`  50 steps: loss ${fmt(losses[0]!, 5)} → ${fmt(losses[49]!, 5)}`);
  console.log('  state kept per parameter (Map from tensor to state):');
  for (const [p, s] of opt.state) {
    const entries = Object.entries(s).map(([k, v]) =>
      v instanceof torch.Tensor ? `${k}: Tensor[${v.shape.join('×')}]` : `${k}: ${String(v)}`,
    );
    console.log(`    param [${p.shape.join('×')}] → { ${entries.join(', ')} }`);
  }
  const sd = opt.stateDict();
  console.log(
    `  stateDict(): state for params ${Object.keys(sd.state).join(', ')}; paramGroups ${JSON.stringify(sd.paramGroups.map((g) => g.params))}`,
  );
  // Save: a deep copy of the state dict (tensors cloned), as torch.save + torch.load would give.
  // The copies are kept: the same optimizer steps 10 more times before they are read, and a
  // loop's boundaries release what its iterations made and left unused (core README, "Memory").
  const saved = cloneStateDict(sd);
  const modelSaved = Object.fromEntries(
    Object.entries(model.stateDict()).map(([k, v]) => [k, v.clone().keep()]),
  );
  const scaleSaved = scale.clone().keep();
  // torch.saveAsync works on every backend (webgpu reads asynchronously); torch.save is its sync twin.
  const bytes = await torch.saveAsync({ model: model.stateDict(), optimizer: sd });
  console.log(`  torch.saveAsync(model + optimizer state dicts): ${bytes.length} bytes`);
  // Continue the original for 10 steps...
  const original: number[] = [];
  for (let i = 0; i < 10; i++) {
    const l = step();
    original.push(await scalar(l));
  }
  // ...then rebuild everything from the saved copies and run the same 10 steps.
  const fresh = toyProblem();
  fresh.model.loadStateDict(modelSaved);
  torch.noGrad(() => fresh.scale.copy_(scaleSaved));
  const opt2 = new torch.optim.SGD(
    [{ params: [fresh.model.weight] }, { params: [fresh.model.bias!], lr: 0.05 }],
    { lr: 0.02, momentum: 0.9 },
  );
  opt2.addParamGroup({ params: [fresh.scale], lr: 0.01, nesterov: true, momentum: 0.9 });
  opt2.loadStateDict(saved);
  const resumed: number[] = [];
  for (let i = 0; i < 10; i++) {
    const l = fresh.loss();
    opt2.zeroGrad();
    l.backward();
    opt2.step();
    resumed.push(await scalar(l));
  }
  const same = original.every((v, i) => Object.is(v, resumed[i]));
  console.log(
    `  loadStateDict into a fresh optimizer: the next 10 losses ${same ? 'match the original run exactly' : 'DIFFER from the original run'} (${fmt(original[9]!, 8)} vs ${fmt(resumed[9]!, 8)})`,
  );
}

function cloneStateDict(sd: {
  state: Record<string, Record<string, unknown>>;
  paramGroups: Record<string, unknown>[];
}) {
  const state: Record<string, Record<string, unknown>> = {};
  for (const [k, s] of Object.entries(sd.state)) {
    state[k] = Object.fromEntries(
      Object.entries(s).map(([n, v]) => [n, v instanceof torch.Tensor ? v.clone().keep() : v]),
    );
  }
  return { state, paramGroups: sd.paramGroups.map((g) => ({ ...g })) };
}

function mlp(): InstanceType<typeof nn.Sequential> {
  return new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
}

async function train(
  name: string,
  makeOpt: (params: Iterable<Tensor>) => InstanceType<typeof torch.optim.Optimizer>,
  x: Tensor,
  y: Tensor,
  steps: number,
): Promise<number[]> {
  torch.manualSeed(0);
  const model = mlp();
  const opt = makeOpt(model.parameters());
  const lossFn = new nn.MSELoss();
  const bar = new ProgressBar(name.padEnd(5), steps);
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const l = lossFn.forward(model.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    losses.push(await scalar(l));
    if (i % 50 === 0) bar.update(i, `loss ${fmt(losses[i]!, 5)}`);
  }
  bar.done(`loss ${fmt(losses[steps - 1]!, 5)}`);
  return losses;
}

async function experiment(): Promise<{ sgd: number[]; adam: number[] }> {
  console.log('  -- part 2: 1-20-1 MLP on y = x² + 0.1·noise, SGD vs Adam, 1000 steps --');
  torch.manualSeed(42);
  const x = torch.linspace(-1, 1, 1000).unsqueeze(1);
  const y = x.pow(2).add(torch.randn([1000, 1]).mul(0.1));
  const steps = 1000;
  const sgd = await train('SGD', (p) => new torch.optim.SGD(p, { lr: 0.1 }), x, y, steps);
  const adam = await train('Adam', (p) => new torch.optim.Adam(p, { lr: 0.01 }), x, y, steps);
  console.log(
    `  final loss: SGD(lr 0.1) ${fmt(sgd[steps - 1]!, 6)}, Adam(lr 0.01) ${fmt(adam[steps - 1]!, 6)} (noise floor ≈ 0.01)`,
  );
  console.log(
    termChart(
      [
        { name: 'SGD', y: sgd },
        { name: 'Adam', y: adam },
      ],
      { logY: true, height: 10 },
    ),
  );
  await writeChart('seed002-sgd-vs-adam', {
    title: 'seed 002: 1-20-1 MLP on y = x² + 0.1·noise — training loss',
    xLabel: 'step',
    yLabel: 'MSE loss (log)',
    logY: true,
    lines: [
      { name: 'SGD lr 0.1', y: sgd },
      { name: 'Adam lr 0.01', y: adam },
    ],
  });
  return { sgd, adam };
}

export async function seed002() {
  console.log('\n== seed 002: optimizer internals, then SGD vs Adam ==');
  await internals();
  return experiment();
}

runIfMain(import.meta.url, seed002);
