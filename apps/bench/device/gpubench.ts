/**
 * GPU bench of stepwise's webgpu backend beside tfjs-webgpu 4.22, on Dawn (the `webgpu`
 * package) in Node. Not part of the bench's build (tsconfig includes src and test only):
 * build.mjs bundles it into .devbench/gpubench.mjs for the device machine (see prepare.sh,
 * run.sh and the README's "On a real GPU"). Env: GPUBENCH_QUICK=1 (tiny sizes, for lavapipe),
 * GPUBENCH_OUT (folder for gpubench.json), GPUBENCH_DEADLINE_S (skip workloads once this
 * many seconds have passed).
 */
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import * as torch from '@stepwise/core';
import { installWebGPUGlobals } from '../src/backends.ts';
import { type TrainingRow, trainingSkips, trainingStepwise, trainingTfjs } from '../src/training.ts';

const QUICK = process.env.GPUBENCH_QUICK === '1';
const OUT = process.env.GPUBENCH_OUT ?? process.env.OUT ?? '.';
const DEADLINE_S = Number(process.env.GPUBENCH_DEADLINE_S ?? 240);
const WORKLOAD_TIMEOUT_S = Number(process.env.GPUBENCH_WORKLOAD_TIMEOUT_S ?? 90);
const T0 = performance.now();
const elapsed = () => (performance.now() - T0) / 1000;

const envList = (v: string | undefined) => (v ? v.split(',').map(Number) : undefined);
const ADAM_SIZES = envList(process.env.GPUBENCH_ADAM_SIZES) ?? (QUICK ? [1e4, 1e5] : [1e6, 1e7]);
const MATMUL_SIZES = envList(process.env.GPUBENCH_MATMUL_SIZES) ?? (QUICK ? [64, 128] : [1024, 4096]);
const adamReps = (n: number) => (QUICK ? 3 : n <= 1e6 ? 200 : 50);
const matmulReps = (n: number) => (QUICK ? 2 : n <= 1024 ? 50 : 10);
const trainReps = (slow: boolean) => (QUICK ? 2 : slow ? 50 : 100);
const ROUNDS = QUICK ? 1 : 3;

interface Row {
  impl: string;
  backend: string;
  workload: string;
  reps: number;
  /** ms per iteration of each round (rate uses the best). */
  msRounds: number[];
  msPerIter: number;
  rate: number;
  unit: string;
}
const rows: Row[] = [];
const failures: { impl: string; workload: string; reason: string }[] = [];
declare const __GPUBENCH_SOURCE__: string;
const info: Record<string, unknown> = {
  source: __GPUBENCH_SOURCE__,
  node: process.version,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? null,
  quick: QUICK,
};

function save(): void {
  const doc = { info, rows, failures, trainingSkips, elapsedS: elapsed() };
  try {
    writeFileSync(`${OUT}/gpubench.json`, `${JSON.stringify(doc, null, 2)}\n`);
  } catch (e) {
    console.log(`cannot write ${OUT}/gpubench.json: ${String(e)}`);
  }
}

function withTimeout<T>(p: Promise<T>, s: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`${what}: timed out after ${s} s`)), s * 1000);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function attempt(impl: string, workload: string, fn: () => Promise<void>): Promise<void> {
  if (elapsed() > DEADLINE_S) {
    failures.push({ impl, workload, reason: `skipped: past the ${DEADLINE_S} s deadline` });
    console.log(`  ${impl} ${workload}: skipped (deadline)`);
    return;
  }
  const t = performance.now();
  try {
    await withTimeout(fn(), WORKLOAD_TIMEOUT_S, workload);
    console.log(`  ${impl} ${workload}: done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  } catch (e) {
    const reason = (e as Error)?.message?.split('\n')[0] ?? String(e);
    failures.push({ impl, workload, reason });
    console.log(`  ${impl} ${workload}: FAILED (${reason})`);
  }
  save();
}

/** Rounds of `reps` iterations after `warm` warm-ups; `finish` waits for the GPU (a read). */
async function timeRounds(
  iter: () => void,
  finish: () => Promise<void>,
  reps: number,
  warm = 3,
): Promise<number[]> {
  for (let i = 0; i < warm; i++) iter();
  await finish();
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) iter();
    await finish();
    out.push((performance.now() - t0) / reps);
  }
  return out;
}

function push(
  impl: string,
  backend: string,
  workload: string,
  reps: number,
  msRounds: number[],
  work: number,
  unit: string,
) {
  const ms = Math.min(...msRounds);
  rows.push({ impl, backend, workload, reps, msRounds, msPerIter: ms, rate: work / (ms / 1000), unit });
}

// ---------------------------------------------------------------- stepwise

async function stepwiseAll(): Promise<void> {
  let be: any;
  await attempt('stepwise', 'init', async () => {
    await installWebGPUGlobals();
    const { webgpu } = await import('@stepwise/webgpu');
    be = await webgpu();
    torch.registerBackend(be);
    torch.setBackend(be);
    const ai = be.device?.adapterInfo;
    info.stepwiseAdapter = ai
      ? { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description }
      : null;
    console.log(`stepwise webgpu adapter: ${JSON.stringify(info.stepwiseAdapter)}`);
  });
  if (!be) return;
  const readOne = async (t: any) => {
    await be.sync();
    await t.narrow(0, 0, 1).data();
  };

  for (const n of ADAM_SIZES) {
    await attempt('stepwise', `Adam ${n.toExponential(0)}`, async () => {
      const p = torch.full([n], 0.5, { requiresGrad: true });
      p.grad = torch.full([n], 0.01);
      const opt = new torch.optim.Adam([p], { lr: 1e-3 });
      const r = adamReps(n);
      const ms = await timeRounds(
        () => opt.step(),
        () => readOne(p),
        r,
      );
      push('stepwise', 'webgpu', `Adam ${n.toExponential(0)}`, r, ms, n / 1e6, 'Mparam/s');
      for (const st of opt.state.values())
        for (const v of Object.values(st as object)) if (v instanceof torch.Tensor) v.dispose();
      p.grad.dispose();
      p.dispose();
    });
  }

  for (const n of MATMUL_SIZES) {
    await attempt('stepwise', `matmul ${n}^3`, async () => {
      const a = torch.randn([n, n]);
      const b = torch.randn([n, n]);
      let prod = a.matmul(b);
      const r = matmulReps(n);
      const ms = await timeRounds(
        () => {
          prod.dispose();
          prod = a.matmul(b);
        },
        () => readOne(prod),
        r,
        2,
      );
      push('stepwise', 'webgpu', `matmul ${n}^3`, r, ms, (2 * n ** 3) / 1e9, 'GFLOP/s');
      prod.dispose();
      a.dispose();
      b.dispose();
    });
  }

  await attempt('stepwise', 'training (matmul 128x784x256, MLP, CNN)', async () => {
    const tr: TrainingRow[] = await trainingStepwise(be, trainReps);
    for (const t of tr)
      rows.push({
        impl: 'stepwise',
        backend: 'webgpu',
        workload: t.workload,
        reps: t.reps,
        msRounds: [t.msPerIter],
        msPerIter: t.msPerIter,
        rate: t.rate,
        unit: t.unit,
      });
  });
}

// ---------------------------------------------------------------- tfjs

async function tfjsAll(): Promise<void> {
  let tf: any;
  await attempt('tfjs 4.22', 'init', async () => {
    await installWebGPUGlobals();
    tf = await import('@tensorflow/tfjs');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tf.setBackend("webgpu") failed');
    await tf.ready();
    const ai = tf.backend()?.device?.adapterInfo ?? tf.backend()?.adapterInfo;
    info.tfjsAdapter = ai
      ? { vendor: ai.vendor, architecture: ai.architecture, device: ai.device, description: ai.description }
      : null;
    console.log(`tfjs webgpu adapter: ${JSON.stringify(info.tfjsAdapter)}`);
  });
  if (!tf) return;

  for (const n of ADAM_SIZES) {
    await attempt('tfjs 4.22', `Adam ${n.toExponential(0)}`, async () => {
      const v = tf.variable(tf.fill([n], 0.5));
      const g = tf.fill([n], 0.01);
      const opt = tf.train.adam(1e-3);
      const r = adamReps(n);
      const ms = await timeRounds(
        () => opt.applyGradients([{ name: v.name, tensor: g }]),
        async () => {
          const s = v.slice([0], [1]);
          await s.data();
          s.dispose();
        },
        r,
      );
      push('tfjs 4.22', 'tfjs-webgpu', `Adam ${n.toExponential(0)}`, r, ms, n / 1e6, 'Mparam/s');
      opt.dispose();
      g.dispose();
      v.dispose();
    });
  }

  for (const n of MATMUL_SIZES) {
    await attempt('tfjs 4.22', `matmul ${n}^3`, async () => {
      const a = tf.randomNormal([n, n]);
      const b = tf.randomNormal([n, n]);
      let prod = tf.matMul(a, b);
      const r = matmulReps(n);
      const ms = await timeRounds(
        () => {
          prod.dispose();
          prod = tf.matMul(a, b);
        },
        async () => {
          const s = prod.slice([0, 0], [1, 1]);
          await s.data();
          s.dispose();
        },
        r,
        2,
      );
      push('tfjs 4.22', 'tfjs-webgpu', `matmul ${n}^3`, r, ms, (2 * n ** 3) / 1e9, 'GFLOP/s');
      prod.dispose();
      a.dispose();
      b.dispose();
    });
  }

  await attempt('tfjs 4.22', 'training (matmul 128x784x256, MLP, CNN)', async () => {
    const tr: TrainingRow[] = await trainingTfjs(tf, 'webgpu', trainReps);
    for (const t of tr)
      rows.push({
        impl: 'tfjs 4.22',
        backend: 'tfjs-webgpu',
        workload: t.workload,
        reps: t.reps,
        msRounds: [t.msPerIter],
        msPerIter: t.msPerIter,
        rate: t.rate,
        unit: t.unit,
      });
  });
}

// ---------------------------------------------------------------- main

function printTable(): void {
  const header = ['workload', 'implementation', 'backend', 'reps', 'ms/iter', 'rate'];
  const lines = [
    header,
    ...rows.map((r) => [
      r.workload,
      r.impl,
      r.backend,
      String(r.reps),
      r.msPerIter.toFixed(4),
      `${r.rate >= 100 ? r.rate.toFixed(0) : r.rate.toFixed(2)} ${r.unit}`,
    ]),
  ];
  const widths = header.map((_, i) => Math.max(...lines.map((l) => l[i]!.length)));
  for (const [i, l] of lines.entries()) {
    console.log(l.map((c, j) => (j >= 3 ? c.padStart(widths[j]!) : c.padEnd(widths[j]!))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
  for (const f of failures) console.log(`failed: ${f.impl} ${f.workload}: ${f.reason}`);
  for (const s of trainingSkips)
    console.log(`cannot run ${s.workload} on ${s.impl} ${s.backend}: ${s.reason}`);
}

async function main(): Promise<void> {
  console.log(
    `gpubench — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), stepwise sources ${__GPUBENCH_SOURCE__}${QUICK ? ' (quick)' : ''}`,
  );
  await attempt('dawn', 'adapter', async () => {
    await installWebGPUGlobals();
    const gpu = (globalThis as any).navigator.gpu;
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('requestAdapter returned null');
    const ai = adapter.info;
    info.adapter = {
      vendor: ai.vendor,
      architecture: ai.architecture,
      device: ai.device,
      description: ai.description,
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    };
    console.log(
      `adapter: vendor=${ai.vendor} architecture=${ai.architecture} device=${ai.device} description=${ai.description} ` +
        `(maxStorageBufferBindingSize ${adapter.limits.maxStorageBufferBindingSize}, maxBufferSize ${adapter.limits.maxBufferSize})`,
    );
  });
  if (process.env.GPUBENCH_SKIP_STEPWISE !== '1') await stepwiseAll();
  if (process.env.GPUBENCH_SKIP_TFJS !== '1') await tfjsAll();
  console.log('');
  printTable();
  console.log(`total ${elapsed().toFixed(1)} s`);
  save();
  process.exit(0);
}

main().catch((e) => {
  console.error(e);
  save();
  process.exit(1);
});
