/**
 * Runs in a real browser (see ../browser.test.ts): the backend through `navigator.gpu`,
 * a sample of every kernel family checked against cpu-js, then a short Adam training run.
 * The outcome goes to `window.webgpuCheck`.
 */

// The tests' one seeded generator (core's mulberry32, re-exported for the tests).
import { mulberry32 as rng } from '@stepwise/conformance/seeded';
import type { Backend, Storage, TypedArray } from '@stepwise/core';
import * as torch from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { webgpu } from '../../src/index.js';

interface CheckResult {
  /** 'ok', or 'unavailable: <why>' when the browser offers no WebGPU adapter. */
  state: string;
  checks: number;
  failures: string[];
  losses: number[];
}

declare global {
  interface Window {
    webgpuCheck?: CheckResult;
  }
}

async function run(): Promise<CheckResult> {
  const result: CheckResult = { state: 'ok', checks: 0, failures: [], losses: [] };
  let g: Backend;
  try {
    g = await webgpu();
  } catch (e) {
    return { ...result, state: `unavailable: ${(e as Error).message}` };
  }
  const c = cpuJs();
  const r = rng(7);
  const up = (b: Backend, v: number[]): Storage => {
    const s = b.alloc('float32', v.length);
    b.write(s, Float32Array.from(v));
    return s;
  };
  const same = (what: string, a: TypedArray, e: TypedArray, rtol = 1e-5, atol = 1e-6): void => {
    result.checks++;
    for (let i = 0; i < e.length; i++) {
      const x = Number(a[i]);
      const y = Number(e[i]);
      const ok = Number.isNaN(y) ? Number.isNaN(x) : Math.abs(x - y) <= atol + rtol * Math.abs(y);
      if (!ok) {
        result.failures.push(`${what}[${i}]: webgpu ${x}, cpu-js ${y}`);
        return;
      }
    }
  };
  const values = Array.from({ length: 600 }, () => r() * 24 - 12);
  const both = (v: number[]) => ({ g: up(g, v), c: up(c, v) });
  const x = both(values);
  for (const op of ['exp', 'log', 'tanh', 'sigmoid', 'softplus', 'sqrt', 'relu'] as const) {
    const og = g.alloc('float32', values.length);
    const oc = c.alloc('float32', values.length);
    g.unary(op, x.g, og);
    c.unary(op, x.c, oc);
    same(op, await g.read(og), await c.read(oc));
  }
  const view = (s: Storage, shape: number[], strides: number[]) => ({
    storage: s,
    shape,
    strides,
    offset: 0,
  });
  {
    const og = g.alloc('float32', 600);
    const oc = c.alloc('float32', 600);
    g.binary('pow', view(x.g, [20, 30], [30, 1]), view(x.g, [20, 30], [0, 1]), og, [20, 30]);
    c.binary('pow', view(x.c, [20, 30], [30, 1]), view(x.c, [20, 30], [0, 1]), oc, [20, 30]);
    same('pow broadcast', await g.read(og), await c.read(oc));
  }
  for (const op of ['sum', 'max', 'argmax'] as const) {
    const dt = op === 'argmax' ? 'int32' : 'float32';
    const og = g.alloc(dt, 6);
    const oc = c.alloc(dt, 6);
    g.reduce(op, x.g, 2, 100, 3, og);
    c.reduce(op, x.c, 2, 100, 3, oc);
    same(`reduce ${op}`, await g.read(og), await c.read(oc), 1e-4, 1e-4);
  }
  for (const [m, k, n] of [
    [5, 7, 3],
    [60, 10, 60],
  ] as const) {
    const a = both(values.slice(0, m * k));
    const b = both(values.slice(0, k * n));
    const og = g.alloc('float32', m * n);
    const oc = c.alloc('float32', m * n);
    const opts = { transA: false, transB: true, aBatchStride: 0, bBatchStride: 0 };
    g.matmul(a.g, b.g, og, { batch: 1, m, k, n }, opts);
    c.matmul(a.c, b.c, oc, { batch: 1, m, k, n }, opts);
    same(`matmul ${m}x${k}x${n}`, await g.read(og), await c.read(oc), 1e-5, 1e-4);
  }
  {
    const geo = {
      batch: 2,
      inChannels: 2,
      inH: 6,
      inW: 6,
      outChannels: 3,
      outH: 3,
      outW: 3,
      kH: 3,
      kW: 3,
      strideH: 2,
      strideW: 2,
      padH: 1,
      padW: 1,
      dilationH: 1,
      dilationW: 1,
      groups: 1,
    };
    const xi = both(values.slice(0, 144));
    const w = both(values.slice(200, 254));
    const og = g.alloc('float32', 54);
    const oc = c.alloc('float32', 54);
    g.conv2d(xi.g, w.g, og, geo);
    c.conv2d(xi.c, w.c, oc, geo);
    same('conv2d', await g.read(og), await c.read(oc), 1e-5, 1e-4);
    const gw = g.alloc('float32', 54);
    const cw = c.alloc('float32', 54);
    g.conv2dBackwardWeight(og, xi.g, gw, geo);
    c.conv2dBackwardWeight(oc, xi.c, cw, geo);
    same('conv2dBackwardWeight', await g.read(gw), await c.read(cw), 1e-4, 1e-3);
  }
  // A short training run: Adam on an MLP, the fused optimizer path, in the browser.
  torch.registerBackend(g);
  torch.setBackend(g);
  torch.manualSeed(1);
  const model = new torch.nn.Sequential(
    new torch.nn.Linear(2, 16),
    new torch.nn.Tanh(),
    new torch.nn.Linear(16, 1),
  );
  const opt = new torch.optim.Adam(model.parameters(), { lr: 1e-2 });
  const xs = torch.randn([64, 2]);
  const ys = xs.sum(1, true);
  const lossFn = new torch.nn.MSELoss();
  for (let i = 0; i < 60; i++) {
    const loss = lossFn.forward(model.forward(xs), ys);
    opt.zeroGrad();
    loss.backward();
    opt.step();
    if (i % 10 === 0 || i === 59) result.losses.push((await loss.data())[0]!);
  }
  return result;
}

run().then(
  (r) => {
    window.webgpuCheck = r;
  },
  (e: unknown) => {
    window.webgpuCheck = {
      state: `error: ${(e as Error)?.stack ?? String(e)}`,
      checks: 0,
      failures: [],
      losses: [],
    };
  },
);
