/**
 * Batched matmul. On a GPU, tiled through workgroup memory: for large products each 16x16
 * workgroup computes a 64x64 output tile, every invocation a 4x4 block held in registers,
 * staging 64x16 / 16x64 tiles of A and B per step along k; small products use 16x16 tiles,
 * one output per invocation. On a CPU-backed adapter, 4x4 register blocks read straight
 * from the operands (no barriers). Transposed operands are read transposed while staging, so no
 * copy is made. Each output accumulates in a fixed k order (deterministic).
 */
import { paramBytesFor, type Runtime } from '../runtime.js';
import { type GpuStorage, wgslType } from '../storage.js';

const T = 16;
/** Register-blocked variant: output tile edge and per-invocation block edge. */
const BT = 64;
const BR = 4;

function loaders(ta: string, tb: string, t: string, transA: boolean, transB: boolean): string {
  const aIdx = transA ? 'aoff + c * m + r' : 'aoff + r * kk + c';
  const bIdx = transB ? 'boff + c * kk + r' : 'boff + r * n + c';
  return `
@group(1) @binding(0) var<storage, read> A: array<${ta}>;
@group(1) @binding(1) var<storage, read> B: array<${tb}>;
@group(1) @binding(2) var<storage, read_write> C: array<${t}>;
fn loadA(aoff: u32, r: u32, c: u32, m: u32, kk: u32) -> ${t} {
  if (r < m && c < kk) { return ${t}(A[${aIdx}]); }
  return ${t}(0);
}
fn loadB(boff: u32, r: u32, c: u32, kk: u32, n: u32) -> ${t} {
  if (r < kk && c < n) { return ${t}(B[${bIdx}]); }
  return ${t}(0);
}
`;
}

function smallSource(ta: string, tb: string, t: string, transA: boolean, transB: boolean): string {
  return `${loaders(ta, tb, t, transA, transB)}
var<workgroup> tA: array<array<${t}, ${T}>, ${T}>;
var<workgroup> tB: array<array<${t}, ${T}>, ${T}>;
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
}

function blockedSource(ta: string, tb: string, t: string, transA: boolean, transB: boolean): string {
  const loads = (BT * T) / (T * T);
  return `${loaders(ta, tb, t, transA, transB)}
// As[k][m] and Bs[k][n]: one k-slice of the A and B tiles.
var<workgroup> As: array<${t}, ${BT * T}>;
var<workgroup> Bs: array<${t}, ${BT * T}>;
@compute @workgroup_size(${T}, ${T})
fn main(@builtin(local_invocation_id) lid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let m = pu(0u); let kk = pu(1u); let n = pu(2u);
  let bi = wid.z + pu(5u);
  let aoff = bi * pu(3u);
  let boff = bi * pu(4u);
  let tid = lid.y * ${T}u + lid.x;
  let r0 = wid.y * ${BT}u;
  let c0 = wid.x * ${BT}u;
  var acc: array<${t}, ${BR * BR}>;
  var av: array<${t}, ${BR}>;
  var bv: array<${t}, ${BR}>;
  let tiles = (kk + ${T - 1}u) / ${T}u;
  for (var tt = 0u; tt < tiles; tt++) {
    let k0 = tt * ${T}u;
    for (var l = 0u; l < ${loads}u; l++) {
      let e = tid + l * ${T * T}u;
      let ar = e / ${T}u; let ac = e % ${T}u;
      As[ac * ${BT}u + ar] = loadA(aoff, r0 + ar, k0 + ac, m, kk);
      let br = e / ${BT}u; let bc = e % ${BT}u;
      Bs[br * ${BT}u + bc] = loadB(boff, k0 + br, c0 + bc, kk, n);
    }
    workgroupBarrier();
    for (var q = 0u; q < ${T}u; q++) {
      for (var i = 0u; i < ${BR}u; i++) {
        av[i] = As[q * ${BT}u + lid.y * ${BR}u + i];
        bv[i] = Bs[q * ${BT}u + lid.x * ${BR}u + i];
      }
      for (var i = 0u; i < ${BR}u; i++) {
        for (var j = 0u; j < ${BR}u; j++) {
          acc[i * ${BR}u + j] = acc[i * ${BR}u + j] + av[i] * bv[j];
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${BR}u; i++) {
    let row = r0 + lid.y * ${BR}u + i;
    if (row >= m) { break; }
    for (var j = 0u; j < ${BR}u; j++) {
      let col = c0 + lid.x * ${BR}u + j;
      if (col < n) { C[(bi * m + row) * n + col] = acc[i * ${BR}u + j]; }
    }
  }
}
`;
}

/**
 * No workgroup memory: every invocation computes a 4x4 block straight from the operands.
 * On CPU-backed adapters (lavapipe, SwiftShader) barriers are costly and caches do the
 * tiling's work, so this is several times faster there than the tiled kernels.
 */
function directSource(ta: string, tb: string, t: string, transA: boolean, transB: boolean): string {
  return `${loaders(ta, tb, t, transA, transB)}
@compute @workgroup_size(${T}, ${T})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wid: vec3<u32>) {
  let m = pu(0u); let kk = pu(1u); let n = pu(2u);
  let bi = wid.z + pu(5u);
  let aoff = bi * pu(3u);
  let boff = bi * pu(4u);
  let r0 = gid.y * ${BR}u;
  let c0 = gid.x * ${BR}u;
  if (r0 >= m || c0 >= n) { return; }
  var acc: array<${t}, ${BR * BR}>;
  var av: array<${t}, ${BR}>;
  var bv: array<${t}, ${BR}>;
  for (var q = 0u; q < kk; q++) {
    for (var i = 0u; i < ${BR}u; i++) {
      av[i] = loadA(aoff, r0 + i, q, m, kk);
      bv[i] = loadB(boff, q, c0 + i, kk, n);
    }
    for (var i = 0u; i < ${BR}u; i++) {
      for (var j = 0u; j < ${BR}u; j++) {
        acc[i * ${BR}u + j] = acc[i * ${BR}u + j] + av[i] * bv[j];
      }
    }
  }
  for (var i = 0u; i < ${BR}u; i++) {
    let row = r0 + i;
    if (row >= m) { break; }
    for (var j = 0u; j < ${BR}u; j++) {
      let col = c0 + j;
      if (col < n) { C[(bi * m + row) * n + col] = acc[i * ${BR}u + j]; }
    }
  }
}
`;
}

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
  // The blocked kernel pays off once a 64x64 tile is mostly inside the output.
  // On a GPU: 64x64 register-blocked tiles for large products, 16x16 tiles for small ones.
  // On a CPU-backed adapter: the barrier-free 4x4 blocks.
  const variant = rt.cpuAdapter ? 'd' : m >= 48 && n >= 48 ? 'b' : 's';
  const tile = variant === 'b' ? BT : variant === 'd' ? T * BR : T;
  const key = `matmul:${variant}:${ta}${tb}${t}:${opts.transA ? 1 : 0}${opts.transB ? 1 : 0}`;
  const kernel = rt.kernel(key, 'rrw', paramBytesFor(8), () =>
    (variant === 'b' ? blockedSource : variant === 'd' ? directSource : smallSource)(
      ta,
      tb,
      t,
      opts.transA,
      opts.transB,
    ),
  );
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
    rt.run(kernel, off, [a.buf, b.buf, out.buf], Math.ceil(n / tile), Math.ceil(m / tile), nb);
  }
}
