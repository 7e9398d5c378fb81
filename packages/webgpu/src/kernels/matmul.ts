/**
 * Batched matmul, tiled through workgroup memory: each 16x16 workgroup computes a 16x16
 * output tile, staging 16x16 tiles of A and B per step along k. Transposed operands are
 * read transposed while staging, so no copy is made. Accumulates in the operands' type
 * in a fixed k order (deterministic).
 */
import { paramBytesFor, type Runtime } from '../runtime.js';
import { type GpuStorage, wgslType } from '../storage.js';

const T = 16;

export function matmul(
  rt: Runtime,
  a: GpuStorage,
  b: GpuStorage,
  out: GpuStorage,
  dims: { batch: number; m: number; k: number; n: number },
  opts: { transA: boolean; transB: boolean; aBatchStride: number; bBatchStride: number },
): void {
  const { batch, m, k, n } = dims;
  if (batch === 0 || m === 0 || n === 0) return;
  const t = wgslType(out.dtype);
  const ta = wgslType(a.dtype);
  const tb = wgslType(b.dtype);
  const key = `matmul:${ta}${tb}${t}:${opts.transA ? 1 : 0}${opts.transB ? 1 : 0}`;
  const kernel = rt.kernel(key, 'rrw', paramBytesFor(8), () => {
    const aIdx = opts.transA ? 'aoff + c * m + r' : 'aoff + r * kk + c';
    const bIdx = opts.transB ? 'boff + c * kk + r' : 'boff + r * n + c';
    return `
@group(1) @binding(0) var<storage, read> A: array<${ta}>;
@group(1) @binding(1) var<storage, read> B: array<${tb}>;
@group(1) @binding(2) var<storage, read_write> C: array<${t}>;
var<workgroup> tA: array<array<${t}, ${T}>, ${T}>;
var<workgroup> tB: array<array<${t}, ${T}>, ${T}>;
fn loadA(aoff: u32, r: u32, c: u32, m: u32, kk: u32) -> ${t} {
  if (r < m && c < kk) { return ${t}(A[${aIdx}]); }
  return ${t}(0);
}
fn loadB(boff: u32, r: u32, c: u32, kk: u32, n: u32) -> ${t} {
  if (r < kk && c < n) { return ${t}(B[${bIdx}]); }
  return ${t}(0);
}
@compute @workgroup_size(${T}, ${T})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let m = pu(0u); let kk = pu(1u); let n = pu(2u);
  let bi = wid.z + pu(5u);
  let aoff = bi * pu(3u);
  let boff = bi * pu(4u);
  let row = wid.y * ${T}u + lid.y;
  let col = wid.x * ${T}u + lid.x;
  var acc: ${t} = ${t}(0);
  let tiles = (kk + ${T - 1}u) / ${T}u;
  for (var tt = 0u; tt < tiles; tt++) {
    let k0 = tt * ${T}u;
    tA[lid.y][lid.x] = loadA(aoff, row, k0 + lid.x, m, kk);
    tB[lid.y][lid.x] = loadB(boff, k0 + lid.y, col, kk, n);
    workgroupBarrier();
    for (var q = 0u; q < ${T}u; q++) {
      acc = acc + tA[lid.y][q] * tB[q][lid.x];
    }
    workgroupBarrier();
  }
  if (row < m && col < n) {
    C[(bi * m + row) * n + col] = acc;
  }
}
`;
  });
  for (let b0 = 0; b0 < batch; b0 += 65535) {
    const nb = Math.min(65535, batch - b0);
    const off = rt.beginParams(kernel);
    const p = rt.params;
    p.u(0, m);
    p.u(1, k);
    p.u(2, n);
    p.u(3, opts.aBatchStride);
    p.u(4, opts.bBatchStride);
    p.u(5, b0);
    rt.run(kernel, off, [a.buf, b.buf, out.buf], Math.ceil(n / T), Math.ceil(m / T), nb);
  }
}
