// Convolution, pooling and optimizer-step figures for issue 15 (not a test; after a build:
// `node scripts/convBench.mjs [cnn|pieces|adam|gemm|all]`, THREADS=n for the pool,
// BACKEND=cpu-js for the CNN step on cpu-js). Wall-clock medians of REPS runs (the machine is
// shared: medians, not bests, and say so).
//
// The CNN is seed 004's (Fashion-MNIST padded to 32x32): three Conv2d(., ., 5, padding=2), each
// followed by ReLU and MaxPool2d(2), channels 1 -> 32 -> 32 -> 64, Flatten, Linear(1024, 64),
// ReLU, Linear(64, 10), cross-entropy, SGD (momentum 0.9), batch 64.
import { readFileSync } from 'node:fs';
import * as torch from '@stepwise/core';

const { cpuJs } = await import(process.env.CPUJS ?? '@stepwise/cpu-js');

import { wasmSimd } from '../dist/index.js';

const what = process.argv[2] ?? 'all';
const THREADS = Number(process.env.THREADS ?? 1);
const REPS = Number(process.env.REPS ?? 7);
const BATCH = Number(process.env.BATCH ?? 64);
const useCpu = process.env.BACKEND === 'cpu-js';
// CLOCK=cpu times single-threaded runs in this process's CPU time (user + system), which
// leaves out time spent descheduled on a busy machine; threaded runs always use wall time.
const cpuClock = process.env.CLOCK === 'cpu' && THREADS === 1;
const b = useCpu ? cpuJs() : await wasmSimd({ initialMemoryMB: 1024, threads: THREADS });
torch.registerBackend(b);
torch.setBackend(b);
console.log(
  `${useCpu ? 'cpu-js' : `wasm-simd, ${b.threads} thread(s)`}; medians of ${REPS} (${cpuClock ? 'process CPU time' : 'wall clock'})`,
);

function now() {
  if (!cpuClock) return performance.now();
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

function median(fn, reps = REPS) {
  fn();
  const ts = [];
  for (let r = 0; r < reps; r++) {
    const t0 = now();
    fn();
    ts.push(now() - t0);
  }
  ts.sort((x, y) => x - y);
  return { med: ts[ts.length >> 1], min: ts[0], p10: ts[Math.floor(ts.length / 10)] };
}

const fmt = (x, d = 1) => x.toFixed(d).padStart(8);

/**
 * CPU time (ms) of the calling thread and of the whole process, from /proc (Linux; 10 ms
 * ticks), for runs with a pool; undefined elsewhere or on one thread.
 */
function threadCpu() {
  if (THREADS === 1 || process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const u = process.cpuUsage();
    return { main: (Number(f[11]) + Number(f[12])) * 10, all: (u.user + u.system) / 1000 };
  } catch {
    return undefined;
  }
}

// Layer geometries of the CNN at this batch.
function geom(inC, outC, hw) {
  return {
    batch: BATCH,
    inChannels: inC,
    inH: hw,
    inW: hw,
    outChannels: outC,
    outH: hw,
    outW: hw,
    kH: 5,
    kW: 5,
    strideH: 1,
    strideW: 1,
    padH: 2,
    padW: 2,
    dilationH: 1,
    dilationW: 1,
    groups: 1,
  };
}
const layers = [
  ['conv1 1->32 32x32', geom(1, 32, 32)],
  ['conv2 32->32 16x16', geom(32, 32, 16)],
  ['conv3 32->64 8x8', geom(32, 64, 8)],
];
const convFlops = (g) => 2 * g.batch * g.outChannels * g.outH * g.outW * g.inChannels * g.kH * g.kW;

function rand(n) {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.sin(i * 12.9898) * 0.5;
  return a;
}
function filled(n) {
  const s = b.alloc('float32', n);
  b.write(s, rand(n));
  return s;
}

if (what === 'gemm' || what === 'all') {
  // The GEMM's peak: float32 products that fit the caches, and the conv-shaped ones.
  for (const [m, k, n] of [
    [128, 256, 1024],
    [256, 256, 256],
    [128, 784, 256],
    [512, 512, 512],
    [32, 800, 256],
    [64, 800, 64],
  ]) {
    const A = filled(m * k);
    const B = filled(k * n);
    const C = b.alloc('float32', m * n);
    const opts = { transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
    const inner = Math.max(1, Math.ceil(2e8 / (2 * m * n * k)));
    const { med, min } = median(() => {
      for (let i = 0; i < inner; i++) b.matmul(A, B, C, { batch: 1, m, k, n }, opts);
    });
    const gf = (2 * m * n * k * inner) / 1e6;
    console.log(`gemm ${m}x${k}x${n}`.padEnd(30), fmt(gf / med), 'GFLOP/s median', fmt(gf / min), 'best');
    b.free(A);
    b.free(B);
    b.free(C);
  }
}

if (what === 'pieces' || what === 'all') {
  for (const [name, g] of layers) {
    const xN = g.batch * g.inChannels * g.inH * g.inW;
    const wN = g.outChannels * g.inChannels * g.kH * g.kW;
    const oN = g.batch * g.outChannels * g.outH * g.outW;
    const x = filled(xN);
    const w = filled(wN);
    const o = filled(oN);
    const gx = b.alloc('float32', xN);
    const gw = b.alloc('float32', wN);
    const fl = convFlops(g) / 1e6;
    const f = median(() => b.conv2d(x, w, o, g));
    const bi = median(() => b.conv2dBackwardInput(o, w, gx, g));
    const bw = median(() => b.conv2dBackwardWeight(o, x, gw, g));
    console.log(
      name.padEnd(22),
      `fwd ${fmt(fl / f.med)} bwdIn ${fmt(fl / bi.med)} bwdW ${fmt(fl / bw.med)} GFLOP/s (ms ${f.med.toFixed(2)} ${bi.med.toFixed(2)} ${bw.med.toFixed(2)})`,
    );
    // Max pooling 2x2 of this layer's output.
    const pg = {
      channels: g.batch * g.outChannels,
      inH: g.outH,
      inW: g.outW,
      outH: g.outH / 2,
      outW: g.outW / 2,
      kH: 2,
      kW: 2,
      strideH: 2,
      strideW: 2,
      padH: 0,
      padW: 0,
      dilationH: 1,
      dilationW: 1,
    };
    const pN = oN / 4;
    const po = b.alloc('float32', pN);
    const am = b.alloc('int32', pN);
    const pf = median(() => b.maxPool2d(o, po, am, pg));
    const pb = median(() => b.maxPool2dBackward(po, am, o, pg));
    console.log(
      `  maxpool 2x2 of it`.padEnd(22),
      `fwd ${fmt((oN * 4) / pf.med / 1e6)} bwd ${fmt((oN * 4) / pb.med / 1e6)} GB/s of input (ms ${pf.med.toFixed(3)} ${pb.med.toFixed(3)})`,
    );
    for (const s of [x, w, o, gx, gw, po, am]) b.free(s);
  }
}

if (what === 'cnn' || what === 'all') {
  const { nn, optim } = torch;
  torch.manualSeed(4);
  const model = new nn.Sequential(
    new nn.Conv2d(1, 32, 5, { padding: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 32, 5, { padding: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Conv2d(32, 64, 5, { padding: 2 }),
    new nn.ReLU(),
    new nn.MaxPool2d(2),
    new nn.Flatten(),
    new nn.Linear(1024, 64),
    new nn.ReLU(),
    new nn.Linear(64, 10),
  );
  const opt = new optim.SGD(model.parameters(), { lr: 0.01, momentum: 0.9 });
  const lossFn = new nn.CrossEntropyLoss();
  const x = torch.randn([BATCH, 1, 32, 32]);
  const y = torch.randint(0, 10, [BATCH]);
  let last = 0;
  const step = () => {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    opt.step();
    last = loss.item();
  };
  for (let i = 0; i < 2; i++) step();
  if (process.env.PROFILE) {
    // Time per Backend method over a few steps (wraps every function-valued member).
    const totals = new Map();
    const proto = Object.getPrototypeOf(b);
    for (const name of Object.getOwnPropertyNames(proto)) {
      const f = b[name];
      if (typeof f !== 'function' || name === 'constructor') continue;
      b[name] = function (...args) {
        const t0 = now();
        try {
          return f.apply(this, args);
        } finally {
          const e = totals.get(name) ?? [0, 0];
          e[0] += now() - t0;
          e[1]++;
          totals.set(name, e);
        }
      };
    }
    const P = 5;
    const t0 = now();
    for (let i = 0; i < P; i++) step();
    const all = (now() - t0) / P;
    let inB = 0;
    for (const [name, [ms, n]] of [...totals].sort((x, y) => y[1][0] - x[1][0])) {
      inB += ms / P;
      console.log(
        `  ${name.padEnd(24)} ${(ms / P).toFixed(2).padStart(8)} ms/step  ${(n / P).toFixed(0).padStart(4)} calls`,
      );
    }
    console.log(`  step ${all.toFixed(2)} ms, in backend ${inB.toFixed(2)} ms`);
    for (const name of totals.keys()) delete b[name];
  }
  const inner = useCpu ? 1 : Number(process.env.INNER ?? 3);
  const cpu0 = threadCpu();
  const { med, min, p10 } = median(
    () => {
      for (let i = 0; i < inner; i++) step();
    },
    useCpu ? Math.min(REPS, 3) : REPS,
  );
  const ms = med / inner;
  if (cpu0) {
    // With a pool: the calling thread's CPU time per step (its serial work and its shares),
    // and the workers'. On a busy machine the wall clock counts waits for a descheduled
    // worker; the calling thread's CPU time is what a step costs when both threads run.
    const cpu1 = threadCpu();
    const steps = inner * ((useCpu ? Math.min(REPS, 3) : REPS) + 1);
    const main = (cpu1.main - cpu0.main) / steps;
    const workers = (cpu1.all - cpu0.all - (cpu1.main - cpu0.main)) / steps;
    console.log(
      `  CPU per step: calling thread ${main.toFixed(1)} ms (${fmt((BATCH * 1000) / main, 0)} img/s if it never waits), workers ${workers.toFixed(1)} ms`,
    );
  }
  console.log(
    `CNN step batch ${BATCH}`.padEnd(30),
    `${fmt((BATCH * 1000) / ms, 0)} img/s median (${ms.toFixed(1)} ms/step), ${fmt((BATCH * 1000 * inner) / p10, 0)} p10, ${fmt((BATCH * 1000 * inner) / min, 0)} best; loss ${last.toFixed(4)}`,
  );
}

if (what === 'adam' || what === 'all') {
  const N = Number(process.env.N ?? 1e7);
  const STEPS = Number(process.env.STEPS ?? 15);
  // The copy limit: one thread copying the bytes the four buffers hold (param, grad, expAvg,
  // expAvgSq: 16 bytes per parameter) on a backend without threads, whatever THREADS says,
  // the fastest of JS's copyWithin and wasm's memory.copy (the backend's copy kernel).
  const single = useCpu ? b : await wasmSimd({ initialMemoryMB: 1024 });
  let copyMs = Number.POSITIVE_INFINITY;
  if (!useCpu) {
    const n4 = 4 * N;
    const s = single.alloc('float32', n4);
    const o = single.alloc('float32', n4);
    single.fill(s, 1);
    single.fill(o, 2);
    const rt = single.rt;
    // One thread: timed in this process's CPU time even when THREADS > 1 (nothing else runs).
    const cpuMedian = (fn) => {
      fn();
      const ts = [];
      for (let r = 0; r < STEPS; r++) {
        const u0 = process.cpuUsage();
        fn();
        const u1 = process.cpuUsage(u0);
        ts.push((u1.user + u1.system) / 1000);
      }
      ts.sort((x, y) => x - y);
      return { med: ts[ts.length >> 1] };
    };
    const js = cpuMedian(() => rt.u8.copyWithin(o.ptr, s.ptr, s.ptr + 16 * N));
    const wasm = cpuMedian(() => {
      rt.writeMeta([16 * N], [1]);
      rt.k.copy(1, s.ptr, o.ptr, 1, rt.meta);
    });
    copyMs = Math.min(js.med, wasm.med);
    console.log(
      `copy limit, 1 thread`.padEnd(30),
      `${fmt(copyMs, 2)} ms for 16 B/param (${fmt(N / copyMs / 1e3, 0)} Mparam/s, ${((32 * N) / copyMs / 1e6).toFixed(1)} GB/s read+written);`,
      `copyWithin ${js.med.toFixed(2)} ms, memory.copy ${wasm.med.toFixed(2)} ms`,
    );
    single.free(s);
    single.free(o);
  }
  const p = torch.randn([N]);
  p.requiresGrad_(true);
  p.grad = torch.randn([N]).mul(0.1);
  const opt = new torch.optim.Adam([p], { lr: 1e-3 });
  const c0 = threadCpu();
  const r = median(() => opt.step(), STEPS);
  if (c0) {
    const c1 = threadCpu();
    const main = (c1.main - c0.main) / (STEPS + 1);
    const workers = (c1.all - c0.all - (c1.main - c0.main)) / (STEPS + 1);
    console.log(
      `  CPU per step: calling thread ${main.toFixed(2)} ms (${(copyMs / main).toFixed(2)}x the copy limit if it never waits), workers ${workers.toFixed(2)} ms`,
    );
  }
  console.log(
    `optim.Adam ${N} params`.padEnd(30),
    `${fmt(r.med, 2)} ms/step median (${fmt(N / r.med / 1e3, 0)} Mparam/s), best ${r.min.toFixed(2)} ms;`,
    `${(copyMs / r.med).toFixed(2)}x the copy limit (median), ${(copyMs / r.min).toFixed(2)}x (best)`,
  );
}
if (!useCpu) b.destroy?.();
process.exit(0);
