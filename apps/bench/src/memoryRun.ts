/**
 * The memory section's child process (one per run, so that each run's RSS is its own and a
 * crash or an out-of-memory ends only that run). `memory.ts` starts it; it prints one
 * `@bench {json}` line per event on stdout.
 *
 *   node dist/memoryRun.js loop stepwise <cpu-js|wasm-simd|webgpu> <steps> <limitMB>
 *   node dist/memoryRun.js loop tfjs <cpu|wasm|webgpu> <steps> <limitMB>
 *   node dist/memoryRun.js overhead <cpu-js|wasm-simd|webgpu> <rounds> <limitMB>
 *
 * `loop`: the 784-256-256-10 MLP (batch 128, ReLU, cross-entropy, Adam, random data made
 * once) trained the PyTorch way — no tidy, no dispose — reporting live tensors, bytes and
 * RSS at step 0 and every 10% of the run; stopped early (and said so) when RSS or the
 * library's own byte count passes `limitMB`.
 * `overhead`: small-model steps/s with `torch.tidy` around the step and without.
 */
import * as torch from '@stepwise/core';
import { loadStepwise, loadTfjs, type StepwiseName, type TfjsName } from './backends.js';

/** One event for the parent. stdout is a pipe, written synchronously on Linux: a line
 * printed before a crash still arrives. */
function emit(event: Record<string, unknown>): void {
  process.stdout.write(`@bench ${JSON.stringify(event)}\n`);
}

const MB = 2 ** 20;
const rss = () => process.memoryUsage.rss();
/** Lets the event loop turn (timers, FinalizationRegistry callbacks), as a real app would. */
const turn = () => new Promise<void>((r) => setTimeout(r, 0));

/** Step 0 and the step that ends each tenth of the run. */
function checkpoints(steps: number): Set<number> {
  const s = new Set<number>([0]);
  for (let k = 1; k <= 10; k++) s.add(Math.max(1, Math.round((steps * k) / 10)));
  return s;
}

interface Probe {
  tensors: number;
  bytes: number;
}

/**
 * The shared loop: `step()` runs one training step and returns the loss; `read` awaits its
 * value (the only await, at checkpoints); `probe` is torch.memory() or tf.memory(), taken
 * after every step. A report gives the figures after the await (the event loop has turned)
 * and the peaks over the steps since the previous report (before it turned).
 */
async function runLoop(
  steps: number,
  limitMB: number,
  step: () => unknown,
  read: (loss: unknown) => Promise<number>,
  probe: () => Probe,
): Promise<void> {
  const marks = checkpoints(steps);
  const tick = Math.max(1, Math.floor(steps / 100));
  const limit = limitMB * MB;
  let t = performance.now();
  let last = 0;
  const peak = { tensors: 0, bytes: 0, rss: 0 };
  const report = (s: number, loss: number | null) => {
    const now = performance.now();
    const m = probe();
    const r = rss();
    emit({
      type: 'report',
      step: s,
      tensors: m.tensors,
      bytes: m.bytes,
      rss: r,
      peakTensors: Math.max(peak.tensors, m.tensors),
      peakBytes: Math.max(peak.bytes, m.bytes),
      peakRss: Math.max(peak.rss, r),
      loss,
      stepsPerS: s > last ? ((s - last) * 1000) / (now - t) : null,
    });
    last = s;
    peak.tensors = peak.bytes = peak.rss = 0;
    t = performance.now();
  };
  report(0, null);
  for (let s = 1; s <= steps; s++) {
    let loss: unknown;
    try {
      loss = step();
    } catch (e) {
      emit({ type: 'stopped', step: s, reason: `threw ${(e as Error)?.message?.split('\n')[0] ?? e}` });
      report(s - 1, null);
      return;
    }
    if (s % tick === 0) emit({ type: 'tick', step: s });
    const m = probe();
    const r = rss();
    peak.tensors = Math.max(peak.tensors, m.tensors);
    peak.bytes = Math.max(peak.bytes, m.bytes);
    peak.rss = Math.max(peak.rss, r);
    if (r > limit || m.bytes > limit) {
      const what =
        r > limit
          ? `RSS ${(r / MB).toFixed(0)} MB`
          : `${(m.bytes / MB).toFixed(0)} MB in ${m.tensors} live tensors`;
      emit({ type: 'stopped', step: s, reason: `${what} > the ${limitMB} MB bound` });
      report(s, await read(loss));
      return;
    }
    if (marks.has(s)) report(s, await read(loss));
  }
  emit({ type: 'done', step: steps });
}

async function stepwiseLoop(name: StepwiseName, steps: number, limitMB: number): Promise<void> {
  const backend = await loadStepwise(name);
  torch.registerBackend(backend);
  torch.setBackend(backend);
  torch.manualSeed(0);
  const { nn } = torch;
  const model = new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 256),
    new nn.ReLU(),
    new nn.Linear(256, 10),
  );
  const x = torch.randn([128, 784]);
  const labels = torch.randint(0, 10, [128]);
  const lossFn = new nn.CrossEntropyLoss();
  const optimizer = new torch.optim.Adam(model.parameters(), { lr: 1e-3 });
  emit({ type: 'start', impl: 'stepwise', backend: name, steps });
  await runLoop(
    steps,
    limitMB,
    () => {
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), labels);
      loss.backward();
      optimizer.step();
      return loss;
    },
    async (loss) => (await (loss as torch.Tensor).data())[0]!,
    () => torch.memory(),
  );
}

async function tfjsLoop(name: TfjsName, steps: number, limitMB: number): Promise<void> {
  const tf = await loadTfjs(name);
  const dense = (i: number, o: number) => [
    tf.variable(tf.randomUniform([i, o], -1 / Math.sqrt(i), 1 / Math.sqrt(i), 'float32', 0)),
    tf.variable(tf.zeros([o])),
  ];
  const [w1, b1] = dense(784, 256);
  const [w2, b2] = dense(256, 256);
  const [w3, b3] = dense(256, 10);
  const x = tf.randomNormal([128, 784], 0, 1, 'float32', 1);
  const onehot = tf.oneHot(tf.randomUniform([128], 0, 10, 'int32', 2), 10);
  const vars = [w1, b1, w2, b2, w3, b3];
  const optimizer = tf.train.adam(1e-3);
  const model = (input: any) => {
    const h1 = tf.relu(tf.add(tf.matMul(input, w1), b1));
    const h2 = tf.relu(tf.add(tf.matMul(h1, w2), b2));
    return tf.add(tf.matMul(h2, w3), b3);
  };
  emit({ type: 'start', impl: 'tfjs 4.22', backend: `tfjs-${name}`, steps });
  await runLoop(
    steps,
    limitMB,
    // The tfjs way, without tidy: minimize returns the cost.
    () => optimizer.minimize(() => tf.losses.softmaxCrossEntropy(onehot, model(x)), true, vars),
    async (loss) => (await (loss as any).data())[0],
    () => {
      const m = tf.memory();
      return { tensors: m.numTensors, bytes: m.numBytes };
    },
  );
}

/** The small models whose steps/s shows what per-step bookkeeping costs. */
function smallModels() {
  const { nn } = torch;
  return [
    {
      workload: '1-20-1 MLP, 1000 points, Adam, full batch',
      make: () => {
        torch.manualSeed(42);
        const x = torch.linspace(-1, 1, 1000).unsqueeze(1);
        const y = x.pow(2).add(torch.randn([1000, 1]).mul(0.1));
        torch.manualSeed(0);
        const model = new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
        return { model, x, y, lossFn: new nn.MSELoss(), lr: 0.01 };
      },
    },
    {
      workload: '8-32-3 MLP, batch 64, Adam',
      make: () => {
        torch.manualSeed(0);
        const x = torch.randn([64, 8]);
        const y = torch.randint(0, 3, [64]);
        const model = new nn.Sequential(new nn.Linear(8, 32), new nn.ReLU(), new nn.Linear(32, 3));
        return { model, x, y, lossFn: new nn.CrossEntropyLoss(), lr: 1e-3 };
      },
    },
  ];
}

/**
 * Each small model, `rounds` timed rounds per mode, the two modes alternating (which goes
 * first alternates too): `tidy` wraps each step in torch.tidy, `plain` is the PyTorch
 * loop. A round is sized to about 0.15 s from a warm-up; the event loop turns between
 * rounds. Reports per mode the best and median steps/s, the median steps per CPU-second, and the
 * live tensors a step added.
 */
async function overhead(name: StepwiseName, rounds: number, limitMB: number): Promise<void> {
  const backend = await loadStepwise(name);
  torch.registerBackend(backend);
  torch.setBackend(backend);
  emit({ type: 'start', impl: 'stepwise', backend: name });
  for (const { workload, make } of smallModels()) {
    const { model, x, y, lossFn, lr } = make();
    const optimizer = new torch.optim.Adam(model.parameters(), { lr });
    const step = () => {
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
      return loss;
    };
    const modes = {
      tidy: () => {
        torch.tidy(() => {
          step();
        });
      },
      plain: () => {
        step();
      },
    };
    /** Steps per wall-clock second, and per second of this process's CPU time (all its
     * threads: GC, lavapipe's), which others' work on the machine changes far less. */
    const timeRound = async (mode: 'tidy' | 'plain', n: number) => {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) modes[mode]();
      await backend.sync();
      const wall = performance.now() - t0;
      const c = process.cpuUsage(c0);
      return { wall: (n * 1000) / wall, cpu: (n * 1e6) / (c.user + c.system) };
    };
    // Warm-up (kernels compiled, Adam state made), then a round size from the tidy rate.
    await timeRound('tidy', 20);
    await timeRound('plain', 20);
    const n = Math.min(4000, Math.max(20, Math.round(0.15 * (await timeRound('tidy', 50)).wall)));
    const rates: Record<'tidy' | 'plain', number[]> = { tidy: [], plain: [] };
    const cpuRates: Record<'tidy' | 'plain', number[]> = { tidy: [], plain: [] };
    /** Net live tensors and bytes a step added over the mode's last round; RSS after it. */
    const growth: Record<'tidy' | 'plain', { tensorsPerStep: number; bytesPerStep: number; rss: number }> = {
      tidy: { tensorsPerStep: 0, bytesPerStep: 0, rss: 0 },
      plain: { tensorsPerStep: 0, bytesPerStep: 0, rss: 0 },
    };
    let stopped: string | null = null;
    for (let r = 0; r < rounds && !stopped; r++) {
      for (const mode of r % 2 === 0 ? (['tidy', 'plain'] as const) : (['plain', 'tidy'] as const)) {
        await turn();
        let m0: Probe;
        try {
          // Three untimed steps first: live tensors are counted from a loop already in this
          // mode's steady state (what the switch from the other mode keeps is not counted).
          for (let i = 0; i < 3; i++) modes[mode]();
          m0 = torch.memory();
          const t = await timeRound(mode, n);
          rates[mode].push(t.wall);
          cpuRates[mode].push(t.cpu);
        } catch (e) {
          stopped = `${mode} threw ${(e as Error)?.message?.split('\n')[0] ?? e}`;
          break;
        }
        const m = torch.memory();
        growth[mode] = {
          tensorsPerStep: (m.tensors - m0.tensors) / n,
          bytesPerStep: (m.bytes - m0.bytes) / n,
          rss: rss(),
        };
        if (rss() > limitMB * MB) stopped = `RSS ${(rss() / MB).toFixed(0)} MB > the ${limitMB} MB bound`;
      }
    }
    const median = (a: number[]) =>
      a.length ? [...a].sort((p, q) => p - q)[Math.floor((a.length - 1) / 2)]! : null;
    const best = (a: number[]) => (a.length ? Math.max(...a) : null);
    emit({
      type: 'overhead',
      backend: name,
      workload,
      stepsPerRound: n,
      rounds: Math.min(rates.tidy.length, rates.plain.length),
      tidy: {
        best: best(rates.tidy),
        median: median(rates.tidy),
        cpu: median(cpuRates.tidy),
        ...growth.tidy,
      },
      plain: {
        best: best(rates.plain),
        median: median(rates.plain),
        cpu: median(cpuRates.plain),
        ...growth.plain,
      },
      stopped,
    });
    await turn();
  }
  emit({ type: 'done' });
}

async function main(): Promise<void> {
  const [kind, a, b, c, d] = process.argv.slice(2);
  if (kind === 'loop' && a === 'stepwise') await stepwiseLoop(b as StepwiseName, Number(c), Number(d));
  else if (kind === 'loop' && a === 'tfjs') await tfjsLoop(b as TfjsName, Number(c), Number(d));
  else if (kind === 'overhead') await overhead(a as StepwiseName, Number(b), Number(c));
  else
    throw new Error(
      `usage: memoryRun.js loop <stepwise|tfjs> <backend> <steps> <limitMB> | overhead <backend> <rounds> <limitMB>`,
    );
}

main().then(
  // tfjs-wasm and Dawn may keep handles open.
  () => process.exit(0),
  (e) => {
    emit({ type: 'error', message: (e as Error)?.message?.split('\n')[0] ?? String(e) });
    process.exit(1);
  },
);
