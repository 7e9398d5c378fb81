/**
 * conv2d forward and its two backward pieces, as direct loops (no im2col buffer, so no
 * allocation). Forward and grad-input: one invocation per output element. Grad-weight:
 * one workgroup per weight element, reducing over batch x output positions in a fixed
 * order with a tree in workgroup memory (deterministic); on a CPU-backed adapter, one
 * invocation per weight element walking them in order.
 */
import { type Conv2dGeometry, conv2dGeometryValues } from '@stepwise/core';
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import type { GpuStorage } from '../storage.js';

const GEOM = `
  let N = pi(0u); let Cin = pi(1u); let H = pi(2u); let W = pi(3u);
  let Cout = pi(4u); let OH = pi(5u); let OW = pi(6u); let KH = pi(7u); let KW = pi(8u);
  let SH = pi(9u); let SW = pi(10u); let PH = pi(11u); let PW = pi(12u);
  let DH = pi(13u); let DW = pi(14u); let G = pi(15u);
  let cinG = Cin / G; let coutG = Cout / G;
`;

function writeGeometry(rt: Runtime, g: Conv2dGeometry): void {
  for (const [i, v] of conv2dGeometryValues(g).entries()) rt.params.i(i, v);
}

const HEAD = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = i32(gid.x + gid.y * nw.x * ${WORKGROUP}u);
`;

export function conv2d(rt: Runtime, x: GpuStorage, w: GpuStorage, out: GpuStorage, g: Conv2dGeometry): void {
  const total = g.batch * g.outChannels * g.outH * g.outW;
  if (total === 0) return;
  const kernel = rt.kernel('conv2d', 'rrw', paramBytesFor(16), () => {
    return `
@group(1) @binding(0) var<storage, read> X: array<f32>;
@group(1) @binding(1) var<storage, read> Wt: array<f32>;
@group(1) @binding(2) var<storage, read_write> Y: array<f32>;
${HEAD}
${GEOM}
  if (idx >= N * Cout * OH * OW) { return; }
  let ow = idx % OW; let oh = (idx / OW) % OH; let co = (idx / (OW * OH)) % Cout; let n = idx / (OW * OH * Cout);
  let g = co / coutG;
  var acc = 0.0;
  // Bounds are checked once per kernel offset; the channel loop inside is pure multiply-adds.
  for (var kh = 0; kh < KH; kh++) {
    let ih = oh * SH - PH + kh * DH;
    if (ih < 0 || ih >= H) { continue; }
    for (var kw = 0; kw < KW; kw++) {
      let iw = ow * SW - PW + kw * DW;
      if (iw < 0 || iw >= W) { continue; }
      for (var ci = 0; ci < cinG; ci++) {
        acc = acc + X[((n * Cin + g * cinG + ci) * H + ih) * W + iw] * Wt[((co * cinG + ci) * KH + kh) * KW + kw];
      }
    }
  }
  Y[idx] = acc;
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [x.buf, w.buf, out.buf], gx, gy);
}

export function conv2dBackwardInput(
  rt: Runtime,
  gradOut: GpuStorage,
  w: GpuStorage,
  gradX: GpuStorage,
  g: Conv2dGeometry,
): void {
  const total = g.batch * g.inChannels * g.inH * g.inW;
  if (total === 0) return;
  const kernel = rt.kernel('conv2dBackwardInput', 'rrw', paramBytesFor(16), () => {
    return `
@group(1) @binding(0) var<storage, read> GY: array<f32>;
@group(1) @binding(1) var<storage, read> Wt: array<f32>;
@group(1) @binding(2) var<storage, read_write> GX: array<f32>;
${HEAD}
${GEOM}
  if (idx >= N * Cin * H * W) { return; }
  let iw = idx % W; let ih = (idx / W) % H; let cf = (idx / (W * H)) % Cin; let n = idx / (W * H * Cin);
  let g = cf / cinG; let ci = cf - g * cinG;
  var acc = 0.0;
  // Descending kernel offsets visit output positions in ascending order; the checks and
  // divisions happen once per offset, the output-channel loop inside is multiply-adds.
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
      for (var co = g * coutG; co < (g + 1) * coutG; co++) {
        acc = acc + GY[((n * Cout + co) * OH + oh) * OW + ow] * Wt[((co * cinG + ci) * KH + kh) * KW + kw];
      }
    }
  }
  GX[idx] = acc;
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [gradOut.buf, w.buf, gradX.buf], gx, gy);
}

const WG_W = 64;

export function conv2dBackwardWeight(
  rt: Runtime,
  gradOut: GpuStorage,
  x: GpuStorage,
  gradW: GpuStorage,
  g: Conv2dGeometry,
): void {
  const total = g.outChannels * (g.inChannels / g.groups) * g.kH * g.kW;
  if (total === 0) return;
  if (rt.cpuAdapter) {
    conv2dBackwardWeightSerial(rt, gradOut, x, gradW, g, total);
    return;
  }
  const kernel = rt.kernel('conv2dBackwardWeight', 'rrw', paramBytesFor(16), () => {
    return `
@group(1) @binding(0) var<storage, read> GY: array<f32>;
@group(1) @binding(1) var<storage, read> X: array<f32>;
@group(1) @binding(2) var<storage, read_write> GW: array<f32>;
var<workgroup> part: array<f32, ${WG_W}>;
@compute @workgroup_size(${WG_W})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = i32(wid.x + wid.y * nw.x);
${GEOM}
  let live = idx < Cout * cinG * KH * KW;
  let kw = idx % KW; let kh = (idx / KW) % KH; let ci = (idx / (KW * KH)) % cinG; let co = idx / (KW * KH * cinG);
  let g = co / max(coutG, 1);
  let span = N * OH * OW;
  var acc = 0.0;
  if (live) {
    for (var q = i32(lid); q < span; q += ${WG_W}) {
      let ow = q % OW; let oh = (q / OW) % OH; let n = q / (OW * OH);
      let ih = oh * SH - PH + kh * DH;
      let iw = ow * SW - PW + kw * DW;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) { continue; }
      acc = acc + GY[((n * Cout + co) * OH + oh) * OW + ow] * X[((n * Cin + g * cinG + ci) * H + ih) * W + iw];
    }
  }
  part[lid] = acc;
  for (var s = ${WG_W / 2}u; s > 0u; s = s >> 1u) {
    workgroupBarrier();
    if (lid < s) { part[lid] = part[lid] + part[lid + s]; }
  }
  if (lid == 0u && live) { GW[idx] = part[0]; }
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const x0 = Math.min(total, 65535);
  rt.run(kernel, off, [gradOut.buf, x.buf, gradW.buf], x0, Math.ceil(total / x0));
}

/**
 * Grad-weight with one invocation per weight element walking batch x output positions in
 * order: no workgroup barriers, which cost more than they save on a CPU-backed adapter.
 */
function conv2dBackwardWeightSerial(
  rt: Runtime,
  gradOut: GpuStorage,
  x: GpuStorage,
  gradW: GpuStorage,
  g: Conv2dGeometry,
  total: number,
): void {
  const kernel = rt.kernel('conv2dBackwardWeightSerial', 'rrw', paramBytesFor(16), () => {
    return `
@group(1) @binding(0) var<storage, read> GY: array<f32>;
@group(1) @binding(1) var<storage, read> X: array<f32>;
@group(1) @binding(2) var<storage, read_write> GW: array<f32>;
${HEAD}
${GEOM}
  if (idx >= Cout * cinG * KH * KW) { return; }
  let kw = idx % KW; let kh = (idx / KW) % KH; let ci = (idx / (KW * KH)) % cinG; let co = idx / (KW * KH * cinG);
  let g = co / max(coutG, 1);
  var acc = 0.0;
  for (var n = 0; n < N; n++) {
    let gy = (n * Cout + co) * OH;
    let xc = (n * Cin + g * cinG + ci) * H;
    for (var oh = 0; oh < OH; oh++) {
      let ih = oh * SH - PH + kh * DH;
      if (ih < 0 || ih >= H) { continue; }
      for (var ow = 0; ow < OW; ow++) {
        let iw = ow * SW - PW + kw * DW;
        if (iw < 0 || iw >= W) { continue; }
        acc = acc + GY[(gy + oh) * OW + ow] * X[(xc + ih) * W + iw];
      }
    }
  }
  GW[idx] = acc;
}
`;
  });
  const off = rt.beginParams(kernel);
  writeGeometry(rt, g);
  const [gx, gy] = rt.grid1d(total);
  rt.run(kernel, off, [gradOut.buf, x.buf, gradW.buf], gx, gy);
}
