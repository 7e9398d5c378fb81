/**
 * Fused elementwise programs (optimizer updates) rendered as WGSL from core's lowered form
 * (`lowerFused`: the derived scalars — step sizes, bias corrections — are computed once per
 * tensor on the host in float64 and travel as f32 uniforms after the own ones). A call over
 * many tensors is split into chunks of K tensors, K as large as the storage-binding limit
 * allows, and each chunk is ONE dispatch: the invocation finds its tensor from a table of cumulative
 * sizes in the params block, then runs the program body on that tensor's bindings. A chunk's
 * bind group is cached by its buffers' ids (`bindGroups.ts`) and scalars travel in the
 * params ring: a step allocates no GPU buffer, and creates no bind group once warm while the
 * gradients keep their buffers (one per step when they land in other pooled buffers).
 */
import {
  type FusedBinaryOp,
  type FusedExpr,
  type FusedProgram,
  type FusedTensorArgs,
  type FusedUnaryOp,
  fusedScalars,
  type LoweredFused,
  lowerFused,
} from '@stepwise/core';
import type { PooledBuffer } from '../pool.js';
import {
  BIND_ALIGN_ELEMENTS,
  type Binding,
  type Kernel,
  paramBytesFor,
  type Runtime,
  WORKGROUP,
} from '../runtime.js';
import type { GpuStorage } from '../storage.js';
import { f32Literal, WGSL_MATH } from './wgslMath.js';
import { WGSL_MATH_EXTRA, WGSL_MATH_EXTRA_FUNCTIONS } from './wgslMathExtra.js';

/** At most this many tensors share a dispatch (keeps the generated shader small). */
const MAX_SLOTS = 16;

/** How each unary op is written in WGSL (the helpers are in wgslMath.ts and wgslMathExtra.ts). */
const UNARY_WGSL: Record<FusedUnaryOp, (x: string) => string> = {
  neg: (x) => `(-${x})`,
  sqrt: (x) => `sqrt(${x})`,
  abs: (x) => `abs(${x})`,
  sign: (x) => `sign_t(${x})`,
  exp: (x) => `exp_f(${x})`,
  log: (x) => `log_f(${x})`,
  expm1: (x) => `expm1_f(${x})`,
  log1p: (x) => `log1p_f(${x})`,
  sin: (x) => `sin_f(${x})`,
  cos: (x) => `cos_f(${x})`,
  tan: (x) => `tan_f(${x})`,
  asin: (x) => `asin_f(${x})`,
  acos: (x) => `acos_f(${x})`,
  atan: (x) => `atan_f(${x})`,
  sinh: (x) => `sinh_f(${x})`,
  cosh: (x) => `cosh_f(${x})`,
  tanh: (x) => `tanh_f(${x})`,
  asinh: (x) => `asinh_f(${x})`,
  acosh: (x) => `acosh_f(${x})`,
  atanh: (x) => `atanh_f(${x})`,
  erf: (x) => `erf_f(${x})`,
  erfinv: (x) => `erfinv_f(${x})`,
  // The builtins are exact; WGSL's round is half to even, as torch.round.
  floor: (x) => `floor(${x})`,
  ceil: (x) => `ceil(${x})`,
  trunc: (x) => `trunc(${x})`,
  round: (x) => `round(${x})`,
  isnan: (x) => `select(0.0, 1.0, is_nan(${x}))`,
  isinf: (x) => `select(0.0, 1.0, is_inf(${x}))`,
};

/**
 * Each runtime's fused kernels by program object, then by variant (slots, aliasing): found
 * without hashing `program.key`, the program's whole text, on every dispatch.
 */
const kernelsByRuntime = new WeakMap<Runtime, WeakMap<FusedProgram, Map<string, Kernel>>>();
function kernelsOf(rt: Runtime): WeakMap<FusedProgram, Map<string, Kernel>> {
  let m = kernelsByRuntime.get(rt);
  if (!m) kernelsByRuntime.set(rt, (m = new WeakMap()));
  return m;
}

/** How the binary ops beyond arithmetic and comparisons are written in WGSL. */
const BINARY_WGSL: Partial<Record<FusedBinaryOp, (a: string, b: string) => string>> = {
  ge: (a, b) => `select(0.0, 1.0, ${a} >= ${b})`,
  le: (a, b) => `select(0.0, 1.0, ${a} <= ${b})`,
  atan2: (a, b) => `atan2_f(${a}, ${b})`,
  fmod: (a, b) => `fmod_f(${a}, ${b})`,
  hypot: (a, b) => `hypot_f(${a}, ${b})`,
};

function expr(e: FusedExpr, buf: (i: number) => string, scalar: (i: number) => string): string {
  const r = (x: FusedExpr) => expr(x, buf, scalar);
  switch (e.op) {
    case 'buf':
      return buf(e.index);
    case 'scalar':
      return scalar(e.index);
    case 'const':
      return f32Literal(e.value);
    case 'local':
      return `l${e.index}`;
    case 'add':
      return `(${r(e.a)} + ${r(e.b)})`;
    case 'sub':
      return `(${r(e.a)} - ${r(e.b)})`;
    case 'mul':
      return `(${r(e.a)} * ${r(e.b)})`;
    case 'div':
      return `(${r(e.a)} / ${r(e.b)})`;
    case 'max':
      return `max_f(${r(e.a)}, ${r(e.b)})`;
    case 'min':
      return `min_f(${r(e.a)}, ${r(e.b)})`;
    case 'gt':
      return `select(0.0, 1.0, ${r(e.a)} > ${r(e.b)})`;
    case 'lt':
      return `select(0.0, 1.0, ${r(e.a)} < ${r(e.b)})`;
    case 'eq':
      return `select(0.0, 1.0, ${r(e.a)} == ${r(e.b)})`;
    case 'select':
      return `select(${r(e.b)}, ${r(e.a)}, !(${r(e.cond)} == 0.0))`;
    default: {
      if ('b' in e) {
        const f = BINARY_WGSL[e.op];
        if (f) return f(r(e.a), r(e.b));
      } else {
        const f = UNARY_WGSL[e.op];
        if (f) return f(r(e.a));
      }
      throw new TypeError(`webgpu fused: no rendering for op '${(e as { op: string }).op}'`);
    }
  }
}

function slotBody(low: LoweredFused, slot: number, scalarBase: number, binding: readonly number[]): string {
  const nb = low.numBuffers;
  const ns = low.numScalars;
  const b = (i: number) => `b${binding[slot * nb + i]}`;
  let s = '';
  for (const i of [...new Set([...low.reads, ...low.stores])].sort((x, y) => x - y)) {
    s += low.loads.includes(i) ? `    var v${i} = ${b(i)}[e];\n` : `    var v${i}: f32;\n`;
  }
  const scalar = (i: number) => `pf(${scalarBase + slot * ns + i}u)`;
  for (const st of low.body) {
    const v = expr(st.value, (i) => `v${i}`, scalar);
    s += st.kind === 'let' ? `    let l${st.local} = ${v};\n` : `    v${st.buffer} = ${v};\n`;
  }
  for (const i of low.stores) s += `    ${b(i)}[e] = v${i};\n`;
  return s;
}

function source(low: LoweredFused, slots: number, binding: readonly number[], nBindings: number): string {
  const scalarBase = 1 + slots;
  let src = WGSL_MATH;
  const bodies = Array.from({ length: slots }, (_, s) => slotBody(low, s, scalarBase, binding));
  if (bodies.some((b) => WGSL_MATH_EXTRA_FUNCTIONS.some((f) => b.includes(`${f}(`)))) src += WGSL_MATH_EXTRA;
  for (let i = 0; i < nBindings; i++)
    src += `@group(1) @binding(${i}) var<storage, read_write> b${i}: array<f32>;\n`;
  src += `
// ${low.name}: ${slots} tensor(s) per dispatch; words 1..${slots} hold cumulative sizes.
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nw: vec3<u32>) {
  let idx = gid.x + gid.y * nw.x * ${WORKGROUP}u;
`;
  for (let s = 0; s < slots; s++) {
    const start = s === 0 ? '0u' : `pu(${s}u)`;
    src += `  ${s === 0 ? '' : 'else '}if (idx < pu(${s + 1}u)) {\n    let e = idx - ${start};\n${bodies[s]}  }\n`;
  }
  return `${src}}\n`;
}

export function fused(rt: Runtime, program: FusedProgram, tensors: readonly FusedTensorArgs[]): void {
  const nb = program.buffers.length;
  if (nb === 0) return;
  if (nb > rt.maxStorageBindings) {
    throw new RangeError(
      `webgpu: fused program '${program.name}' needs ${nb} storage buffers, more than this device binds per shader (${rt.maxStorageBindings})`,
    );
  }
  const low = lowerFused(program);
  if (!low.localsInLoop) {
    throw new RangeError(
      `webgpu: fused program '${program.name}' reads a local before binding it (locals carried across elements), which a shader invocation cannot`,
    );
  }
  const ns = low.numScalars;
  const perDispatch = Math.max(1, Math.min(MAX_SLOTS, Math.floor(rt.maxStorageBindings / nb)));
  // Work units: whole tensors, or ranges of a tensor too large for one storage binding.
  const maxElems = Math.floor(rt.maxBindingBytes / 4);
  const span = Math.floor((maxElems - BIND_ALIGN_ELEMENTS) / BIND_ALIGN_ELEMENTS) * BIND_ALIGN_ELEMENTS;
  const units: { binds: (PooledBuffer | Binding)[]; n: number; scalars: ArrayLike<number> }[] = [];
  for (const t of tensors) {
    const size = t.buffers[0]?.size ?? 0;
    if (size === 0) continue;
    const bufs = t.buffers.map((st) => (st as GpuStorage).buf);
    const scalars = fusedScalars(low, t.scalars);
    if (size <= maxElems) {
      units.push({ binds: bufs, n: size, scalars });
      continue;
    }
    for (let start = 0; start < size; start += span) {
      const n = Math.min(span, size - start);
      units.push({
        binds: bufs.map((buf) => ({ buf, offset: start * 4, size: n * 4 })),
        n,
        scalars,
      });
    }
  }
  for (let c = 0; c < units.length; c += perDispatch) {
    const chunk = units.slice(c, c + perDispatch);
    const slots = chunk.length;
    const words = 1 + slots + slots * ns;
    // WebGPU forbids binding one buffer twice as writable storage: a storage that appears
    // twice (aliasing) gets one binding, and the shader variant records the mapping.
    const binds: (PooledBuffer | Binding)[] = [];
    const binding: number[] = [];
    const seen = new Map<string, number>();
    for (const u of chunk) {
      for (const b of u.binds) {
        const id = 'buf' in b ? `${b.buf.id}@${b.offset}` : `${b.id}`;
        let j = seen.get(id);
        if (j === undefined) {
          j = binds.length;
          seen.set(id, j);
          binds.push(b);
        }
        binding.push(j);
      }
    }
    const aliasKey = binds.length === binding.length ? '' : `:alias(${binding.join(',')})`;
    const variant = `${slots}${aliasKey}`;
    let byVariant = kernelsOf(rt).get(program);
    if (!byVariant) kernelsOf(rt).set(program, (byVariant = new Map()));
    let kernel = byVariant.get(variant);
    if (!kernel) {
      kernel = rt.kernel(
        `fused:${variant}:${program.key}`,
        'w'.repeat(binds.length),
        paramBytesFor(words),
        () => source(low, slots, binding, binds.length),
      );
      byVariant.set(variant, kernel);
    }
    const off = rt.beginParams(kernel);
    const p = rt.params;
    let total = 0;
    for (let s = 0; s < slots; s++) {
      const u = chunk[s]!;
      total += u.n;
      p.u(1 + s, total);
      const at = 1 + slots + s * ns;
      for (let j = 0; j < ns; j++) p.f(at + j, u.scalars[j]!);
    }
    p.u(0, total);
    const [gx, gy] = rt.grid1d(total);
    rt.run(kernel, off, binds, gx, gy);
  }
}
