/**
 * Sorting positions on the GPU (`Backend.sortRows`): a bitonic network over each row padded
 * to a power of two P. Every pass compares the pairs (i, i ^ j) of a row and swaps their
 * positions when out of order; log₂P·(log₂P + 1)/2 passes sort it: O(n log² n) work a row,
 * all on the device, where ranking by comparisons (core's fallback) does O(n²).
 *
 * The network sorts positions, not values: each comparison reads the two values through
 * them, and equal values (or two NaNs) are ordered by position, so the result is the stable
 * order whatever the network's own order of swaps. Padding positions (≥ n) come after every
 * real one in either direction. NaN sorts above +inf, so first when descending, as in
 * PyTorch.
 */
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import type { GpuStorage } from '../storage.js';

/** p's value comes before q's in row `base` (positions; both < n). */
const BEFORE = (t: 'f32' | 'i32') => `
fn before(p: i32, q: i32, base: u32, n: i32, desc: bool) -> bool {
  if (q >= n) { return p < n || p < q; }
  if (p >= n) { return false; }
  let vp = X[base + u32(p)];
  let vq = X[base + u32(q)];
${
  t === 'f32'
    ? `  let np = (bitcast<u32>(vp) & 0x7fffffffu) > 0x7f800000u;
  let nq = (bitcast<u32>(vq) & 0x7fffffffu) > 0x7f800000u;
  if (np || nq) {
    if (np && nq) { return p < q; }
    return select(nq, np, desc);
  }`
    : ''
}
  if (vp != vq) { return select((vp < vq), (vp > vq), desc); }
  return p < q;
}
`;

const HEAD = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (idx >= pu(0u)) { return; }
  let P = pu(1u); let n = pu(2u); let k = pu(3u); let j = pu(4u); let desc = pu(5u) == 1u;
  let r = idx / P; let i = idx % P;
`;

/** Positions 0..P-1 in each row of the work buffer. */
const INIT = `  W[idx] = i32(i);`;

/** One pass of the network: segments of k, partners j apart. */
const PASS = `  let l = i ^ j;
  if (l <= i) { return; }
  let a = W[r * P + i];
  let b = W[r * P + l];
  let up = (i & k) == 0u;
  let swap = select(before(a, b, r * n, i32(n), desc), before(b, a, r * n, i32(n), desc), up);
  if (swap) { W[r * P + i] = b; W[r * P + l] = a; }`;

/** The first n positions of each sorted row into the output. */
const EMIT = `  if (i < n) { O[r * n + i] = W[idx]; }`;

function run(
  rt: Runtime,
  name: string,
  t: 'f32' | 'i32',
  body: string,
  bufs: { x: GpuStorage; work: GpuStorage; out: GpuStorage },
  rows: number,
  P: number,
  n: number,
  k: number,
  j: number,
  desc: boolean,
): void {
  const kernel = rt.kernel(`sort:${name}:${t}`, 'rww', paramBytesFor(6), () => {
    const decl =
      `@group(1) @binding(0) var<storage, read> X: array<${t}>;\n` +
      '@group(1) @binding(1) var<storage, read_write> W: array<i32>;\n' +
      '@group(1) @binding(2) var<storage, read_write> O: array<i32>;\n';
    return `${decl}${BEFORE(t)}${HEAD}${body}\n}\n`;
  });
  const total = rows * P;
  const off = rt.beginParams(kernel);
  rt.params.u(0, total);
  rt.params.u(1, P);
  rt.params.u(2, n);
  rt.params.u(3, k);
  rt.params.u(4, j);
  rt.params.u(5, desc ? 1 : 0);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [bufs.x.buf, bufs.work.buf, bufs.out.buf], gx, gy);
}

/** The smallest power of two ≥ n (n ≥ 1). */
export function paddedLength(n: number): number {
  return 2 ** Math.ceil(Math.log2(n));
}

/**
 * Sorts the positions of each row of `x` ([rows, n], f32 or i32) into `out` ([rows, n]
 * int32), using `work` ([rows, paddedLength(n)] int32) as the network's buffer.
 */
export function sortRows(
  rt: Runtime,
  x: GpuStorage,
  work: GpuStorage,
  out: GpuStorage,
  rows: number,
  n: number,
  descending: boolean,
): void {
  const t = x.dtype === 'float32' ? 'f32' : 'i32';
  const P = paddedLength(n);
  const bufs = { x, work, out };
  run(rt, 'init', t, INIT, bufs, rows, P, n, 0, 0, descending);
  for (let k = 2; k <= P; k *= 2)
    for (let j = k / 2; j >= 1; j /= 2) run(rt, 'pass', t, PASS, bufs, rows, P, n, k, j, descending);
  run(rt, 'emit', t, EMIT, bufs, rows, P, n, 0, 0, descending);
}
