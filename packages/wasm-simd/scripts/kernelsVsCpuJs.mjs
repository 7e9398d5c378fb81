// Kernel timings, wasm-simd against cpu-js on the same ops (not a test; after a build:
// `node scripts/kernelsVsCpuJs.mjs`). Best of 10, in process CPU time.
import * as torch from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { wasmSimd } from '../dist/index.js';

const W = await wasmSimd({ initialMemoryMB: 512 });
const C = cpuJs();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
function best(fn, reps = 10) {
  fn();
  let t = 1e9;
  for (let r = 0; r < reps; r++) {
    const t0 = cpuMs();
    fn();
    t = Math.min(t, cpuMs() - t0);
  }
  return t;
}
function bench(name, f) {
  const out = [];
  for (const b of [W, C]) {
    torch.setBackend(b);
    out.push(best(f(b)));
  }
  console.log(
    name.padEnd(36),
    'wasm',
    out[0].toFixed(3).padStart(8),
    'cpu-js',
    out[1].toFixed(3).padStart(8),
    'x',
    (out[1] / out[0]).toFixed(2),
  );
}
const N = 1 << 20;
bench('exp f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.exp().dispose();
});
bench('sigmoid f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.sigmoid().dispose();
});
bench('tanh f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.tanh().dispose();
});
bench('add f32 1M', () => {
  const x = torch.randn([N]);
  const y = torch.randn([N]);
  return () => x.add(y).dispose();
});
bench('add bias [1024,1024]+[1024]', () => {
  const x = torch.randn([1024, 1024]);
  const y = torch.randn([1024]);
  return () => x.add(y).dispose();
});
bench('add col [1024,1024]+[1024,1]', () => {
  const x = torch.randn([1024, 1024]);
  const y = torch.randn([1024, 1]);
  return () => x.add(y).dispose();
});
bench('mul scalar f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.mul(3).dispose();
});
bench('relu f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.relu().dispose();
});
bench('gt f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.gt(0).dispose();
});
bench('sum all f32 1M', () => {
  const x = torch.randn([N]);
  return () => x.sum().dispose();
});
bench('sum dim0 [1024,1024]', () => {
  const x = torch.randn([1024, 1024]);
  return () => x.sum(0).dispose();
});
bench('sum dim1 [1024,1024]', () => {
  const x = torch.randn([1024, 1024]);
  return () => x.sum(1).dispose();
});
bench('max dim1 [1024,1024]', () => {
  const x = torch.randn([1024, 1024]);
  return () => x.max(1).dispose?.();
});
bench('softmax dim1 [1024,1024]', () => {
  const x = torch.randn([1024, 1024]);
  return () => x.softmax(1).dispose();
});
bench('transpose contiguous [1024,1024]', () => {
  const x = torch.randn([1024, 1024]);
  return () => x.T.contiguous().dispose();
});
bench('matmul f64 256^3', () => {
  const x = torch.randn([256, 256], { dtype: 'float64' });
  const y = torch.randn([256, 256], { dtype: 'float64' });
  return () => x.matmul(y).dispose();
});
bench('matmul f32 256^3', () => {
  const x = torch.randn([256, 256]);
  const y = torch.randn([256, 256]);
  return () => x.matmul(y).dispose();
});
bench('conv2d 32x16x28x28 k3 ->32', () => {
  const x = torch.randn([32, 16, 28, 28]);
  const w = torch.randn([32, 16, 3, 3]);
  return () => torch.nn.functional.conv2d(x, w, { padding: 1 }).dispose();
});
bench('maxpool 32x32x28x28 k2', () => {
  const x = torch.randn([32, 32, 28, 28]);
  const p = new torch.nn.MaxPool2d(2);
  return () => p.forward(x).dispose();
});
bench('indexSelect [10000,64] 5000', () => {
  const x = torch.randn([10000, 64]);
  const i = torch.tensor(
    Array.from({ length: 5000 }, (_, k) => (k * 7) % 10000),
    { dtype: 'int32' },
  );
  return () => x.indexSelect(0, i).dispose();
});
