/**
 * Reductions along the middle axis of [outer, len, inner]. Deterministic: a fixed
 * assignment of elements to invocations and a fixed combine order, no atomics.
 * Short axes: one invocation per output walks the axis. Long axes: one workgroup per
 * output, each invocation strides over the axis, then a tree reduction in workgroup memory.
 */
import type { ReduceOp } from '@stepwise/core';
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import { GpuStorage, wgslType } from '../storage.js';
import { WGSL_MATH } from './wgslMath.js';

const LONG_AXIS = 64;

function isArg(op: ReduceOp): boolean {
  return op === 'argmax' || op === 'argmin';
}

/**
 * WGSL for the identity, the fold of one element `x` at axis index `j`, and the combine of
 * two partials (av, ai) and (bv, bi). An arg-reduction takes the first element it sees
 * (`j == start`) even when it equals the identity, so an all -inf axis still gets an index.
 */
function ops(op: ReduceOp, t: 'f32' | 'i32'): { init: string; fold: string; combine: string } {
  const f = t === 'f32';
  switch (op) {
    case 'sum':
      return { init: `${t}(0)`, fold: 'acc = acc + x;', combine: 'av = av + bv;' };
    case 'prod':
      return { init: `${t}(1)`, fold: 'acc = acc * x;', combine: 'av = av * bv;' };
    case 'max':
    case 'argmax':
    case 'min':
    case 'argmin': {
      const gt = op === 'max' || op === 'argmax' ? '>' : '<';
      const init = f
        ? gt === '>'
          ? '-f_inf()'
          : 'f_inf()'
        : gt === '>'
          ? 'i32(-2147483647 - 1)'
          : '2147483647i';
      // NaN wins and stays (PyTorch propagates it); ties keep the lower index.
      const better = f
        ? `(!is_nan(av) && (is_nan(bv) || bv ${gt} av)) || ((bv == av || (is_nan(av) && is_nan(bv))) && bi < ai)`
        : `bv ${gt} av || (bv == av && bi < ai)`;
      const foldBetter = f ? `!is_nan(acc) && (is_nan(x) || x ${gt} acc)` : `x ${gt} acc`;
      return {
        init,
        fold: `if ((${foldBetter})${isArg(op) ? ' || j == start' : ''}) { acc = x; accI = i32(j); }`,
        combine: `if (${better}) { av = bv; ai = bi; }`,
      };
    }
  }
}

/**
 * Long axes with few outputs would leave most of the GPU idle (one workgroup per output),
 * so the axis is cut into chunks reduced in parallel into a pooled temporary
 * [outer, chunks, inner], then reduced again: still a fixed order, so deterministic.
 */
const SPLIT_AXIS = 1 << 15;
const CHUNK = 1 << 12;

export function reduce(
  rt: Runtime,
  op: ReduceOp,
  x: GpuStorage,
  outer: number,
  len: number,
  inner: number,
  out: GpuStorage,
): void {
  const nOut = outer * inner;
  if (nOut === 0) return;
  if (!isArg(op) && len >= SPLIT_AXIS && nOut < 1024) {
    const chunks = Math.ceil(len / CHUNK);
    const size = outer * chunks * inner;
    const { buf } = rt.storagePool.acquire(size * 4);
    const tmp = new GpuStorage(out.dtype, size, buf);
    launch(rt, op, x, outer, len, inner, tmp, chunks, CHUNK);
    launch(rt, op, tmp, outer, chunks, inner, out, 1, chunks);
    // Later commands reuse it only after these two (stream order).
    rt.storagePool.release(buf);
    return;
  }
  launch(rt, op, x, outer, len, inner, out, 1, len);
}

function launch(
  rt: Runtime,
  op: ReduceOp,
  x: GpuStorage,
  outer: number,
  len: number,
  inner: number,
  out: GpuStorage,
  chunks: number,
  chunkLen: number,
): void {
  const nOut = outer * chunks * inner;
  const tIn = wgslType(x.dtype);
  const arg = isArg(op);
  // Sums and products accumulate in the output's type (a bool sum counts in int32).
  const t = arg ? tIn : wgslType(out.dtype);
  const tOut = wgslType(out.dtype);
  const o = ops(op, t);
  // A workgroup per output for long axes, unless the axis is strided (inner > 1) and the
  // outputs are many: then one invocation per output keeps neighbouring invocations on
  // neighbouring addresses (coalesced) and still fills the device.
  // On a CPU-backed adapter workgroup barriers are costly and a few hundred invocations
  // already fill the cores: there the tree only serves long axes with very few outputs.
  const long =
    chunks > 1 ||
    (rt.cpuAdapter ? len >= 1024 && nOut < 64 : len >= LONG_AXIS && (inner === 1 || nOut < 2048));
  // One invocation walking a long axis sums with Kahan compensation (f32 only).
  const kahan = !long && op === 'sum' && t === 'f32';
  const paramBytes = paramBytesFor(6);
  const key = `reduce:${op}:${tIn}:${t}:${tOut}:${long ? 'wg' : 'th'}`;
  const fold = kahan
    ? // `one` is 1.0 from the params: it keeps the compiler from simplifying (acc + y) - acc
      // to y, which would cancel the compensation. An infinite partial makes the
      // compensation NaN: drop it then (the sum is infinite or NaN anyway).
      'let y = x - comp; let tt = acc + y; comp = (tt * one - acc) - y; acc = tt; if (is_nan(comp) || is_inf(comp)) { comp = 0.0; }'
    : o.fold;
  const result = arg ? 'accI' : 'acc';
  const kernel = rt.kernel(key, 'rw', paramBytes, () => {
    let src = `${WGSL_MATH}
@group(1) @binding(0) var<storage, read> xs: array<${tIn}>;
@group(1) @binding(1) var<storage, read_write> out: array<${tOut}>;
`;
    if (!long) {
      src += `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  let len = pu(1u); let inner = pu(2u);
  if (idx >= pu(0u)) { return; }
  let o = idx / inner; let i = idx - o * inner;
  let base = o * len * inner + i;
  var acc: ${t} = ${o.init};
  var accI: i32 = 0;
  var comp: f32 = 0.0;
  let one = pf(5u);
  let start = 0u;
  for (var j = 0u; j < len; j++) {
    let x = ${t}(xs[base + j * inner]);
    ${fold}
  }
  out[idx] = ${tOut}(${result});
}
`;
    } else {
      src += `
var<workgroup> sv: array<${t}, ${WORKGROUP}>;
var<workgroup> si: array<i32, ${WORKGROUP}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = wid.x + wid.y * nw.x;
  let len = pu(1u); let inner = pu(2u); let chunkLen = pu(3u); let chunks = pu(4u);
  // Uniform control flow: every invocation reaches the barriers, idle ones fold nothing.
  let live = idx < pu(0u);
  // Output idx is (o, c, i) of [outer, chunks, inner]: chunk c of the axis.
  let i = idx % inner; let oc = idx / inner; let c = oc % chunks; let o = oc / chunks;
  let j0 = c * chunkLen; let j1 = min(len, j0 + chunkLen);
  let base = o * len * inner + i;
  var acc: ${t} = ${o.init};
  var accI: i32 = 0;
  let start = j0 + lid;
  if (live) {
    for (var j = j0 + lid; j < j1; j += ${WORKGROUP}u) {
      let x = ${t}(xs[base + j * inner]);
      ${fold}
    }
  }
  if (j0 + lid >= j1) { accI = 2147483647; }
  sv[lid] = acc; si[lid] = accI;
  for (var s = ${WORKGROUP / 2}u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) {
      var av = sv[lid]; var ai = si[lid];
      let bv = sv[lid + s]; let bi = si[lid + s];
      ${o.combine}
      sv[lid] = av; si[lid] = ai;
    }
  }
  if (lid == 0u && live) {
    let acc = sv[0]; let accI = si[0];
    out[idx] = ${tOut}(${result});
  }
}
`;
    }
    return src;
  });
  const off = rt.beginParams(kernel);
  rt.params.u(0, nOut);
  rt.params.u(1, len);
  rt.params.u(2, inner);
  rt.params.u(3, chunkLen);
  rt.params.u(4, chunks);
  rt.params.f(5, 1);
  if (long) {
    const x0 = Math.min(nOut, 65535);
    rt.run(kernel, off, [x.buf, out.buf], x0, Math.ceil(nOut / x0));
  } else {
    const [gx, gy] = rt.grid1d(nOut);
    rt.run(kernel, off, [x.buf, out.buf], gx, gy);
  }
}
