/**
 * The `pytorch` section (issue 15, "Bench beside PyTorch"): the same workloads written the
 * PyTorch way (no tidy, no dispose) on stepwise's cpu-js and wasm-simd (one thread, and a
 * pool of two) and in PyTorch itself — Debian's python3-torch under /usr/bin/python3,
 * started once as a child process (`pytorch/bench_torch.py`) that answers one JSON command
 * per line. The rounds interleave: each round measures every column once, one after the
 * other, so that both columns of a ratio come from the same minutes of a shared machine;
 * each figure is the median over the rounds.
 *
 * Workloads (each also in bench_torch.py, line for line):
 * - `seed002`: seed 002's experiment: a 1-20-1 MLP (Linear, ReLU, Linear) on 1,000 points,
 *   1,000 full-batch Adam(lr 0.01) steps, MSE, the loss read every step; wall time.
 * - `cnn32`: seed 004's CNN as issue 15 defines it: Conv2d(1,32,5,p2) MaxPool2d(2)
 *   Conv2d(32,32,5,p2) MaxPool2d(2) Conv2d(32,64,5,p2) MaxPool2d(2) Flatten Linear(1024,64)
 *   Linear(64,10), cross-entropy, SGD(lr 0.01), batches of 64 Fashion-MNIST images padded to
 *   32×32 (synthetic pixels of the same shape when the dataset is absent); images/s.
 * - `cnn32k3`: the same network with 3×3 filters (padding 1), the common CNN layer; images/s.
 * - `nnreally`: "What is torch.nn really?"'s Mnist_CNN (three Conv2d(·,·,3, stride 2,
 *   padding 1) with ReLU, avg-pool 4), batch 64 of 28×28 images, SGD(lr 0.1, momentum 0.9);
 *   steps/s.
 * - `mlp`: the training section's MLP 784-256-256-10 (ReLU, batch 128 of random data,
 *   cross-entropy, Adam lr 1e-3), here without tidy; steps/s.
 * - `add`: `a.add(b)` on 4-element float32 tensors, the result dropped (freed by the
 *   FinalizationRegistry once the loop yields; PyTorch frees it by reference counting), and
 *   `a.add(b).dispose()`; µs per op.
 *
 * Environment: BENCH_PYTHON (default /usr/bin/python3), BENCH_TORCH_THREADS (PyTorch thread
 * counts, one column each; default `auto,1`: `auto` is 2 threads for the CNNs, as the issue
 * asks, and the machine's cores elsewhere), BENCH_PYTORCH_BACKENDS (default
 * cpu-js,wasm-simd,wasm-simd-2), BENCH_PYTORCH_WORKLOADS (default all),
 * BENCH_FASHION_MNIST_ROOT (default STEPWISE_FASHION_MNIST_ROOT, then
 * /usr/share/datasets/fashion-mnist), BENCH_QUICK=1 for fewer rounds and steps.
 */
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { Backend, Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { loadStepwise } from './backends.js';

const { nn } = torch;
const F = nn.functional;

const QUICK = process.env.BENCH_QUICK === '1';
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('../pytorch/bench_torch.py', import.meta.url));
const DATA_ROOT =
  process.env.BENCH_FASHION_MNIST_ROOT ??
  process.env.STEPWISE_FASHION_MNIST_ROOT ??
  '/usr/share/datasets/fashion-mnist';
const CORES = availableParallelism();
/** A PyTorch request that has not answered after this long is given up (the child killed). */
const TORCH_TIMEOUT_MS = 600_000;

type WorkloadKey = 'seed002' | 'cnn32' | 'cnn32k3' | 'nnreally' | 'mlp' | 'add' | 'add-dispose';
type Unit = 's' | 'images/s' | 'steps/s' | 'µs/op';

interface WorkloadSpec {
  key: WorkloadKey;
  label: string;
  unit: Unit;
  rounds: number;
  /** Timed steps (or ops) per round, and untimed warm-up steps before the first round. */
  steps: number;
  warmup: number;
  /** Images (or samples) per step, for images/s. */
  batch: number;
  /** PyTorch's threads when BENCH_TORCH_THREADS says `auto`. */
  autoThreads: number;
}

const q = (full: number, quick: number) => (QUICK ? quick : full);
const SPECS: WorkloadSpec[] = [
  {
    key: 'seed002',
    label: 'seed 002: 1-20-1 MLP, 1000 points, 1000 Adam steps',
    unit: 's',
    // Five rounds: a round is one short experiment (0.08-0.3 s), and one slow round in
    // three (a GC, the machine) moved a run's median by half.
    rounds: q(5, 2),
    steps: 1000,
    warmup: 0,
    batch: 1000,
    autoThreads: CORES,
  },
  {
    key: 'cnn32',
    label: 'seed 004 CNN (3×conv5+pool, 1024-64-10), 32×32, batch 64, SGD',
    unit: 'images/s',
    rounds: q(3, 1),
    steps: 2,
    warmup: 1,
    batch: 64,
    autoThreads: Math.min(2, CORES),
  },
  {
    key: 'cnn32k3',
    label: 'seed 004 CNN with 3×3 filters (3×conv3+pool), 32×32, batch 64, SGD',
    unit: 'images/s',
    rounds: q(3, 1),
    steps: 2,
    warmup: 1,
    batch: 64,
    autoThreads: Math.min(2, CORES),
  },
  {
    key: 'nnreally',
    label: '"nn really" CNN step, 28×28, batch 64, SGD momentum',
    unit: 'steps/s',
    rounds: q(5, 2),
    steps: q(6, 3),
    warmup: 3,
    batch: 64,
    autoThreads: Math.min(2, CORES),
  },
  {
    key: 'mlp',
    label: 'MLP 784-256-256-10 step, batch 128, Adam',
    unit: 'steps/s',
    rounds: q(5, 2),
    steps: 3,
    warmup: 2,
    batch: 128,
    autoThreads: CORES,
  },
  {
    key: 'add',
    label: 'a.add(b), 4 floats, result dropped',
    unit: 'µs/op',
    rounds: q(5, 2),
    steps: 20_000,
    warmup: 200,
    batch: 1,
    autoThreads: CORES,
  },
  {
    key: 'add-dispose',
    label: 'a.add(b).dispose(), 4 floats (PyTorch: a.add(b))',
    unit: 'µs/op',
    rounds: q(5, 2),
    steps: 20_000,
    warmup: 200,
    batch: 1,
    autoThreads: CORES,
  },
];

/** Higher is better for rates, lower for times. */
const isRate = (u: Unit) => u === 'images/s' || u === 'steps/s';

/** A measured figure in its unit, from the seconds a round took. */
function figure(spec: WorkloadSpec, seconds: number): number {
  if (spec.unit === 's') return seconds;
  if (spec.unit === 'images/s') return (spec.batch * spec.steps) / seconds;
  if (spec.unit === 'steps/s') return spec.steps / seconds;
  return (seconds / spec.steps) * 1e6;
}

export interface PytorchCell {
  column: string;
  /** The figure of each round, in the row's unit. */
  rounds: number[];
  median: number | null;
  error: string | null;
  /** PyTorch columns: the threads torch.get_num_threads() reported; wasm-simd: backend.threads. */
  threads: number | null;
}

export interface PytorchRow {
  workload: WorkloadKey;
  label: string;
  unit: Unit;
  steps: number;
  cells: PytorchCell[];
}

export interface PytorchInfo {
  python: string;
  /** null when PyTorch could not be imported (then `missing` says why). */
  hello: Record<string, unknown> | null;
  missing: string | null;
  data: string;
  loadBefore: number[];
  loadAfter: number[];
  seconds: number;
}

export const pytorchRows: PytorchRow[] = [];
export let pytorchInfo: PytorchInfo | null = null;

// ---------------------------------------------------------------------------------------
// Data: Fashion-MNIST's training images, read from the IDX files (plain or gzipped).

interface Images {
  x: Float32Array;
  y: Int32Array;
  count: number;
  side: number;
}

function idxPath(stem: string): string | null {
  for (const name of [stem, `${stem}.gz`]) {
    const p = join(DATA_ROOT, name);
    if (existsSync(p)) return p;
  }
  return null;
}

const dataAvailable = () =>
  idxPath('train-images-idx3-ubyte') !== null && idxPath('train-labels-idx1-ubyte') !== null;

/** An IDX file of unsigned bytes (magic 0x0803 / 0x0801): its sizes and its values. */
function readIdx(path: string): { dims: number[]; bytes: Uint8Array } {
  let raw: Uint8Array = readFileSync(path);
  if (raw[0] === 0x1f && raw[1] === 0x8b) raw = gunzipSync(raw);
  if (raw[0] !== 0 || raw[1] !== 0 || raw[2] !== 0x08) throw new Error(`${path}: not an IDX file of bytes`);
  const ndim = raw[3]!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims = Array.from({ length: ndim }, (_, i) => view.getUint32(4 + 4 * i, false));
  const bytes = raw.subarray(4 + 4 * ndim);
  const n = dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== n) throw new Error(`${path}: ${bytes.length} values, the header says ${n}`);
  return { dims, bytes };
}

const imageCache = new Map<string, Images>();

/** The first `count` training images, zero-padded by `pad`, in [0, 1], as PyTorch's side reads them. */
function fashionImages(count: number, pad: number): Images {
  const key = `${count}/${pad}`;
  const hit = imageCache.get(key);
  if (hit) return hit;
  const img = readIdx(idxPath('train-images-idx3-ubyte')!);
  const lab = readIdx(idxPath('train-labels-idx1-ubyte')!);
  const [n, rows, cols] = img.dims as [number, number, number];
  if (count > n) throw new Error(`Fashion-MNIST has ${n} training images, ${count} asked for`);
  const side = rows + 2 * pad;
  const x = new Float32Array(count * side * side);
  for (let i = 0; i < count; i++)
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++)
        x[i * side * side + (r + pad) * side + c + pad] = img.bytes[i * rows * cols + r * cols + c]! / 255;
  const out = { x, y: Int32Array.from(lab.bytes.subarray(0, count)), count, side };
  imageCache.set(key, out);
  return out;
}

/** Images as [count, 1, side, side] and labels, on the current backend, kept across loops. */
function imageTensors(count: number, pad: number, synthetic: boolean): [Tensor, Tensor] {
  const side = 28 + 2 * pad;
  if (synthetic) {
    torch.manualSeed(15);
    return [torch.rand([count, 1, side, side]).keep(), torch.randint(0, 10, [count]).keep()];
  }
  const d = fashionImages(count, pad);
  return [
    torch.tensor(d.x).reshape(count, 1, side, side).keep(),
    torch.tensor(d.y, { dtype: 'int32' }).keep(),
  ];
}

// ---------------------------------------------------------------------------------------
// The stepwise side: each workload written as a PyTorch user writes it (no tidy).

/** A model, its optimizer and its data, stepped batch after batch (cycling through the data). */
class Batches {
  private i = 0;
  private readonly n: number;
  constructor(
    private readonly model: InstanceType<typeof nn.Module>,
    private readonly opt: InstanceType<typeof torch.optim.Optimizer>,
    private readonly xs: Tensor,
    private readonly ys: Tensor,
    private readonly batch: number,
  ) {
    this.n = Math.floor(xs.shape[0]! / batch);
  }

  step(): Tensor {
    const k = this.i++ % this.n;
    const xb = this.xs.narrow(0, k * this.batch, this.batch);
    const yb = this.ys.narrow(0, k * this.batch, this.batch);
    const loss = F.crossEntropy(this.model.forward(xb), yb);
    this.opt.zeroGrad();
    loss.backward();
    this.opt.step();
    return loss;
  }
}

/** "What is torch.nn really?": Mnist_CNN, as the tutorial writes it. */
class MnistCNN extends nn.Module {
  conv1 = new nn.Conv2d(1, 16, 3, { stride: 2, padding: 1 });
  conv2 = new nn.Conv2d(16, 16, 3, { stride: 2, padding: 1 });
  conv3 = new nn.Conv2d(16, 10, 3, { stride: 2, padding: 1 });

  forward(xb: Tensor): Tensor {
    let h = xb.view(-1, 1, 28, 28);
    h = F.relu(this.conv1.forward(h));
    h = F.relu(this.conv2.forward(h));
    h = F.relu(this.conv3.forward(h));
    h = F.avgPool2d(h, 4);
    return h.view(-1, h.shape[1]!);
  }
}

/** Images a workload's data must hold: one batch per step, none seen twice. */
const batchesOf = (spec: WorkloadSpec) => spec.warmup + spec.rounds * spec.steps;

function makeBatches(spec: WorkloadSpec, synthetic: boolean): Batches {
  torch.manualSeed(0);
  if (spec.key === 'cnn32' || spec.key === 'cnn32k3') {
    const k = spec.key === 'cnn32' ? 5 : 3;
    const padding = (k - 1) / 2;
    const model = new nn.Sequential(
      new nn.Conv2d(1, 32, k, { padding }),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 32, k, { padding }),
      new nn.MaxPool2d(2),
      new nn.Conv2d(32, 64, k, { padding }),
      new nn.MaxPool2d(2),
      new nn.Flatten(),
      new nn.Linear(1024, 64),
      new nn.Linear(64, 10),
    );
    const [x, y] = imageTensors(spec.batch * batchesOf(spec), 2, synthetic);
    return new Batches(model, new torch.optim.SGD(model.parameters(), { lr: 0.01 }), x, y, spec.batch);
  }
  if (spec.key === 'nnreally') {
    const model = new MnistCNN();
    const [x, y] = imageTensors(spec.batch * batchesOf(spec), 0, synthetic);
    const opt = new torch.optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    return new Batches(model, opt, x.reshape(-1, 784).keep(), y, spec.batch);
  }
  const model = new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 256),
    new nn.ReLU(),
    new nn.Linear(256, 10),
  );
  const x = torch.randn([128, 784]).keep();
  const y = torch.randint(0, 10, [128]).keep();
  return new Batches(model, new torch.optim.Adam(model.parameters(), { lr: 1e-3 }), x, y, 128);
}

/** Lets the event loop turn (timers, FinalizationRegistry callbacks). */
const turn = () => new Promise<void>((r) => setTimeout(r, 0));

/** One stepwise column: a backend and, per workload, what persists between rounds. */
interface StepwiseColumn {
  name: string;
  backend: Backend;
  threads: number | null;
  state: Map<WorkloadKey, unknown>;
}

/** Runs one round of `spec` on a stepwise column; returns the seconds of its timed part. */
async function stepwiseRound(col: StepwiseColumn, spec: WorkloadSpec, synthetic: boolean): Promise<number> {
  torch.setBackend(col.backend);
  if (spec.key === 'seed002') {
    let data = col.state.get('seed002') as [Tensor, Tensor] | undefined;
    if (!data) {
      torch.manualSeed(42);
      const x = torch.linspace(-1, 1, 1000).unsqueeze(1);
      const y = x.pow(2).add(torch.randn([1000, 1]).mul(0.1));
      data = [x.keep(), y.keep()];
      col.state.set('seed002', data);
    }
    const [x, y] = data;
    torch.manualSeed(0);
    const model = new nn.Sequential(new nn.Linear(1, 20), new nn.ReLU(), new nn.Linear(20, 1));
    const opt = new torch.optim.Adam(model.parameters(), { lr: 0.01 });
    const lossFn = new nn.MSELoss();
    const losses: number[] = [];
    const t0 = performance.now();
    for (let i = 0; i < spec.steps; i++) {
      const l = lossFn.forward(model.forward(x), y);
      opt.zeroGrad();
      l.backward();
      opt.step();
      losses.push(Number((await l.data())[0]));
    }
    return (performance.now() - t0) / 1000;
  }
  if (spec.key === 'add' || spec.key === 'add-dispose') {
    let ab = col.state.get(spec.key) as [Tensor, Tensor] | undefined;
    if (!ab) {
      ab = [torch.tensor([1, 2, 3, 4]).keep(), torch.tensor([0.5, 0.5, 0.5, 0.5]).keep()];
      col.state.set(spec.key, ab);
    }
    const [a, b] = ab;
    const dispose = spec.key === 'add-dispose';
    for (let i = 0; i < spec.warmup; i++) {
      const c = a.add(b);
      if (dispose) c.dispose();
    }
    await turn();
    const t0 = performance.now();
    if (dispose) for (let i = 0; i < spec.steps; i++) a.add(b).dispose();
    else for (let i = 0; i < spec.steps; i++) a.add(b);
    const s = (performance.now() - t0) / 1000;
    // The dropped results wait for the finalizers: let them run before the next column.
    await turn();
    await turn();
    return s;
  }
  let st = col.state.get(spec.key) as Batches | undefined;
  if (!st) {
    st = makeBatches(spec, synthetic);
    col.state.set(spec.key, st);
    for (let i = 0; i < spec.warmup; i++) st.step();
    await col.backend.sync();
  }
  const t0 = performance.now();
  let loss: Tensor | null = null;
  for (let i = 0; i < spec.steps; i++) loss = st.step();
  await loss!.data();
  return (performance.now() - t0) / 1000;
}

// ---------------------------------------------------------------------------------------
// The PyTorch side: one child process, one JSON command per line.

class TorchChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((line: string | null) => void)[] = [];
  private readonly lines: string[] = [];
  private closed = false;
  readonly tail: string[] = [];
  private nextId = 1;

  constructor() {
    this.child = spawn(PYTHON, ['-u', SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const w = this.waiting.shift();
      if (w) w(line);
      else this.lines.push(line);
    });
    createInterface({ input: this.child.stderr }).on('line', (line) => {
      this.tail.push(line);
      if (this.tail.length > 10) this.tail.shift();
    });
    this.child.on('close', () => {
      this.closed = true;
      for (const w of this.waiting.splice(0)) w(null);
    });
    this.child.on('error', (e) => this.tail.push(String(e)));
  }

  private nextLine(): Promise<string | null> {
    const l = this.lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private async read(): Promise<Record<string, any>> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve(null);
      }, TORCH_TIMEOUT_MS);
    });
    const line = await Promise.race([this.nextLine(), timeout]);
    clearTimeout(timer);
    if (line === null)
      throw new Error(`the PyTorch process ended (${this.tail.slice(-1)[0] ?? 'no message'})`);
    return JSON.parse(line);
  }

  hello(): Promise<Record<string, any>> {
    return this.read();
  }

  async request(cmd: Record<string, unknown>): Promise<Record<string, any>> {
    if (this.closed) throw new Error(`the PyTorch process ended (${this.tail.slice(-1)[0] ?? 'no message'})`);
    const id = this.nextId++;
    this.child.stdin.write(`${JSON.stringify({ id, ...cmd })}\n`);
    const out = await this.read();
    if (!out.ok) throw new Error(String(out.error));
    return out;
  }

  close(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

/** `import torch` with the chosen Python: null when it works, else why not. */
function torchMissing(): string | null {
  const r = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 });
  if (r.error) return `${PYTHON}: ${(r.error as NodeJS.ErrnoException).code ?? r.error.message}`;
  if (r.status !== 0) {
    const last = r.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${r.status}`;
    return `${PYTHON} -c "import torch": ${last}`;
  }
  return null;
}

/** BENCH_TORCH_THREADS entries: a count, or 'auto' (the workload's own). */
function torchThreadColumns(): ('auto' | number)[] {
  const raw = (process.env.BENCH_TORCH_THREADS ?? (CORES > 1 ? 'auto,1' : 'auto')).split(',');
  return raw.map((s) => (s.trim() === 'auto' ? 'auto' : Math.max(1, Math.floor(Number(s)))));
}

function median(xs: readonly number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const errorOf = (e: unknown) => (e as Error)?.message?.split('\n')[0] ?? String(e);

export async function pytorchSection(): Promise<void> {
  const t0 = performance.now();
  const loadBefore = loadavg();
  const wanted = new Set(
    (process.env.BENCH_PYTORCH_WORKLOADS ?? SPECS.map((s) => s.key).join(',')).split(','),
  );
  const specs = SPECS.filter((s) => wanted.has(s.key));
  const synthetic = !dataAvailable();
  const data = synthetic
    ? `synthetic (uniform random pixels and labels: no Fashion-MNIST IDX files in ${DATA_ROOT})`
    : `Fashion-MNIST training images from ${DATA_ROOT}`;
  console.log(`\nbeside PyTorch: ${specs.map((s) => s.key).join(', ')}; image data: ${data}`);

  // Stepwise columns.
  const columns: StepwiseColumn[] = [];
  const stepwiseFailed: { name: string; reason: string }[] = [];
  const backendsWanted = (process.env.BENCH_PYTORCH_BACKENDS ?? 'cpu-js,wasm-simd,wasm-simd-2').split(',');
  for (const name of backendsWanted) {
    const m = /^wasm-simd(?:-(\d+))?$/.exec(name);
    const threads = m ? Number(m[1] ?? 1) : null;
    try {
      if (!m && name !== 'cpu-js') throw new Error('unknown backend (cpu-js, wasm-simd or wasm-simd-N)');
      const backend = await loadStepwise(m ? 'wasm-simd' : 'cpu-js', { threads: threads ?? 1 });
      const got = threads === null ? null : ((backend as { threads?: number }).threads ?? threads);
      const label = threads === null ? name : `wasm-simd ${got}T`;
      columns.push({ name: label, backend, threads: got, state: new Map() });
    } catch (e) {
      stepwiseFailed.push({ name, reason: errorOf(e) });
      console.log(`  stepwise ${name}: cannot start (${errorOf(e)})`);
    }
  }

  // PyTorch columns.
  const missing = torchMissing();
  let hello: Record<string, any> | null = null;
  let child: TorchChild | null = null;
  if (missing) console.log(`  PyTorch not installed (${missing})`);
  else {
    child = new TorchChild();
    try {
      hello = await child.hello();
      const blas = (hello.blas as { path: string; package: string | null }[])
        .map((b) => `${b.path}${b.package ? ` (${b.package})` : ''}`)
        .join(', ');
      console.log(
        `  PyTorch ${hello.torch} (Python ${hello.python}, ${hello.executable}), numpy ${hello.numpy}, ` +
          `${hello.cpus} CPUs, default threads ${hello.defaultThreads}, ${hello.parallel}, ` +
          `MKL-DNN ${hello.mkldnn ? 'on' : 'off'}, BLAS ${blas || '(none mapped)'}`,
      );
    } catch (e) {
      console.log(`  PyTorch failed to start: ${errorOf(e)}`);
      child.close();
      child = null;
    }
  }
  const torchCols = torchThreadColumns();
  const torchName = (t: 'auto' | number) => `PyTorch ${t === 'auto' ? 'auto' : `${t}T`}`;

  for (const spec of specs) {
    const row: PytorchRow = {
      workload: spec.key,
      label: spec.label,
      unit: spec.unit,
      steps: spec.steps,
      cells: [],
    };
    const cellOf = (column: string, threads: number | null): PytorchCell => {
      let c = row.cells.find((x) => x.column === column);
      if (!c) {
        c = { column, rounds: [], median: null, error: null, threads };
        row.cells.push(c);
      }
      return c;
    };
    const started = performance.now();
    for (let r = 0; r < spec.rounds; r++) {
      for (const col of columns) {
        const cell = cellOf(col.name, col.threads);
        if (cell.error) continue;
        try {
          cell.rounds.push(figure(spec, await stepwiseRound(col, spec, synthetic)));
        } catch (e) {
          cell.error = errorOf(e);
        }
      }
      for (const t of torchCols) {
        const threads = t === 'auto' ? spec.autoThreads : t;
        const cell = cellOf(torchName(t), threads);
        if (!child) {
          cell.error = missing ? 'PyTorch not installed' : 'PyTorch failed to start';
          continue;
        }
        if (cell.error) continue;
        try {
          const out = await child.request({
            workload: spec.key === 'add-dispose' ? 'add' : spec.key,
            threads,
            steps: spec.steps,
            ops: spec.steps,
            warmup: spec.warmup,
            batch: spec.batch,
            batches: batchesOf(spec),
            data: synthetic ? { kind: 'synthetic' } : { kind: 'fashion-mnist', root: DATA_ROOT },
          });
          cell.threads = out.threads;
          cell.rounds.push(figure(spec, out.seconds));
        } catch (e) {
          cell.error = errorOf(e);
        }
      }
    }
    for (const c of row.cells) c.median = median(c.rounds);
    pytorchRows.push(row);
    console.log(`  ${spec.key}: done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  child?.close();
  for (const col of columns) col.backend.destroy?.();
  pytorchInfo = {
    python: PYTHON,
    hello,
    missing,
    data,
    loadBefore,
    loadAfter: loadavg(),
    seconds: (performance.now() - t0) / 1000,
  };
  for (const f of stepwiseFailed) pytorchFailures.push(`stepwise ${f.name} could not start: ${f.reason}`);
}

const pytorchFailures: string[] = [];

function fmtFigure(x: number, unit: Unit): string {
  if (unit === 's') return x < 10 ? x.toFixed(3) : x.toFixed(2);
  if (unit === 'µs/op') return x < 10 ? x.toFixed(2) : x.toFixed(1);
  return x >= 100 ? x.toFixed(0) : x.toFixed(1);
}

/** Stepwise's time over PyTorch's for the same work (2 = stepwise takes twice as long). */
function timeRatio(unit: Unit, stepwise: number, pytorch: number): number {
  return isRate(unit) ? pytorch / stepwise : stepwise / pytorch;
}

/**
 * The median over rounds of stepwise's time ÷ PyTorch's, each round's pair measured one
 * after the other (the load on a shared machine drifts less within a round than across).
 */
function pairedRatio(unit: Unit, s: PytorchCell | undefined, t: PytorchCell | undefined): number | null {
  if (!s || !t || s.error || t.error) return null;
  const n = Math.min(s.rounds.length, t.rounds.length);
  return median(Array.from({ length: n }, (_, i) => timeRatio(unit, s.rounds[i]!, t.rounds[i]!)));
}

/** ` (2T)` beside a PyTorch figure whose column does not already say its thread count. */
function threadNote(column: string, c: PytorchCell): string {
  if (!column.startsWith('PyTorch') || c.threads == null || column === `PyTorch ${c.threads}T`) return '';
  return ` (${c.threads}T)`;
}

/** Prints rows of cells, the first `left` columns left-aligned, the others right-aligned. */
function table(lines: string[][], left: number): void {
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length)));
  for (const [i, l] of lines.entries()) {
    console.log(
      l
        .map((c, j) => (j < left ? c.padEnd(widths[j]!) : c.padStart(widths[j]!)))
        .join('  ')
        .trimEnd(),
    );
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function printPytorchTable(): void {
  if (!pytorchInfo) return;
  const info = pytorchInfo;
  const h = info.hello;
  console.log(
    `\nbeside PyTorch — Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}); ` +
      `load average ${info.loadBefore.map((l) => l.toFixed(1)).join(' ')} before, ` +
      `${info.loadAfter.map((l) => l.toFixed(1)).join(' ')} after; ${info.seconds.toFixed(0)} s`,
  );
  if (h) {
    const blas = (h.blas as { path: string; package: string | null }[])
      .map((b) => `${b.path}${b.package ? ` (${b.package})` : ''}`)
      .join(', ');
    console.log(
      `PyTorch ${h.torch} by ${info.python} (Python ${h.python}, numpy ${h.numpy}), ${h.parallel}, ` +
        `MKL-DNN ${h.mkldnn ? 'on' : 'off'}, BLAS ${blas || '(none mapped)'}`,
    );
  } else console.log(`PyTorch not installed (${info.missing ?? 'it failed to start'})`);
  console.log(`image data: ${info.data}`);
  if (!pytorchRows.length) return;
  const columnNames: string[] = [];
  for (const r of pytorchRows)
    for (const c of r.cells) if (!columnNames.includes(c.column)) columnNames.push(c.column);
  const stepwiseNames = columnNames.filter((n) => !n.startsWith('PyTorch'));
  const torchNames = columnNames.filter((n) => n.startsWith('PyTorch'));
  const notInstalled = !h;
  const notes: string[] = [];
  const cellOf = (r: PytorchRow, name: string) => r.cells.find((c) => c.column === name);

  console.log('median over interleaved rounds (each round measures every column once, in turn)');
  const lines: string[][] = [['workload', 'unit', ...stepwiseNames, ...(notInstalled ? [] : torchNames)]];
  for (const r of pytorchRows) {
    const show = (name: string) => {
      const c = cellOf(r, name);
      if (!c) return '—';
      if (c.error) {
        notes.push(`${r.workload} on ${name}: ${c.error}`);
        return 'failed';
      }
      if (c.median == null) return '—';
      const t = threadNote(name, c);
      return `${fmtFigure(c.median, r.unit)}${t}`;
    };
    lines.push([r.label, r.unit, ...stepwiseNames.map(show), ...(notInstalled ? [] : torchNames.map(show))]);
  }
  if (notInstalled) lines.push(['PyTorch not installed', '', ...stepwiseNames.map(() => '')]);
  table(lines, 2);

  if (!notInstalled && torchNames.length) {
    console.log(
      "\nstepwise time ÷ PyTorch time for the same work (< 1: stepwise faster), the median of the rounds' ratios",
    );
    const ratios: string[][] = [['workload', 'against', ...stepwiseNames]];
    for (const r of pytorchRows) {
      for (const [k, t] of torchNames.entries()) {
        const tc = cellOf(r, t);
        const against = `${t}${tc ? threadNote(t, tc) : ''}`;
        ratios.push([
          k === 0 ? r.label : '',
          against,
          ...stepwiseNames.map((n) => {
            const x = pairedRatio(r.unit, cellOf(r, n), tc);
            return x == null ? '—' : `${x.toFixed(2)}×`;
          }),
        ]);
      }
    }
    table(ratios, 2);
  }
  for (const n of notes) console.log(n);
  for (const f of pytorchFailures) console.log(f);
  console.log(
    'cpu-js: plain JS; wasm-simd 1T: single-threaded (its default); wasm-simd NT: wasmSimd({ threads: N }), the calling\n' +
      "thread and N−1 workers; PyTorch auto: 2 threads for the CNN rows, the machine's cores elsewhere; PyTorch 1T:\n" +
      'torch.set_num_threads(1); (nT) beside a PyTorch figure is what torch.get_num_threads() reported',
  );
}
