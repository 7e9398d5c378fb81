/**
 * `pnpm bench`: optimizer step throughput of stepwise against the bandwidth limit (a plain
 * typed-array copy of the same bytes) and against TensorFlow.js 4.22's matching optimizers
 * on its matching backends, all in one run. Prints a table and writes
 * `results/optim-<timestamp>.json` (and `results/latest.json`).
 *
 * Figures: Mparam/s (parameters updated per second) and GB/s (bytes the update must move
 * per parameter — read param, grad and state, write param and state — times Mparam/s).
 * Then the training figures of `training.ts` (matmul, an MLP step, a CNN step) for the same
 * backends, and the memory sections of `memory.ts` (a PyTorch-style loop without tidy,
 * stepwise beside tfjs; small-model steps/s with and without tidy), and the `pytorch`
 * section of `pytorch.ts` (seed 002's MLP, seed 004's CNN, the "nn really" CNN, the MLP step
 * and a tiny op beside PyTorch run as a child process). Environment:
 * BENCH_SIZES=1e5,1e6 to pick sizes, BENCH_QUICK=1 for fewer repetitions,
 * BENCH_SECTIONS=optim,training,pytorch,memory,overhead (default all) or `--only pytorch`
 * to pick parts.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Backend } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { loadStepwise, loadTfjs } from './backends.js';
import {
  memoryRuns,
  memorySection,
  overheadRows,
  overheadSection,
  overheadSkips,
  printMemoryTables,
  printOverheadTable,
} from './memory.js';
import { printPytorchTable, pytorchInfo, pytorchRows, pytorchSection } from './pytorch.js';
import {
  printTrainingTable,
  type TrainingRow,
  trainingSkips,
  trainingStepwise,
  trainingTfjs,
} from './training.js';

type OptName = 'sgd-momentum' | 'adam' | 'rmsprop';
const OPTS: OptName[] = ['sgd-momentum', 'adam', 'rmsprop'];
/** float32 bytes moved per parameter per step: reads + writes of param, grad and state. */
const BYTES_PER_PARAM: Record<OptName, number> = {
  'sgd-momentum': 4 * (3 + 2), // read p, g, buf; write p, buf
  adam: 4 * (4 + 3), // read p, g, m, v; write p, m, v
  rmsprop: 4 * (3 + 2), // read p, g, sq; write p, sq
};
const SIZES = (process.env.BENCH_SIZES ?? '1e5,1e6,1e7').split(',').map(Number);
const QUICK = process.env.BENCH_QUICK === '1';
/** BENCH_SECTIONS=optim,training,pytorch,memory,overhead (default all); `--only a,b` says the same. */
const onlyArg = process.argv.indexOf('--only');
const SECTIONS = (
  (onlyArg >= 0 ? process.argv[onlyArg + 1] : undefined) ??
  process.env.BENCH_SECTIONS ??
  'optim,training,pytorch,memory,overhead'
).split(',');
/** The optimizer and training sections run in this process, backend by backend. */
const IN_PROCESS = SECTIONS.includes('optim') || SECTIONS.includes('training');
const trainingRows: TrainingRow[] = [];
/** Repetitions of a training workload (slow: a whole training step). */
const trainReps = (slow: boolean) => (QUICK ? 2 : slow ? 6 : 20);

/** The optimizer rows and, unless excluded, the training rows of one stepwise backend. */
async function benchBackend(backend: Backend): Promise<void> {
  if (SECTIONS.includes('optim')) await benchStepwise(backend);
  if (SECTIONS.includes('training')) trainingRows.push(...(await trainingStepwise(backend, trainReps)));
}

async function benchTfjsBackend(tf: any, name: string): Promise<void> {
  if (SECTIONS.includes('optim')) await benchTfjs(tf, name);
  if (SECTIONS.includes('training')) trainingRows.push(...(await trainingTfjs(tf, name, trainReps)));
}

/** Timed repetitions per size (fewer at 1e7 so the whole run takes minutes on 2 cores). */
function reps(n: number, slow = false): number {
  const base = n <= 1e5 ? 50 : n <= 1e6 ? 10 : 4;
  const r = slow ? Math.max(1, Math.ceil(base / 4)) : base;
  return QUICK ? Math.max(1, Math.ceil(r / 4)) : r;
}

interface Row {
  impl: string;
  backend: string;
  optimizer: OptName | 'copy';
  size: number;
  reps: number;
  msPerStep: number;
  mparamPerS: number;
  gbPerS: number;
}

const rows: Row[] = [];
const skipped: { impl: string; backend: string; reason: string }[] = [];

function record(
  impl: string,
  backend: string,
  optimizer: OptName | 'copy',
  size: number,
  r: number,
  ms: number,
  bpp: number,
) {
  const perStep = ms / r;
  const mparam = size / (perStep / 1000) / 1e6;
  rows.push({
    impl,
    backend,
    optimizer,
    size,
    reps: r,
    msPerStep: perStep,
    mparamPerS: mparam,
    gbPerS: (mparam * 1e6 * bpp) / 1e9,
  });
}

/** A plain JS loop copy (the other way to copy a typed array; V8 may run it faster than set()). */
function loopCopy(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] = src[i]!;
}

/** GB/s of one way of copying `n` floats (8 bytes moved per float: a read and a write), best of 3 rounds. */
function copyBandwidth(n: number, r: number, copy: (d: Float32Array, s: Float32Array) => void): number {
  const src = new Float32Array(n).fill(1);
  const dst = new Float32Array(n);
  for (let i = 0; i < 3; i++) copy(dst, src);
  let best = 0;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < r; i++) copy(dst, src);
    const ms = performance.now() - t0;
    best = Math.max(best, (n * 8 * r) / (ms / 1000) / 1e9);
  }
  return best;
}

/**
 * The bandwidth limit: copying the bytes one optimizer step moves, with `TypedArray.set`
 * and with a plain loop (the faster of the two, best of 3 rounds). Mparam/s is the bound
 * for an update moving BYTES_PER_PARAM bytes per parameter at that bandwidth.
 */
function benchCopy(): void {
  for (const n of SIZES) {
    const r = Math.max(2, reps(n));
    const gbs = Math.max(
      copyBandwidth(n, r, (d, s) => d.set(s)),
      copyBandwidth(n, r, loopCopy),
    );
    for (const o of OPTS) {
      const mparam = (gbs * 1e9) / BYTES_PER_PARAM[o] / 1e6;
      rows.push({
        impl: 'typed-array copy',
        backend: 'js',
        optimizer: o,
        size: n,
        reps: r,
        msPerStep: (n / (mparam * 1e6)) * 1000,
        mparamPerS: mparam,
        gbPerS: gbs,
      });
    }
  }
}

async function benchStepwise(backend: Backend): Promise<void> {
  torch.registerBackend(backend);
  torch.setBackend(backend);
  for (const n of SIZES) {
    for (const o of OPTS) {
      const p = torch.full([n], 0.5, { requiresGrad: true });
      p.grad = torch.full([n], 0.01);
      const opt =
        o === 'sgd-momentum'
          ? new torch.optim.SGD([p], { lr: 0.01, momentum: 0.9 })
          : o === 'adam'
            ? new torch.optim.Adam([p], { lr: 1e-3 })
            : new torch.optim.RMSprop([p], { lr: 0.01 });
      for (let i = 0; i < 3; i++) opt.step();
      await backend.sync();
      const r = reps(n);
      const t0 = performance.now();
      for (let i = 0; i < r; i++) opt.step();
      await backend.sync();
      record('stepwise', backend.name, o, n, r, performance.now() - t0, BYTES_PER_PARAM[o]);
      for (const st of opt.state.values())
        for (const v of Object.values(st)) if (v instanceof torch.Tensor) v.dispose();
      p.grad.dispose();
      p.dispose();
    }
  }
}

async function benchTfjs(tf: any, backendName: string): Promise<void> {
  for (const n of SIZES) {
    for (const o of OPTS) {
      const v = tf.variable(tf.fill([n], 0.5));
      const g = tf.fill([n], 0.01);
      const opt =
        o === 'sgd-momentum'
          ? tf.train.momentum(0.01, 0.9)
          : o === 'adam'
            ? tf.train.adam(1e-3)
            : tf.train.rmsprop(0.01);
      const step = () => opt.applyGradients([{ name: v.name, tensor: g }]);
      for (let i = 0; i < 2; i++) step();
      await v.slice([0], [1]).data();
      const r = reps(n, backendName === 'cpu');
      const t0 = performance.now();
      for (let i = 0; i < r; i++) step();
      await v.slice([0], [1]).data();
      record('tfjs 4.22', `tfjs-${backendName}`, o, n, r, performance.now() - t0, BYTES_PER_PARAM[o]);
      opt.dispose();
      g.dispose();
      v.dispose();
    }
  }
}

async function attempt(what: string, backend: string, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  try {
    await fn();
    console.log(`  ${what} ${backend}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  } catch (e) {
    const reason = (e as Error)?.message?.split('\n')[0] ?? String(e);
    skipped.push({ impl: what, backend, reason });
    console.log(`  ${what} ${backend}: skipped (${reason})`);
  }
}

function fmt(x: number, d = 1): string {
  return x >= 100 ? x.toFixed(0) : x.toFixed(d);
}

function printTable(): void {
  const header = ['optimizer', 'size', 'implementation', 'backend', 'ms/step', 'Mparam/s', 'GB/s'];
  const lines = [header];
  const sorted = [...rows].sort(
    (a, b) =>
      OPTS.indexOf(a.optimizer as OptName) - OPTS.indexOf(b.optimizer as OptName) ||
      a.size - b.size ||
      a.impl.localeCompare(b.impl) ||
      a.backend.localeCompare(b.backend),
  );
  for (const r of sorted) {
    lines.push([
      r.optimizer,
      r.size.toExponential(0),
      r.impl,
      r.backend,
      r.msPerStep.toFixed(3),
      fmt(r.mparamPerS),
      fmt(r.gbPerS, 2),
    ]);
  }
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j >= 4 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const s of skipped) console.log(`skipped ${s.impl} on ${s.backend}: ${s.reason}`);
}

async function main(): Promise<void> {
  const started = new Date();
  console.log(
    `stepwise optimizer benchmark — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'})`,
  );
  console.log(
    `sections ${SECTIONS.join(', ')}${QUICK ? ' (quick)' : ''}; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} (others' work on the machine skews timings)`,
  );
  if (IN_PROCESS) {
    console.log(`sizes ${SIZES.map((s) => s.toExponential(0)).join(', ')} float32 parameters`);
    benchCopy();
    console.log('  typed-array copy: done');
    for (const name of ['cpu-js', 'wasm-simd', 'webgpu'] as const)
      await attempt('stepwise', name, async () => benchBackend(await loadStepwise(name)));
    for (const name of ['cpu', 'wasm', 'webgpu'] as const)
      await attempt('tfjs 4.22', `tfjs-${name}`, async () => benchTfjsBackend(await loadTfjs(name), name));
  }
  if (SECTIONS.includes('pytorch')) await pytorchSection();
  if (SECTIONS.includes('overhead')) await overheadSection();
  if (SECTIONS.includes('memory')) await memorySection();

  if (IN_PROCESS) {
    console.log('');
    printTable();
  }
  if (trainingRows.length) {
    console.log('');
    printTrainingTable(trainingRows);
  }
  printPytorchTable();
  printOverheadTable();
  printMemoryTables();
  const outDir = new URL('../results/', import.meta.url);
  mkdirSync(outDir, { recursive: true });
  const doc = {
    started: started.toISOString(),
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    loadAverage: loadavg(),
    sizes: SIZES,
    bytesPerParam: BYTES_PER_PARAM,
    rows,
    training: trainingRows,
    trainingSkips,
    skipped,
    sections: SECTIONS,
    pytorch: pytorchInfo,
    pytorchRows,
    overhead: overheadRows,
    overheadSkips,
    memory: memoryRuns,
  };
  const stamp = started.toISOString().replace(/[:.]/g, '-');
  writeFileSync(new URL(`optim-${stamp}.json`, outDir), `${JSON.stringify(doc, null, 2)}\n`);
  writeFileSync(new URL('latest.json', outDir), `${JSON.stringify(doc, null, 2)}\n`);
  console.log(`\nsaved results/optim-${stamp}.json`);
  // tfjs-wasm and Dawn may keep handles open.
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
