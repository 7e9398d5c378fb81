/**
 * Per-op overhead (issue 15, items 1 and 2): seed 002's experiment and one tiny op, on
 * cpu-js and wasm-simd (one thread), written the PyTorch way (no tidy, no dispose).
 *
 * - `seed002`: seed 002's loop exactly (apps/examples/src/seed002.ts, `train` with Adam): a
 *   1-20-1 MLP (Linear, ReLU, Linear) on 1,000 points of y = x² + 0.1·noise, 1,000
 *   full-batch Adam(lr 0.01) steps, MSELoss, zeroGrad, backward, step, the loss read every
 *   step; seconds of the loop, a fresh model each round.
 * - `add`: `a.add(b)` on 4-element float32 tensors, the result dropped (freed by the
 *   FinalizationRegistry once the loop yields), and `a.add(b).dispose()`; µs per op.
 *
 * The rounds interleave the backends (each round measures every backend once), so both
 * columns come from the same minutes of a shared machine; each figure is the median (and
 * the best) over the rounds. It also prints seed 002's final loss per backend: a change to
 * the dispatch path must leave it bit for bit the same.
 *
 *   node dist/overheadSeed002.js [--rounds 7] [--backends cpu-js,wasm-simd] [--json]
 */
import { loadavg } from 'node:os';
import type { Backend, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { wasmSimd } from '@stepwise/wasm-simd';

const { nn } = torch;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

const ROUNDS = Number(arg('rounds', '7'));
const BACKENDS = arg('backends', 'cpu-js,wasm-simd').split(',');
const ADD_OPS = Number(arg('add-ops', '20000'));
const JSON_OUT = process.argv.includes('--json');

/** Seconds of CPU (user + system) this process used since `c0`: steadier than wall time under load. */
function cpuSeconds(c0: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(c0);
  return (d.user + d.system) / 1e6;
}

/** Lets the event loop turn (timers, FinalizationRegistry callbacks). */
const turn = () => new Promise<void>((r) => setTimeout(r, 0));

interface Column {
  name: string;
  backend: Backend;
  data: [Tensor, Tensor] | null;
  ab: [Tensor, Tensor] | null;
  seed002: number[];
  seed002Cpu: number[];
  add: number[];
  addCpu: number[];
  addDispose: number[];
  addDisposeCpu: number[];
  finalLoss: number;
}

async function seed002Round(col: Column): Promise<number> {
  torch.setBackend(col.backend);
  if (!col.data) {
    torch.manualSeed(42);
    const x = torch.linspace(-1, 1, 1000).unsqueeze(1);
    const y = x.pow(2).add(torch.randn([1000, 1]).mul(0.1));
    col.data = [x.keep(), y.keep()];
  }
  const [x, y] = col.data;
  torch.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
  const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01 });
  const lossFn = new nn.MSELoss();
  const losses: number[] = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) {
    const l = lossFn.forward(model.forward(x), y);
    opt.zeroGrad();
    l.backward();
    opt.step();
    losses.push(Number((await l.data())[0]));
  }
  const s = (performance.now() - t0) / 1000;
  col.seed002Cpu.push(cpuSeconds(c0));
  col.finalLoss = losses[999]!;
  for (const p of model.parameters()) p.dispose();
  return s;
}

async function addRound(col: Column, dispose: boolean): Promise<number> {
  torch.setBackend(col.backend);
  if (!col.ab) col.ab = [torch.tensor([1, 2, 3, 4]).keep(), torch.tensor([0.5, 0.5, 0.5, 0.5]).keep()];
  const [a, b] = col.ab;
  for (let i = 0; i < 200; i++) {
    const c = a.add(b);
    if (dispose) c.dispose();
  }
  await turn();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (dispose) for (let i = 0; i < ADD_OPS; i++) a.add(b).dispose();
  else for (let i = 0; i < ADD_OPS; i++) a.add(b);
  const us = ((performance.now() - t0) * 1000) / ADD_OPS;
  (dispose ? col.addDisposeCpu : col.addCpu).push((cpuSeconds(c0) * 1e6) / ADD_OPS);
  await turn();
  await turn();
  return us;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const best = (xs: number[]) => Math.min(...xs);

async function main(): Promise<void> {
  const cols: Column[] = [];
  for (const name of BACKENDS) {
    const backend = name === 'cpu-js' ? cpuJs() : await wasmSimd();
    cols.push({
      name,
      backend,
      data: null,
      ab: null,
      seed002: [],
      seed002Cpu: [],
      add: [],
      addCpu: [],
      addDispose: [],
      addDisposeCpu: [],
      finalLoss: NaN,
    });
  }
  const load0 = loadavg()[0]!;
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cols) c.seed002.push(await seed002Round(c));
    for (const c of cols) c.add.push(await addRound(c, false));
    for (const c of cols) c.addDispose.push(await addRound(c, true));
  }
  const load1 = loadavg()[0]!;
  const result = {
    rounds: ROUNDS,
    seconds: (performance.now() - t0) / 1000,
    load: [load0, load1],
    columns: cols.map((c) => ({
      backend: c.name,
      seed002: {
        median: median(c.seed002),
        best: best(c.seed002),
        cpu: median(c.seed002Cpu),
        first: c.seed002[0]!,
        rounds: c.seed002,
        cpuRounds: c.seed002Cpu,
      },
      add: { median: median(c.add), best: best(c.add), cpu: median(c.addCpu) },
      addDispose: { median: median(c.addDispose), best: best(c.addDispose), cpu: median(c.addDisposeCpu) },
      finalLoss: c.finalLoss,
    })),
  };
  if (JSON_OUT) {
    console.log(JSON.stringify(result));
    return;
  }
  console.log(
    `${ROUNDS} rounds, ${result.seconds.toFixed(0)} s; load average ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
  );
  console.log(
    'wall time: median / best over the rounds; cpu: median of the process CPU time (user + system)',
  );
  console.log(
    'backend     seed002 s: wall / best / cpu   add µs: wall / best / cpu   add+dispose µs: wall / best / cpu   final loss',
  );
  const f = (v: { median: number; best: number; cpu: number }, d: number) =>
    `${v.median.toFixed(d)} / ${v.best.toFixed(d)} / ${v.cpu.toFixed(d)}`;
  for (const c of result.columns) {
    console.log(
      `${c.backend.padEnd(10)}  ${f(c.seed002, 3).padEnd(26)}  ${f(c.add, 2).padEnd(26)}  ${f(c.addDispose, 2).padEnd(34)}  ${c.finalLoss}`,
    );
  }
}

await main();
