/**
 * The memory section (issue 9): does a training loop written the PyTorch way — no tidy, no
 * dispose — stay bounded? For each stepwise backend and TensorFlow.js's matching one, the
 * 784-256-256-10 MLP (batch 128, Adam, cross-entropy, random data made once) trained
 * without tidy, with live tensors, bytes (torch.memory() / tf.memory()) and process RSS at
 * step 0 and every 10% of the run, stepwise beside tfjs. And the `overhead` section: what
 * per-step memory bookkeeping costs, as small-model steps/s with and without `torch.tidy`.
 *
 * Every run is its own child process (`memoryRun.ts`): its RSS is its own, and a crash or
 * an out-of-memory ends that run only — the bench prints what happened and goes on.
 *
 * Environment: BENCH_MEMORY_FULL=1 for the step counts (10⁵ on wasm-simd, 10⁴
 * elsewhere; hours on 2 cores), BENCH_MEMORY_STEPS=n for n everywhere,
 * BENCH_MEMORY_LIMIT_MB (default 2048) the bound at which a run is stopped,
 * BENCH_MEMORY_BACKENDS=cpu,wasm,webgpu to pick pairs, BENCH_QUICK=1 for a quarter of the
 * default steps and 3 overhead rounds instead of 15.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { StepwiseName, TfjsName } from './backends.js';

const QUICK = process.env.BENCH_QUICK === '1';
const FULL = process.env.BENCH_MEMORY_FULL === '1';
const FIXED_STEPS = process.env.BENCH_MEMORY_STEPS ? Number(process.env.BENCH_MEMORY_STEPS) : null;
const LIMIT_MB = Number(process.env.BENCH_MEMORY_LIMIT_MB ?? 2048);
const PAIRS_WANTED = (process.env.BENCH_MEMORY_BACKENDS ?? 'cpu,wasm,webgpu').split(',');
/** A run that has not finished after this long is killed (none in a full run). */
const TIMEOUT_S = FULL ? 0 : Number(process.env.BENCH_MEMORY_TIMEOUT_S ?? 300);
const MB = 2 ** 20;

/**
 * Steps per run. Default: about 10-25 s each on 2 cores (the MLP step runs at ~20 steps/s
 * on cpu-js and webgpu/lavapipe, ~150 on wasm-simd, 4 on tfjs-cpu, ~15 on tfjs-wasm and
 * tfjs-webgpu). Full: the 10⁵, or 10⁴ where a backend is slow.
 */
const PAIRS: {
  key: string;
  stepwise: StepwiseName;
  tfjs: TfjsName;
  steps: [number, number];
  full: [number, number];
}[] = [
  { key: 'cpu', stepwise: 'cpu-js', tfjs: 'cpu', steps: [300, 60], full: [1e4, 1e4] },
  { key: 'wasm', stepwise: 'wasm-simd', tfjs: 'wasm', steps: [1000, 200], full: [1e5, 1e4] },
  { key: 'webgpu', stepwise: 'webgpu', tfjs: 'webgpu', steps: [300, 200], full: [1e4, 1e4] },
];

/** At a checkpoint, after awaiting the loss; peaks over the steps since the previous one. */
export interface MemoryReport {
  step: number;
  tensors: number;
  bytes: number;
  rss: number;
  peakTensors: number;
  peakBytes: number;
  peakRss: number;
  loss: number | null;
  stepsPerS: number | null;
}

export interface MemoryRun {
  impl: string;
  backend: string;
  steps: number;
  limitMB: number;
  reports: MemoryReport[];
  /** 'done', or what ended the run early (the bound, an exception, a crash, a timeout). */
  outcome: string;
  seconds: number;
}

/**
 * Steps/s over the rounds (wall clock: best and median; `cpu`: median steps per second of
 * the process's CPU time); net live tensors and bytes a step added (last round); RSS after.
 */
export interface OverheadMode {
  best: number | null;
  median: number | null;
  cpu: number | null;
  tensorsPerStep: number;
  bytesPerStep: number;
  rss: number;
}

export interface OverheadRow {
  backend: string;
  workload: string;
  stepsPerRound: number;
  rounds: number;
  tidy: OverheadMode;
  plain: OverheadMode;
  stopped: string | null;
}

export const memoryRuns: MemoryRun[] = [];
export const overheadRows: OverheadRow[] = [];
/** Overhead runs that could not run at all (backend failed to start, crash). */
export const overheadSkips: { backend: string; reason: string }[] = [];

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  lastTick: number;
  error: string | null;
  /** The last lines the child printed that were not events (shown when it failed). */
  tail: string[];
}

/** Runs `memoryRun.js args`, handing each `@bench` event to `onEvent`. */
function runChild(args: string[], onEvent: (e: any) => void): Promise<ChildResult> {
  const script = fileURLToPath(new URL('./memoryRun.js', import.meta.url));
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const res: ChildResult = { code: null, signal: null, timedOut: false, lastTick: 0, error: null, tail: [] };
  const keep = (line: string) => {
    if (!line.trim()) return;
    res.tail.push(line);
    if (res.tail.length > 8) res.tail.shift();
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.startsWith('@bench ')) return keep(line);
    const e = JSON.parse(line.slice(7));
    if (e.type === 'tick' || e.type === 'report') res.lastTick = Math.max(res.lastTick, e.step);
    if (e.type === 'error') res.error = e.message;
    onEvent(e);
  });
  createInterface({ input: child.stderr }).on('line', keep);
  const timer =
    TIMEOUT_S > 0
      ? setTimeout(() => {
          res.timedOut = true;
          child.kill('SIGKILL');
        }, TIMEOUT_S * 1000)
      : null;
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      res.code = code;
      res.signal = signal;
      resolve(res);
    });
  });
}

/** Why a child ended without finishing, in words; null when it finished. */
function failure(r: ChildResult): string | null {
  if (r.timedOut) return `killed after ${TIMEOUT_S} s (still running at step ${r.lastTick})`;
  if (r.signal) return `crashed (${r.signal}) after step ${r.lastTick}`;
  if (r.error) return `failed: ${r.error}`;
  if (r.code !== 0) return `exited with code ${r.code} after step ${r.lastTick}`;
  return null;
}

const mb = (b: number) => (b / MB).toFixed(0);

async function loopRun(impl: 'stepwise' | 'tfjs', backend: string, steps: number): Promise<MemoryRun> {
  const label = impl === 'stepwise' ? 'stepwise' : 'tfjs 4.22';
  const name = impl === 'stepwise' ? backend : `tfjs-${backend}`;
  const run: MemoryRun = {
    impl: label,
    backend: name,
    steps,
    limitMB: LIMIT_MB,
    reports: [],
    outcome: 'done',
    seconds: 0,
  };
  const t0 = performance.now();
  const r = await runChild(['loop', impl, backend, String(steps), String(LIMIT_MB)], (e) => {
    if (e.type === 'report') {
      run.reports.push(e);
      const pct = Math.round((100 * e.step) / steps);
      console.log(
        `  memory ${label} ${name}: ${String(pct).padStart(3)}% step ${e.step}, ${e.tensors} tensors (peak ${e.peakTensors}), ${mb(e.bytes)} MB (peak ${mb(e.peakBytes)}), RSS ${mb(e.rss)} MB`,
      );
    }
    if (e.type === 'stopped') run.outcome = `stopped at step ${e.step}: ${e.reason}`;
  });
  run.seconds = (performance.now() - t0) / 1000;
  const why = failure(r);
  if (why) run.outcome = why;
  console.log(`  memory ${label} ${name}: ${run.outcome} (${run.seconds.toFixed(1)} s)`);
  if (why) for (const line of r.tail) console.log(`    | ${line}`);
  return run;
}

/** The PyTorch-style loops, stepwise then tfjs for each backend pair; prints as it goes. */
export async function memorySection(): Promise<void> {
  console.log(
    `memory: 784-256-256-10 MLP, batch 128, Adam, no tidy/dispose; runs stop at ${LIMIT_MB} MB (RSS or counted bytes)${FULL ? ' — full step counts' : ''}`,
  );
  for (const p of PAIRS) {
    if (!PAIRS_WANTED.includes(p.key)) continue;
    const [ns, nt] = FIXED_STEPS
      ? [FIXED_STEPS, FIXED_STEPS]
      : FULL
        ? p.full
        : QUICK
          ? p.steps.map((s) => Math.max(10, Math.round(s / 4)))
          : p.steps;
    memoryRuns.push(await loopRun('stepwise', p.stepwise, ns!));
    memoryRuns.push(await loopRun('tfjs', p.tfjs, nt!));
  }
}

/** Small-model steps/s with and without torch.tidy, per stepwise backend. */
export async function overheadSection(): Promise<void> {
  const rounds = QUICK ? 3 : 15;
  for (const b of ['cpu-js', 'wasm-simd', 'webgpu'] as const) {
    const t0 = performance.now();
    const r = await runChild(['overhead', b, String(rounds), String(LIMIT_MB)], (e) => {
      if (e.type === 'overhead') overheadRows.push(e);
    });
    const why = failure(r);
    if (why) {
      overheadSkips.push({ backend: b, reason: why });
      console.log(`  overhead ${b}: ${why}`);
      for (const line of r.tail) console.log(`    | ${line}`);
    } else console.log(`  overhead ${b}: done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}

function table(header: string[], rows: string[][], leftCols: number): void {
  const lines = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j < leftCols ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

/** Side by side per backend pair: each run's report nearest each 10% of its own length. */
export function printMemoryTables(): void {
  const columns = ['step', 'tensors', 'peak', 'MB', 'peak MB', 'RSS MB'];
  const blank = (first = '') => [first, ...columns.slice(1).map(() => '')];
  const fields = (r: MemoryReport) => [
    String(r.step),
    String(r.tensors),
    String(r.peakTensors),
    mb(r.bytes),
    mb(r.peakBytes),
    mb(r.rss),
  ];
  const cell = (run: MemoryRun | undefined, pct: number): string[] => {
    if (!run) return blank();
    const target = Math.round((run.steps * pct) / 100);
    const r = run.reports.find((x) => x.step === target || (pct > 0 && x.step >= target));
    return r ? fields(r) : blank('—');
  };
  for (const p of PAIRS) {
    const s = memoryRuns.find((r) => r.impl === 'stepwise' && r.backend === p.stepwise);
    const t = memoryRuns.find((r) => r.impl !== 'stepwise' && r.backend === `tfjs-${p.tfjs}`);
    if (!s && !t) continue;
    console.log(`\nmemory, no tidy: stepwise ${p.stepwise} | tfjs 4.22 tfjs-${p.tfjs}`);
    const rows: string[][] = [];
    for (let pct = 0; pct <= 100; pct += 10) rows.push([`${pct}%`, ...cell(s, pct), '|', ...cell(t, pct)]);
    // A run that ended early: its last report, on a row of its own.
    const early = (run: MemoryRun | undefined) => run && run.outcome !== 'done' && run.reports.length > 0;
    if (early(s) || early(t)) {
      const last = (run: MemoryRun | undefined) => (early(run) ? fields(run!.reports.at(-1)!) : blank());
      rows.push(['end', ...last(s), '|', ...last(t)]);
    }
    table(['run', ...columns, '|', ...columns], rows, 1);
    for (const run of [s, t])
      if (run) console.log(`${run.impl} ${run.backend}: ${run.steps} steps, ${run.outcome}`);
  }
}

export function printOverheadTable(): void {
  if (!overheadRows.length && !overheadSkips.length) return;
  console.log(
    '\nper-step cost of memory bookkeeping, small models: steps/s (wall clock, best round and median),' +
      '\nsteps per CPU-second (median; the figure to compare on a shared machine), live tensors a step adds',
  );
  const f = (x: number | null) => (x == null ? '—' : x.toFixed(0));
  table(
    [
      'workload',
      'backend',
      'tidy',
      'no tidy',
      'tidy CPU',
      'no tidy CPU',
      'no/tidy CPU',
      'tensors/step tidy',
      'no tidy',
    ],
    overheadRows.map((r) => [
      r.workload,
      r.backend,
      `${f(r.tidy.best)} (${f(r.tidy.median)})`,
      `${f(r.plain.best)} (${f(r.plain.median)})`,
      f(r.tidy.cpu),
      f(r.plain.cpu),
      r.tidy.cpu && r.plain.cpu ? (r.plain.cpu / r.tidy.cpu).toFixed(2) : '—',
      r.tidy.tensorsPerStep.toFixed(1),
      r.plain.tensorsPerStep.toFixed(1),
    ]),
    2,
  );
  for (const r of overheadRows) if (r.stopped) console.log(`${r.workload} on ${r.backend}: ${r.stopped}`);
  for (const s of overheadSkips) console.log(`overhead on ${s.backend}: ${s.reason}`);
}
