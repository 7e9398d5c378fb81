/**
 * Quick throughput check of the fused-program path (not a test): an Adam update
 * (PyTorch's torch.optim.Adam, single-tensor, weight decay on) over 1e7 float32
 * parameters, against a plain hand-written JS loop doing the same work.
 *
 *   pnpm --filter @stepwise/core --filter @stepwise/cpu-js build
 *   pnpm --filter @stepwise/cpu-js bench:fused        (N=1e6 STEPS=50 to change the size)
 */
import * as torch from '@stepwise/core';
import { defineFused } from '@stepwise/core';
import { CpuJsBackend } from '../dist/index.js';

const N = Number(process.env.N ?? 1e7);
const STEPS = Number(process.env.STEPS ?? 20);

const adam = defineFused(
  'adam',
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

const b = new CpuJsBackend();
const bufs = [0, 1, 2, 3].map(() => b.alloc('float32', N));
const init = new Float32Array(N);
for (let i = 0; i < N; i++) init[i] = Math.sin(i) * 0.5;
b.write(bufs[0], init);
for (let i = 0; i < N; i++) init[i] = Math.cos(i) * 0.1;
b.write(bufs[1], init);
const scalars = new Float64Array([1e-3, 0.9, 0.999, 1e-8, 1e-2, 0.1, 0.0316]);
const args = [{ buffers: bufs, scalars }];

/** Best of STEPS single steps: the machine is shared, the minimum is the least disturbed. */
function time(label, fn) {
  fn();
  fn();
  let best = Number.POSITIVE_INFINITY;
  for (let s = 0; s < STEPS; s++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  const mps = N / best / 1e3;
  console.log(
    `${label.padEnd(28)} ${best.toFixed(2).padStart(8)} ms/step  ${mps.toFixed(1).padStart(7)} Mparam/s`,
  );
  return mps;
}

time('cpu-js fused adam (f32)', () => b.fused(adam, args));

// The same update as a plain JS loop: the ceiling a JS backend can reach.
const P = bufs[0].data;
const G = bufs[1].data;
const M = bufs[2].data;
const V = bufs[3].data;
time('plain JS loop (f32)', () => {
  const [lr, b1, b2, eps, wd, bc1, bc2s] = scalars;
  const c1 = 1 - b1;
  const c2 = 1 - b2;
  const stepSize = lr / bc1;
  const n = P.length;
  for (let i = 0; i < n; i++) {
    const p = P[i];
    const g = G[i] + p * wd;
    const m0 = M[i];
    const m = m0 + (g - m0) * c1;
    const v = V[i] * b2 + g * g * c2;
    M[i] = m;
    V[i] = v;
    P[i] = p - (stepSize * m) / (Math.sqrt(v) / bc2s + eps);
  }
});

const b64 = new CpuJsBackend();
const bufs64 = [0, 1, 2, 3].map(() => b64.alloc('float64', N));
time('cpu-js fused adam (f64)', () => b64.fused(adam, [{ buffers: bufs64, scalars }]));

// The real thing: torch.optim.Adam (core's own fused program) stepping one 1e7 parameter.
torch.registerBackend(b);
const param = torch.randn([N], { backend: b }).requiresGrad_();
param.grad = torch.randn([N], { backend: b });
const opt = new torch.optim.Adam([param], { lr: 1e-3, weightDecay: 1e-2 });
time('torch.optim.Adam.step (f32)', () => opt.step());
