// Quick throughput figures for wasm-simd (not a test; `pnpm --filter @stepwise/wasm-simd bench`
// after a build): torch.optim.Adam at 1e7 float32 parameters, the raw fused Adam program,
// SGD with momentum and RMSprop, a float32 copy (the bandwidth limit), matmul GFLOP/s and
// an MLP training step. THREADS=n runs the backend with a worker pool.
import * as torch from '@stepwise/core';
import { wasmSimd } from '../dist/index.js';

const N = Number(process.env.N ?? 1e7);
const STEPS = Number(process.env.STEPS ?? 20);
const b = await wasmSimd({ initialMemoryMB: 1024, threads: Number(process.env.THREADS ?? 1) });
console.log(`wasm-simd, ${b.threads} thread(s)`);
torch.registerBackend(b);
torch.setBackend(b);

// The machine may be shared: each figure is the best of several runs, timed in this
// process's CPU time (user + system), which excludes time spent descheduled. With a worker
// pool that CPU time sums all threads, so threaded runs use wall-clock time instead.
function cpuMs() {
  if (b.threads > 1) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function best(fn, reps) {
  fn();
  let t = Number.POSITIVE_INFINITY;
  for (let r = 0; r < reps; r++) {
    const t0 = cpuMs();
    fn();
    t = Math.min(t, cpuMs() - t0);
  }
  return t;
}

function optimizerRow(name, make) {
  const p = torch.randn([N]);
  p.requiresGrad_(true);
  p.grad = torch.randn([N]).mul(0.1);
  const opt = make([p]);
  const ms = best(() => opt.step(), STEPS);
  console.log(
    `${name.padEnd(28)} ${(N / ms / 1e3).toFixed(0).padStart(6)} Mparam/s  (${ms.toFixed(2)} ms/step)`,
  );
  p.grad.dispose();
  p.grad = null;
  p.dispose();
  opt.state.clear?.();
}

// The bandwidth reference: a float32 copy of N elements through the backend's copy kernel.
{
  const s = b.alloc('float32', N);
  const o = b.alloc('float32', N);
  const ms = best(() => b.copy({ storage: s, shape: [N], strides: [1], offset: 0 }, o), STEPS);
  console.log(
    `${'copy float32 (limit)'.padEnd(28)} ${(N / ms / 1e3).toFixed(0).padStart(6)} Melem/s   (${((8 * N) / ms / 1e6).toFixed(1)} GB/s)`,
  );
  b.free(s);
  b.free(o);
}
// The raw fused Adam program (as core's Adam builds it, weight decay on), no optimizer bookkeeping.
{
  const adam = torch.defineFused(
    'bench-adam',
    ['param', 'grad', 'expAvg', 'expAvgSq'],
    ['lr', 'beta1', 'beta2', 'eps', 'weightDecay', 'bc1', 'bc2Sqrt'],
    ({ buf, s, let: bind, store }) => {
      const g = bind(buf.grad.add(buf.param.mul(s.weightDecay)));
      const m = bind(buf.expAvg.lerp(g, s.beta1.neg().add(1)));
      const v = bind(buf.expAvgSq.mul(s.beta2).add(g.mul(g).mul(s.beta2.neg().add(1))));
      store('expAvg', m);
      store('expAvgSq', v);
      const denom = bind(v.sqrt().div(s.bc2Sqrt).add(s.eps));
      store('param', buf.param.sub(s.lr.div(s.bc1).mul(m).div(denom)));
    },
  );
  const bufs = [0, 1, 2, 3].map(() => b.alloc('float32', N));
  b.fill(bufs[0], 0.5);
  b.fill(bufs[1], 0.1);
  const args = [{ buffers: bufs, scalars: [1e-3, 0.9, 0.999, 1e-8, 1e-2, 0.1, 0.0316] }];
  const ms = best(() => b.fused(adam, args), STEPS);
  console.log(
    `${'fused Adam program'.padEnd(28)} ${(N / ms / 1e3).toFixed(0).padStart(6)} Mparam/s  (${ms.toFixed(2)} ms/step)`,
  );
  for (const x of bufs) b.free(x);
}
optimizerRow('Adam', (ps) => new torch.optim.Adam(ps, { lr: 1e-3 }));
optimizerRow('Adam weightDecay', (ps) => new torch.optim.Adam(ps, { lr: 1e-3, weightDecay: 1e-2 }));
optimizerRow('AdamW', (ps) => new torch.optim.AdamW(ps, { lr: 1e-3 }));
optimizerRow('SGD momentum', (ps) => new torch.optim.SGD(ps, { lr: 1e-2, momentum: 0.9 }));
optimizerRow('RMSprop', (ps) => new torch.optim.RMSprop(ps, { lr: 1e-2 }));

// Matmul, float32, the MLP's first layer shape.
for (const [m, k, n] of [
  [128, 784, 256],
  [256, 256, 256],
  [128, 256, 10],
]) {
  const a = b.alloc('float32', m * k);
  const w = b.alloc('float32', k * n);
  const o = b.alloc('float32', m * n);
  b.fill(a, 0.5);
  b.fill(w, 0.25);
  const opts = { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const reps = Math.max(5, Math.ceil(2e9 / (2 * m * n * k)));
  const ms = best(() => b.matmul(a, w, o, { batch: 1, m, k, n }, opts), reps);
  console.log(
    `${`matmul ${m}x${k}x${n} f32`.padEnd(28)} ${((2 * m * n * k) / ms / 1e6).toFixed(1).padStart(6)} GFLOP/s`,
  );
  b.free(a);
  b.free(w);
  b.free(o);
}

// An MLP 784-256-256-10 training step (batch 128, Adam, cross-entropy), as in the issue.
{
  const { nn, optim } = torch;
  const model = new nn.Sequential(
    new nn.Linear(784, 256),
    new nn.ReLU(),
    new nn.Linear(256, 256),
    new nn.ReLU(),
    new nn.Linear(256, 10),
  );
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = torch.randn([128, 784]);
  const y = torch.tensor(
    Array.from({ length: 128 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const step = () =>
    torch.tidy(() => {
      const loss = lossFn.forward(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < 5; i++) step();
  const before = b.wasmMemoryBytes();
  const ms =
    best(() => {
      for (let i = 0; i < 10; i++) step();
    }, 5) / 10;
  console.log(
    `${'MLP 784-256-256-10 step'.padEnd(28)} ${(1000 / ms).toFixed(1).padStart(6)} steps/s   (${ms.toFixed(2)} ms/step; wasm memory ${before === b.wasmMemoryBytes() ? 'flat' : 'grew'})`,
  );
}

// A small CNN training step: conv(1->16, 3x3) relu pool conv(16->32, 3x3) relu pool linear,
// batch 64 of 1x28x28, Adam.
{
  const { nn, optim } = torch;
  const model = new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(16, 32, 3, { padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(32 * 7 * 7, 10),
  );
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = torch.randn([64, 1, 28, 28]);
  const y = torch.tensor(
    Array.from({ length: 64 }, (_, i) => i % 10),
    { dtype: 'int32' },
  );
  const step = () =>
    torch.tidy(() => {
      const loss = lossFn.forward(model.forward(x), y);
      opt.zeroGrad();
      loss.backward();
      opt.step();
    });
  for (let i = 0; i < 3; i++) step();
  const ms =
    best(() => {
      for (let i = 0; i < 5; i++) step();
    }, 3) / 5;
  console.log(
    `${'small CNN step (batch 64)'.padEnd(28)} ${(1000 / ms).toFixed(1).padStart(6)} steps/s   (${ms.toFixed(2)} ms/step)`,
  );
}
