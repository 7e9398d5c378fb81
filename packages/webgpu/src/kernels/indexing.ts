/**
 * indexSelect / indexAdd / gather / scatterAdd / scatter. The scattering ones run one
 * invocation per output element that walks the index list in order and adds the matching
 * sources: no atomics (WGSL has none for f32), results identical run to run, and the
 * summation order (or, for scatter, the write that wins) is the index order, as a
 * sequential CPU loop has it.
 */
import { paramBytesFor, type Runtime, WORKGROUP } from '../runtime.js';
import { type GpuStorage, wgslType } from '../storage.js';

const HEAD = `
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (idx >= pu(0u)) { return; }
  let len = pu(1u); let inner = pu(2u); let nIdx = pu(3u);
`;

function launch(
  rt: Runtime,
  name: string,
  t: 'f32' | 'i32',
  body: string,
  bufs: readonly GpuStorage[],
  modes: string,
  total: number,
  len: number,
  inner: number,
  nIdx: number,
): void {
  if (total === 0) return;
  const kernel = rt.kernel(`${name}:${t}`, modes, paramBytesFor(4), () => {
    const names = ['A', 'I', 'B'];
    let src = '';
    bufs.forEach((_, i) => {
      const ty = i === 1 ? 'i32' : t;
      const mode = modes[i] === 'w' ? 'read_write' : 'read';
      src += `@group(1) @binding(${i}) var<storage, ${mode}> ${names[i]}: array<${ty}>;\n`;
    });
    return `${src}${HEAD}${body}\n}\n`;
  });
  const off = rt.beginParams(kernel);
  rt.params.u(0, total);
  rt.params.u(1, len);
  rt.params.u(2, inner);
  rt.params.u(3, nIdx);
  const [gx, gy] = rt.grid1d(total);
  rt.run(
    kernel,
    off,
    bufs.map((b) => b.buf),
    gx,
    gy,
  );
}

/** out[o, j, i] = x[o, index[j], i]. Buffers: A = x, I = index, B = out. */
export function indexSelect(
  rt: Runtime,
  x: GpuStorage,
  index: GpuStorage,
  out: GpuStorage,
  outer: number,
  len: number,
  inner: number,
): void {
  const nIdx = index.size;
  launch(
    rt,
    'indexSelect',
    wgslType(x.dtype),
    `  let i = idx % inner; let j = (idx / inner) % nIdx; let o = idx / (inner * nIdx);
  B[idx] = A[(o * len + u32(I[j])) * inner + i];`,
    [x, index, out],
    'rrw',
    outer * nIdx * inner,
    len,
    inner,
    nIdx,
  );
}

/** out[o, index[j], i] += src[o, j, i]. Buffers: A = out (in place), I = index, B = src. */
export function indexAdd(
  rt: Runtime,
  out: GpuStorage,
  index: GpuStorage,
  src: GpuStorage,
  outer: number,
  len: number,
  inner: number,
): void {
  const nIdx = index.size;
  launch(
    rt,
    'indexAdd',
    wgslType(out.dtype),
    `  let i = idx % inner; let l = (idx / inner) % len; let o = idx / (inner * len);
  var acc = A[idx];
  for (var j = 0u; j < nIdx; j++) {
    if (u32(I[j]) == l) { acc = acc + B[(o * nIdx + j) * inner + i]; }
  }
  A[idx] = acc;`,
    [out, index, src],
    'wrr',
    outer * len * inner,
    len,
    inner,
    nIdx,
  );
}

/** out[o, j, i] = x[o, index[o, j, i], i]. Buffers: A = x, I = index, B = out. */
export function gather(
  rt: Runtime,
  x: GpuStorage,
  index: GpuStorage,
  out: GpuStorage,
  outer: number,
  lenX: number,
  inner: number,
): void {
  const nIdx = outer * inner === 0 ? 0 : index.size / (outer * inner);
  launch(
    rt,
    'gather',
    wgslType(x.dtype),
    `  let i = idx % inner; let o = idx / (inner * nIdx);
  B[idx] = A[(o * len + u32(I[idx])) * inner + i];`,
    [x, index, out],
    'rrw',
    index.size,
    lenX,
    inner,
    nIdx,
  );
}

/** out[o, index[o, j, i], i] += src[o, j, i]. Buffers: A = out (in place), I = index, B = src. */
export function scatterAdd(
  rt: Runtime,
  out: GpuStorage,
  index: GpuStorage,
  src: GpuStorage,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  scatterInto(rt, 'scatterAdd', 'acc = acc + B[s];', out, index, src, outer, lenOut, inner);
}

/**
 * out[o, index[o, j, i], i] = src[o, j, i]: the last match wins (a sequential loop's
 * result, run to run). Buffers: A = out (in place), I = index, B = src.
 */
export function scatter(
  rt: Runtime,
  out: GpuStorage,
  index: GpuStorage,
  src: GpuStorage,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  scatterInto(rt, 'scatter', 'acc = B[s];', out, index, src, outer, lenOut, inner);
}

/** One invocation per output element walks the index list in order, applying `update` to each match. */
function scatterInto(
  rt: Runtime,
  name: string,
  update: string,
  out: GpuStorage,
  index: GpuStorage,
  src: GpuStorage,
  outer: number,
  lenOut: number,
  inner: number,
): void {
  const nIdx = outer * inner === 0 ? 0 : index.size / (outer * inner);
  launch(
    rt,
    name,
    wgslType(out.dtype),
    `  let i = idx % inner; let l = (idx / inner) % len; let o = idx / (inner * len);
  var acc = A[idx];
  for (var j = 0u; j < nIdx; j++) {
    let s = (o * nIdx + j) * inner + i;
    if (u32(I[s]) == l) { ${update} }
  }
  A[idx] = acc;`,
    [out, index, src],
    'wrr',
    outer * lenOut * inner,
    lenOut,
    inner,
    nIdx,
  );
}
