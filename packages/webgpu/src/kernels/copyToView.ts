/**
 * The inverse of `copy`: writes a contiguous storage into a strided view of another, in
 * row-major order of the view's shape. How an in-place op on a non-contiguous view
 * (`x.T.mul_(2)`, `x.narrow(1, 0, 1).zero_()`) reaches its base.
 */
import type { View } from '@stepwise/core';
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import { type GpuStorage, wgslType } from '../storage.js';
import { collapse } from './elementwise.js';

export function copyToView(rt: Runtime, src: GpuStorage, dst: View): void {
  const n = src.size;
  if (n === 0) return;
  const out = dst.storage as GpuStorage;
  const maxElems = Math.floor(rt.maxBindingBytes / 4);
  if (src.size > maxElems || out.size > maxElems) {
    throw new RangeError(
      `webgpu: an in-place write into a strided view of a storage of ${out.size} elements needs ` +
        `one binding of it, more than the device allows (${rt.maxBindingBytes} bytes)`,
    );
  }
  const c = collapse(dst.shape, [dst.strides]);
  const r = c.shape.length;
  // Words: 0 n, 1 offset, 2.. shape, then strides.
  const words = 2 + 2 * r;
  const type = wgslType(out.dtype);
  const kernel = rt.kernel(`copyToView:${type}:${r}`, 'rw', paramBytesFor(words), () => {
    let s = `@group(1) @binding(0) var<storage, read> src: array<${type}>;
@group(1) @binding(1) var<storage, read_write> out: array<${type}>;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (idx >= pu(0u)) { return; }
  var rem = idx;
  var j = pu(1u);\n`;
    for (let d = r - 1; d >= 0; d--) {
      if (d > 0)
        s += `  { let sz = pu(${2 + d}u); let q = rem / sz; j += (rem - q * sz) * pu(${2 + r + d}u); rem = q; }\n`;
      else s += `  j += rem * pu(${2 + r}u);\n`;
    }
    s += '  out[j] = src[idx];\n}\n';
    return s;
  });
  const off = rt.beginParams(kernel);
  const p = rt.params;
  p.u(0, n);
  p.u(1, dst.offset);
  for (let d = 0; d < r; d++) {
    p.u(2 + d, c.shape[d]!);
    p.u(2 + r + d, c.strides[0]![d]!);
  }
  const [gx, gy] = rt.grid1d(n);
  rt.run(kernel, off, [src.buf, out.buf], gx, gy);
}
