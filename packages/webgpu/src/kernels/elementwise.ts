/**
 * Elementwise kernels: one generated shader per (op, dtypes, rank), cached. Inputs are
 * strided views (broadcast dims have stride 0); dims that can be merged are merged on the
 * host first, so the common same-shape contiguous case runs as a rank-1 kernel.
 */
import type { BinaryOp, DType, UnaryOp, View } from '@stepwise/core';
import { WebGPUOutOfMemoryError } from '../errors.js';
import type { PooledBuffer } from '../pool.js';
import {
  BIND_ALIGN_ELEMENTS,
  type Binding,
  type Kernel,
  paramBytesFor,
  type Runtime,
  WORKGROUP,
} from '../runtime.js';
import { type GpuStorage, wgslType } from '../storage.js';
import { WGSL_MATH } from './wgslMath.js';

type WType = 'f32' | 'i32';

/** An input of a map kernel: a buffer read through offset + strides over the output shape. */
interface MapInput {
  readonly storage: GpuStorage;
  readonly offset: number;
  readonly strides: readonly number[];
}

/**
 * Drops size-1 dims and merges neighbours that every input walks contiguously, so the
 * shader does as few div/mod steps per element as the layout allows.
 */
export function collapse(
  shape: readonly number[],
  strides: readonly (readonly number[])[],
): { shape: number[]; strides: number[][] } {
  const outShape: number[] = [];
  const outStrides: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    const s = shape[d]!;
    if (s === 1) continue;
    const last = outShape.length - 1;
    if (last >= 0 && strides.every((st, i) => outStrides[i]![last] === st[d]! * s)) {
      outShape[last]! *= s;
      for (let i = 0; i < strides.length; i++) outStrides[i]![last] = strides[i]![d]!;
      continue;
    }
    outShape.push(s);
    for (let i = 0; i < strides.length; i++) outStrides[i]!.push(strides[i]![d]!);
  }
  return { shape: outShape, strides: outStrides };
}

/** Converts a WGSL value of type `from` (or a `bool` expression) to the stored type of `to`. */
function convert(e: string, from: WType | 'bool', to: DType): string {
  const t = wgslType(to);
  if (from === 'bool') return `select(${t}(0), ${t}(1), ${e})`;
  if (to === 'bool') return `select(1i, 0i, ${e} == ${from}(0))`;
  return from === t ? e : `${t}(${e})`;
}

/**
 * Runs `out[idx] = expr(inputs at idx)` over `shape`. `expr` gets the loaded input names and
 * returns a WGSL expression and its type; `scalars` are extra parameter words (as written
 * by `writeScalars`) that `expr` may read with `pf(S+i)` / `pi(S+i)`.
 */
function runMap(
  rt: Runtime,
  key: string,
  inputs: readonly MapInput[],
  out: GpuStorage,
  shape: readonly number[],
  expr: (names: string[], scalarBase: number) => { code: string; type: WType | 'bool' },
  nScalars = 0,
  writeScalars?: (base: number) => void,
): void {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return;
  const c = collapse(
    shape,
    inputs.map((x) => x.strides),
  );
  const r = c.shape.length;
  const k = inputs.length;
  // Words: 0 n (this dispatch), 1 base (first output element), 2.. shape, then per input
  // its offset and strides, then the scalars.
  const shapeBase = 2;
  const inBase = (i: number) => 2 + r + i * (r + 1);
  const scalarBase = 2 + r + k * (r + 1);
  const words = scalarBase + nScalars;
  const paramBytes = paramBytesFor(words);
  const types = inputs.map((x) => wgslType(x.storage.dtype));
  // An input that is the output's own buffer (an in-place op) cannot be bound a second
  // time (WebGPU forbids a writable binding aliasing another): it is read from `out`.
  const aliased = inputs.map((x) => x.storage.buf.id === out.buf.id);
  const bound = inputs.filter((_, i) => !aliased[i]);
  const binding: number[] = [];
  let nb = 0;
  for (let i = 0; i < k; i++) binding.push(aliased[i] ? -1 : nb++);
  const aliasKey = aliased.some((a) => a) ? `:alias${aliased.map((a) => (a ? 1 : 0)).join('')}` : '';
  const fullKey = `map:${key}:${types.join('')}:${out.dtype}:${r}${aliasKey}`;
  const kernel = rt.kernel(fullKey, `${'r'.repeat(nb)}w`, paramBytes, () => {
    const names = inputs.map((_, i) => `x${i}`);
    const { code, type } = expr(names, scalarBase);
    let src = WGSL_MATH;
    for (let i = 0; i < k; i++) {
      if (!aliased[i])
        src += `@group(1) @binding(${binding[i]}) var<storage, read> in${i}: array<${types[i]}>;\n`;
    }
    src += `@group(1) @binding(${nb}) var<storage, read_write> out: array<${wgslType(out.dtype)}>;\n`;
    src += `@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
  if (idx >= pu(0u)) { return; }
  var rem = idx + pu(1u);\n`;
    for (let i = 0; i < k; i++) src += `  var j${i} = pu(${inBase(i)}u);\n`;
    for (let d = r - 1; d >= 0; d--) {
      if (d > 0)
        src += `  { let s = pu(${shapeBase + d}u); let q = rem / s; let cd = rem - q * s; rem = q;\n`;
      else src += '  { let cd = rem;\n';
      for (let i = 0; i < k; i++) src += `    j${i} += cd * pu(${inBase(i) + 1 + d}u);\n`;
      src += '  }\n';
    }
    for (let i = 0; i < k; i++) src += `  let x${i} = ${aliased[i] ? 'out' : `in${i}`}[j${i}];\n`;
    src += `  out[idx] = ${convert(code, type, out.dtype)};\n}\n`;
    return src;
  });
  const maxElems = Math.floor(rt.maxBindingBytes / 4);
  const big = (st: GpuStorage) => st.size > maxElems;
  if (!big(out) && !bound.some((x) => big(x.storage))) {
    dispatchMap(rt, kernel, c, inputs, aliased, out, 0, n, writeScalars, scalarBase);
    return;
  }
  // A storage larger than one binding: split the output into ranges that fit, binding
  // the matching range of every input that walks in step with the output ("dense").
  const natural: number[] = new Array(r);
  for (let d = r - 1, acc = 1; d >= 0; d--) {
    natural[d] = acc;
    acc *= c.shape[d]!;
  }
  const dense = c.strides.map((st) => st.every((v, d) => v === natural[d]));
  inputs.forEach((x, i) => {
    const ranged = aliased[i] ? x.offset !== 0 || !dense[i] : big(x.storage) && !dense[i];
    if (ranged) {
      throw new WebGPUOutOfMemoryError(
        `webgpu: ${key} reads a strided view of a ${x.storage.dtype} tensor of ${x.storage.size} elements, more than one storage binding ` +
          `holds (${rt.maxBindingBytes} bytes); make it contiguous first`,
      );
    }
  });
  const chunk = Math.floor((maxElems - BIND_ALIGN_ELEMENTS) / BIND_ALIGN_ELEMENTS) * BIND_ALIGN_ELEMENTS;
  for (let start = 0; start < n; start += chunk) {
    dispatchMap(
      rt,
      kernel,
      c,
      inputs,
      aliased,
      out,
      start,
      Math.min(chunk, n - start),
      writeScalars,
      scalarBase,
      big,
    );
  }
}

/** One dispatch of a map kernel over output elements [start, start + len). */
function dispatchMap(
  rt: Runtime,
  kernel: Kernel,
  c: { shape: number[]; strides: number[][] },
  inputs: readonly MapInput[],
  aliased: readonly boolean[],
  out: GpuStorage,
  start: number,
  len: number,
  writeScalars: ((base: number) => void) | undefined,
  scalarBase: number,
  big?: (s: GpuStorage) => boolean,
): void {
  const r = c.shape.length;
  const off = rt.beginParams(kernel);
  const p = rt.params;
  p.u(0, len);
  p.u(1, start);
  for (let d = 0; d < r; d++) p.u(2 + d, c.shape[d]!);
  const binds: (PooledBuffer | Binding)[] = [];
  for (let i = 0; i < inputs.length; i++) {
    const x = inputs[i]!;
    let offset = x.offset;
    if (big && aliased[i]) {
      // Read through `out`, whose binding starts at `start`.
      offset = -start;
    } else if (big && !aliased[i] && big(x.storage)) {
      const first = Math.floor((x.offset + start) / BIND_ALIGN_ELEMENTS) * BIND_ALIGN_ELEMENTS;
      binds.push({ buf: x.storage.buf, offset: first * 4, size: (x.offset + start + len - first) * 4 });
      offset = x.offset - first;
    } else if (!aliased[i]) {
      binds.push(x.storage.buf);
    }
    // u32 arithmetic wraps: a negative offset plus the element index lands in the binding.
    p.u(2 + r + i * (r + 1), offset >>> 0);
    for (let d = 0; d < r; d++) p.u(2 + r + i * (r + 1) + 1 + d, c.strides[i]![d]!);
  }
  binds.push(big ? { buf: out.buf, offset: start * 4, size: len * 4 } : out.buf);
  writeScalars?.(scalarBase);
  const [gx, gy] = rt.grid1d(len);
  rt.run(kernel, off, binds, gx, gy);
}

function contiguous(s: GpuStorage): MapInput {
  return { storage: s, offset: 0, strides: [1] };
}

function viewInput(v: View): MapInput {
  return { storage: v.storage as GpuStorage, offset: v.offset, strides: v.strides };
}

function unaryExpr(op: UnaryOp, x: string, t: WType): { code: string; type: WType | 'bool' } {
  if (t === 'i32') {
    switch (op) {
      case 'neg':
        return { code: `-${x}`, type: t };
      case 'abs':
        return { code: `abs(${x})`, type: t };
      case 'sign':
        return { code: `sign(${x})`, type: t };
      case 'square':
        return { code: `${x} * ${x}`, type: t };
      case 'relu':
        return { code: `max(${x}, 0i)`, type: t };
      case 'not':
        return { code: `${x} == 0i`, type: 'bool' };
      default:
        // Core casts integers to float before any other unary op.
        return unaryExpr(op, `f32(${x})`, 'f32');
    }
  }
  switch (op) {
    case 'neg':
      return { code: `-${x}`, type: t };
    case 'exp':
      return { code: `exp_f(${x})`, type: t };
    case 'log':
      return { code: `log_f(${x})`, type: t };
    case 'sqrt':
      return { code: `sqrt(${x})`, type: t };
    case 'rsqrt':
      return { code: `1.0 / sqrt(${x})`, type: t };
    case 'abs':
      return { code: `abs(${x})`, type: t };
    case 'sign':
      return { code: `sign_t(${x})`, type: t };
    case 'square':
      return { code: `${x} * ${x}`, type: t };
    case 'relu':
      return { code: `select(${x}, 0.0, ${x} < 0.0)`, type: t };
    case 'sigmoid':
      return { code: `sigmoid_f(${x})`, type: t };
    case 'tanh':
      return { code: `tanh_f(${x})`, type: t };
    case 'softplus':
      return { code: `softplus_f(${x})`, type: t };
    case 'reciprocal':
      return { code: `1.0 / ${x}`, type: t };
    case 'not':
      return { code: `${x} == 0.0`, type: 'bool' };
  }
}

function binaryExpr(op: BinaryOp, a: string, b: string, t: WType): { code: string; type: WType | 'bool' } {
  const f = t === 'f32';
  switch (op) {
    case 'add':
      return { code: `${a} + ${b}`, type: t };
    case 'sub':
      return { code: `${a} - ${b}`, type: t };
    case 'mul':
      return { code: `${a} * ${b}`, type: t };
    case 'div':
      return f ? { code: `${a} / ${b}`, type: t } : { code: `f32(${a}) / f32(${b})`, type: 'f32' };
    case 'pow':
      return { code: f ? `pow_f(${a}, ${b})` : `pow_i(${a}, ${b})`, type: t };
    case 'maximum':
      return { code: f ? `max_f(${a}, ${b})` : `max(${a}, ${b})`, type: t };
    case 'minimum':
      return { code: f ? `min_f(${a}, ${b})` : `min(${a}, ${b})`, type: t };
    case 'eq':
      return { code: `${a} == ${b}`, type: 'bool' };
    case 'ne':
      return { code: `!(${a} == ${b})`, type: 'bool' };
    case 'lt':
      return { code: `${a} < ${b}`, type: 'bool' };
    case 'le':
      return { code: `${a} <= ${b}`, type: 'bool' };
    case 'gt':
      return { code: `${a} > ${b}`, type: 'bool' };
    case 'ge':
      return { code: `${a} >= ${b}`, type: 'bool' };
    case 'and':
      return { code: `(${a} != ${t}(0)) && (${b} != ${t}(0))`, type: 'bool' };
    case 'or':
      return { code: `(${a} != ${t}(0)) || (${b} != ${t}(0))`, type: 'bool' };
  }
}

export function unary(rt: Runtime, op: UnaryOp, x: GpuStorage, out: GpuStorage): void {
  const t = wgslType(x.dtype);
  runMap(rt, `u:${op}`, [contiguous(x)], out, [x.size], (n) => unaryExpr(op, n[0]!, t));
}

/** Both inputs are read in the wider of their two WGSL types (f32 over i32). */
function commonType(a: DType, b: DType): WType {
  return wgslType(a) === 'f32' || wgslType(b) === 'f32' ? 'f32' : 'i32';
}

function as(x: string, from: WType, to: WType): string {
  return from === to ? x : `${to}(${x})`;
}

export function binary(
  rt: Runtime,
  op: BinaryOp,
  a: View,
  b: View,
  out: GpuStorage,
  shape: readonly number[],
): void {
  const ta = wgslType(a.storage.dtype);
  const tb = wgslType(b.storage.dtype);
  const t = commonType(a.storage.dtype, b.storage.dtype);
  runMap(rt, `b:${op}`, [viewInput(a), viewInput(b)], out, shape, (n) =>
    binaryExpr(op, as(n[0]!, ta, t), as(n[1]!, tb, t), t),
  );
}

export function binaryScalar(
  rt: Runtime,
  op: BinaryOp,
  a: GpuStorage,
  s: number,
  out: GpuStorage,
  scalarFirst: boolean,
): void {
  const t = wgslType(a.dtype);
  runMap(
    rt,
    `bs:${op}:${scalarFirst ? 1 : 0}`,
    [contiguous(a)],
    out,
    [a.size],
    (n, base) => {
      const sv = t === 'f32' ? `pf(${base}u)` : `pi(${base}u)`;
      return scalarFirst ? binaryExpr(op, sv, n[0]!, t) : binaryExpr(op, n[0]!, sv, t);
    },
    1,
    (base) => (t === 'f32' ? rt.params.f(base, s) : rt.params.i(base, s)),
  );
}

export function where(
  rt: Runtime,
  cond: View,
  a: View,
  b: View,
  out: GpuStorage,
  shape: readonly number[],
): void {
  const tc = wgslType(cond.storage.dtype);
  const t = wgslType(out.dtype);
  runMap(rt, 'where', [viewInput(cond), viewInput(a), viewInput(b)], out, shape, (n) => ({
    code: `select(${as(n[2]!, wgslType(b.storage.dtype), t)}, ${as(n[1]!, wgslType(a.storage.dtype), t)}, ${n[0]} != ${tc}(0))`,
    type: t,
  }));
}

export function cast(rt: Runtime, src: GpuStorage, out: GpuStorage): void {
  const t = wgslType(src.dtype);
  runMap(rt, 'cast', [contiguous(src)], out, [src.size], (n) => ({ code: n[0]!, type: t }));
}

export function copy(rt: Runtime, src: View, out: GpuStorage): void {
  const t = wgslType(src.storage.dtype);
  runMap(rt, 'copy', [viewInput(src)], out, src.shape, (n) => ({ code: n[0]!, type: t }));
}

export function fill(rt: Runtime, s: GpuStorage, value: number): void {
  if (s.size === 0) return;
  if (value === 0 && !Object.is(value, -0)) {
    rt.copyEncoder().clearBuffer(s.buf.buffer, 0, s.size * 4);
    return;
  }
  const t = wgslType(s.dtype);
  const v = s.dtype === 'bool' ? (value !== 0 ? 1 : 0) : value;
  runMap(
    rt,
    'fill',
    [],
    s,
    [s.size],
    (_n, base) => ({ code: t === 'f32' ? `pf(${base}u)` : `pi(${base}u)`, type: t }),
    1,
    (base) => (t === 'f32' ? rt.params.f(base, v) : rt.params.i(base, v)),
  );
}
