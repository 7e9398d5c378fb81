/**
 * Max pooling (-inf padding) and its backward. Forward: one invocation per output, which
 * records the flat in-plane index of the chosen input (NaN is chosen, as in PyTorch).
 * Backward: one invocation per input element gathers the gradients of the outputs that
 * chose it, so no atomics and a fixed summation order.
 */
import { type Pool2dGeometry, pool2dGeometryValues } from '@stepwise/core';
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import type { GpuStorage } from '../storage.js';
import { WGSL_MATH } from './wgslMath.js';

const GEOM = `
  let C = pi(0u); let H = pi(1u); let W = pi(2u); let OH = pi(3u); let OW = pi(4u);
  let KH = pi(5u); let KW = pi(6u); let SH = pi(7u); let SW = pi(8u); let PH = pi(9u); let PW = pi(10u);
  let DH = pi(11u); let DW = pi(12u);
`;

function writeGeometry(rt: Runtime, g: Pool2dGeometry): void {
  for (const [i, v] of pool2dGeometryValues(g).entries()) rt.params.i(i, v);
}

const HEAD = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nw.x * ${WORKGROUP}u);
`;

export function maxPool2d(
  rt: Runtime,
  x: GpuStorage,
  out: GpuStorage,
  argmax: GpuStorage,
  g: Pool2dGeometry,
): void {
  const total = g.channels * g.outH * g.outW;
  if (total === 0) return;
  const kernel = rt.kernel('maxPool2d', 'rww', paramBytesFor(13), () => {
    return `${WGSL_MATH}
@group(1) @binding(0) var<storage, read> X: array<f32>;
@group(1) @binding(1) var<storage, read_write> Y: array<f32>;
@group(1) @binding(2) var<storage, read_write> AM: array<i32>;
${HEAD}
${GEOM}
  if (idx >= C * OH * OW) { return; }
  let ow = idx % OW; let oh = (idx / OW) % OH; let c = idx / (OW * OH);
  var hs = oh * SH - PH; var ws = ow * SW - PW;
  let he = min(hs + (KH - 1) * DH + 1, H); let we = min(ws + (KW - 1) * DW + 1, W);
  while (hs < 0) { hs += DH; }
  while (ws < 0) { ws += DW; }
  var best = -f_inf();
  var bi = hs * W + ws;
  let base = c * H * W;
  for (var ih = hs; ih < he; ih += DH) {
    for (var iw = ws; iw < we; iw += DW) {
      let v = X[base + ih * W + iw];
      if (v > best || is_nan(v)) { best = v; bi = ih * W + iw; }
    }
  }
  Y[idx] = best;
  AM[idx] = bi;
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [x.buf, out.buf, argmax.buf], gx, gy);
}

export function maxPool2dBackward(
  rt: Runtime,
  gradOut: GpuStorage,
  argmax: GpuStorage,
  gradX: GpuStorage,
  g: Pool2dGeometry,
): void {
  const total = g.channels * g.inH * g.inW;
  if (total === 0) return;
  const kernel = rt.kernel('maxPool2dBackward', 'rrw', paramBytesFor(13), () => {
    return `
@group(1) @binding(0) var<storage, read> GY: array<f32>;
@group(1) @binding(1) var<storage, read> AM: array<i32>;
@group(1) @binding(2) var<storage, read_write> GX: array<f32>;
${HEAD}
${GEOM}
  if (idx >= C * H * W) { return; }
  let iw = idx % W; let ih = (idx / W) % H; let c = idx / (W * H);
  let me = ih * W + iw;
  var acc = 0.0;
  // Descending kernel offsets visit outputs in ascending order (a fixed summation order).
  for (var kh = KH - 1; kh >= 0; kh--) {
    let th = ih + PH - kh * DH;
    if (th < 0 || th % SH != 0) { continue; }
    let oh = th / SH;
    if (oh >= OH) { continue; }
    for (var kw = KW - 1; kw >= 0; kw--) {
      let tw = iw + PW - kw * DW;
      if (tw < 0 || tw % SW != 0) { continue; }
      let ow = tw / SW;
      if (ow >= OW) { continue; }
      let o = (c * OH + oh) * OW + ow;
      if (AM[o] == me) { acc = acc + GY[o]; }
    }
  }
  GX[idx] = acc;
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [gradOut.buf, argmax.buf, gradX.buf], gx, gy);
}
