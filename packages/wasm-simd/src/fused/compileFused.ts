/**
 * Renders a core `FusedProgram` (the optimizer hot path), as core lowered it
 * (`lowerFused`: hoisted scalars, reciprocals, access sets), into a tiny WebAssembly module
 * that imports the backend's memory and runs the whole program as one SIMD loop:
 * f32x4 lanes for float32, f64x2 for float64.
 *
 * The generated function is `run(args, n)`: `args` points at the buffer pointers (i32) and
 * then the lowered program's scalars — its own, then the derived ones (`fusedScalars`) —
 * as f64, 8-aligned, which the caller wrote into memory, so a call allocates nothing on the
 * JS side. There is no scalar tail: every heap block is 64-byte aligned and
 * padded to a multiple of 64 bytes (see heap.ts), so the loop runs whole vectors over the
 * padding of each buffer, which nothing else reads.
 *
 * Ops with a SIMD instruction (arithmetic, comparisons, sqrt, abs, floor/ceil/trunc,
 * round as `nearest`) are one instruction per vector. The transcendental functions have
 * none: the module imports them from the kernels instance (module 'k', AssemblyScript's
 * musl ports and erf/erfinv in assembly/fusedMath.ts) and calls them lane by lane, float32
 * lanes through f64 (then rounded once). A wasm-to-wasm call, no JS in between; those ops
 * run at scalar speed, which the memory-bound programs of optimizers never use.
 */
import {
  type FusedBinaryOp,
  type FusedExpr,
  type FusedProgram,
  type FusedUnaryOp,
  type LoweredFused,
  lowerFused,
} from '@stepwise/core';
import { THREAD_ARGS_STRIDE } from '../runtime.js';
import { name, Op, Simd, section, sleb, T, uleb } from './wasmWriter.js';

export type FusedKernel = (args: number, n: number) => void;

/** The kernels instance's scalar math exports that fused ops without a SIMD instruction call. */
const UNARY_IMPORTS: Partial<Record<FusedUnaryOp, string>> = {
  exp: 'mathExp',
  log: 'mathLog',
  expm1: 'mathExpm1',
  log1p: 'mathLog1p',
  sin: 'mathSin',
  cos: 'mathCos',
  tan: 'mathTan',
  asin: 'mathAsin',
  acos: 'mathAcos',
  atan: 'mathAtan',
  sinh: 'mathSinh',
  cosh: 'mathCosh',
  tanh: 'mathTanh',
  asinh: 'mathAsinh',
  acosh: 'mathAcosh',
  atanh: 'mathAtanh',
  erf: 'mathErf',
  erfinv: 'mathErfinv',
};
const BINARY_IMPORTS: Partial<Record<FusedBinaryOp, string>> = {
  atan2: 'mathAtan2',
  fmod: 'mathFmod',
  hypot: 'mathHypot',
};

/** The imported functions a lowered program calls, in first-use order (their function indices). */
function mathImports(low: LoweredFused): { name: string; binary: boolean }[] {
  const seen = new Map<string, boolean>();
  const visit = (e: FusedExpr): void => {
    if (e.op === 'select') {
      visit(e.cond);
      visit(e.a);
      visit(e.b);
    } else if ('b' in e) {
      const name = BINARY_IMPORTS[e.op];
      if (name) seen.set(name, true);
      visit(e.a);
      visit(e.b);
    } else if ('a' in e) {
      const name = UNARY_IMPORTS[e.op];
      if (name) seen.set(name, false);
      visit(e.a);
    }
  };
  for (const st of low.body) visit(st.value);
  return [...seen].map(([name, binary]) => ({ name, binary }));
}

/**
 * Bytes each loop iteration covers: 4 vectors, unrolled (must divide the heap's 64-byte
 * blocks). Four independent vectors in flight hide the divider and sqrt latency of
 * Adam-like updates: measured 1.4x over two.
 */
const STEP = 64;
const UNROLL = STEP / 16;

/** Byte offset of the scalars in the argument block. */
export function scalarsOffset(numBuffers: number): number {
  return Math.ceil((numBuffers * 4) / 8) * 8;
}

/**
 * Compiles and instantiates a program on `memory`; `k` is the kernels instance's exports,
 * which provide the math functions some programs import (every worker passes its own).
 */
export function compileFused(
  program: FusedProgram,
  dtype: 'float32' | 'float64',
  memory: WebAssembly.Memory,
  shared = false,
  k?: object,
): FusedKernel {
  const bytes = fusedModuleBytes(program, dtype, shared);
  const module = new WebAssembly.Module(bytes);
  if (k === undefined && WebAssembly.Module.imports(module).some((i) => i.module === 'k')) {
    throw new TypeError(
      `wasm-simd: fused program '${program.name}' calls math functions: pass the kernels' exports to compileFused`,
    );
  }
  const instance = new WebAssembly.Instance(module, {
    env: { memory },
    k: (k ?? {}) as WebAssembly.ModuleImports,
  });
  return instance.exports.run as FusedKernel;
}

export function fusedModuleBytes(
  program: FusedProgram,
  dtype: 'float32' | 'float64',
  shared = false,
): Uint8Array<ArrayBuffer> {
  const low = lowerFused(program);
  const f32 = dtype === 'float32';
  const V = f32 ? Simd.f32x4 : Simd.f64x2;
  const esz = f32 ? 4 : 8;
  const B = low.numBuffers;
  const S = low.numScalars;
  const L = low.numLocals;
  if (scalarsOffset(B) + S * 8 > THREAD_ARGS_STRIDE) {
    throw new RangeError(
      `wasm-simd: fused program '${program.name}' takes ${B} buffers and ${S} scalars (derived ones included), more than an argument block of ${THREAD_ARGS_STRIDE} bytes holds`,
    );
  }

  // Local indices: params 0 (args), 1 (n).
  const ARGS = 0;
  const N = 1;
  const ptrLocal = (k: number) => 2 + k;
  const I = 2 + B;
  const END = I + 1;
  const scalarLocal = (k: number) => END + 1 + k;
  const curLocal = (k: number) => END + 1 + S + k;
  const progLocal = (k: number) => END + 1 + S + B + k;
  const firstTemp = END + 1 + S + B + L;
  let numTemps = 0;
  const imports = mathImports(low);
  const funcIndex = new Map(imports.map((f, i) => [f.name, i]));

  const code: number[] = [];
  const simd = (op: number) => {
    code.push(Op.simd);
    uleb(code, op);
  };
  const get = (l: number) => {
    code.push(Op.localGet);
    uleb(code, l);
  };
  const set = (l: number) => {
    code.push(Op.localSet);
    uleb(code, l);
  };
  const splatConst = (v: number) => {
    simd(Simd.const);
    const buf = new ArrayBuffer(16);
    if (f32) new Float32Array(buf).fill(v);
    else new Float64Array(buf).fill(v);
    for (const b of new Uint8Array(buf)) code.push(b);
  };
  const i32Const = (v: number) => {
    code.push(Op.i32Const);
    sleb(code, v);
  };
  const memarg = (alignLog2: number, offset: number) => {
    uleb(code, alignLog2);
    uleb(code, offset);
  };

  const lanes = f32 ? 4 : 2;
  const extract = (t: number, lane: number) => {
    get(t);
    simd(f32 ? Simd.f32x4ExtractLane : Simd.f64x2ExtractLane);
    code.push(lane);
    if (f32) code.push(Op.f64PromoteF32);
  };
  /** `fn` (an imported f64 function) applied lane by lane to the operands' temps. */
  const callLanes = (fn: string, operands: readonly number[]) => {
    const index = funcIndex.get(fn)!;
    get(operands[0]!);
    for (let lane = 0; lane < lanes; lane++) {
      for (const t of operands) extract(t, lane);
      code.push(Op.call);
      uleb(code, index);
      if (f32) code.push(Op.f32DemoteF64);
      simd(f32 ? Simd.f32x4ReplaceLane : Simd.f64x2ReplaceLane);
      code.push(lane);
    }
  };
  const temp = (e: FusedExpr): number => {
    const t = firstTemp + numTemps++;
    emit(e);
    set(t);
    return t;
  };

  /** Pushes a lane mask (all ones where true). */
  const emitMask = (e: FusedExpr): void => {
    if (e.op === 'gt' || e.op === 'lt' || e.op === 'eq' || e.op === 'ge' || e.op === 'le') {
      emit(e.a);
      emit(e.b);
      simd(V[e.op]);
      return;
    }
    // Any other value: true where != 0 (NaN counts as true, as `c != 0 ? a : b`).
    emit(e);
    splatConst(0);
    simd(V.ne);
  };

  const emit = (e: FusedExpr): void => {
    switch (e.op) {
      case 'buf':
        get(curLocal(e.index));
        return;
      case 'scalar':
        get(scalarLocal(e.index));
        return;
      case 'const':
        splatConst(e.value);
        return;
      case 'local':
        get(progLocal(e.index));
        return;
      case 'neg':
      case 'sqrt':
      case 'abs':
      case 'floor':
      case 'ceil':
      case 'trunc':
        emit(e.a);
        simd(V[e.op]);
        return;
      case 'round':
        // Half to even, as torch.round.
        emit(e.a);
        simd(V.nearest);
        return;
      case 'isnan': {
        const t = temp(e.a);
        get(t);
        get(t);
        simd(V.ne);
        splatConst(1);
        simd(Simd.and);
        return;
      }
      case 'isinf':
        emit(e.a);
        simd(V.abs);
        splatConst(Number.POSITIVE_INFINITY);
        simd(V.eq);
        splatConst(1);
        simd(Simd.and);
        return;
      case 'sign': {
        // x > 0 ? 1 : x < 0 ? -1 : 0 (0, -0 and NaN give 0, as torch.sign).
        const t = firstTemp + numTemps++;
        emit(e.a);
        set(t);
        splatConst(1);
        splatConst(-1);
        splatConst(0);
        get(t);
        splatConst(0);
        simd(V.lt);
        simd(Simd.bitselect);
        get(t);
        splatConst(0);
        simd(V.gt);
        simd(Simd.bitselect);
        return;
      }
      case 'add':
      case 'sub':
      case 'mul':
      case 'div':
      case 'max':
      case 'min':
        emit(e.a);
        emit(e.b);
        simd(V[e.op]);
        return;
      case 'gt':
      case 'lt':
      case 'eq':
      case 'ge':
      case 'le':
        emitMask(e);
        splatConst(1);
        simd(Simd.and);
        return;
      case 'select':
        emit(e.a);
        emit(e.b);
        emitMask(e.cond);
        simd(Simd.bitselect);
        return;
      default: {
        if ('b' in e) {
          const fn = BINARY_IMPORTS[e.op];
          if (fn) {
            callLanes(fn, [temp(e.a), temp(e.b)]);
            return;
          }
        } else {
          const fn = UNARY_IMPORTS[e.op];
          if (fn) {
            callLanes(fn, [temp(e.a)]);
            return;
          }
        }
        throw new TypeError(`wasm-simd fused: no rendering for op '${(e as { op: string }).op}'`);
      }
    }
  };

  // Prologue: pointers and splatted scalars (own, then derived) out of the argument block.
  const sOff = scalarsOffset(B);
  for (let k = 0; k < B; k++) {
    get(ARGS);
    code.push(Op.i32Load);
    memarg(2, k * 4);
    set(ptrLocal(k));
  }
  for (let k = 0; k < S; k++) {
    get(ARGS);
    code.push(Op.f64Load);
    memarg(3, sOff + k * 8);
    if (f32) {
      code.push(Op.f32DemoteF64);
      simd(Simd.f32x4Splat);
    } else simd(Simd.f64x2Splat);
    set(scalarLocal(k));
  }
  // end = round_up(n * esz, STEP)
  get(N);
  i32Const(esz);
  code.push(Op.i32Mul);
  i32Const(STEP - 1);
  code.push(Op.i32Add);
  i32Const(-STEP);
  code.push(Op.i32And);
  set(END);

  code.push(Op.block, 0x40, Op.loop, 0x40);
  get(I);
  get(END);
  code.push(Op.i32GeU, Op.brIf);
  uleb(code, 1);
  for (let u = 0; u < UNROLL; u++) {
    const off = u * 16;
    for (const k of low.loads) {
      get(ptrLocal(k));
      get(I);
      code.push(Op.i32Add);
      simd(Simd.load);
      memarg(4, off);
      set(curLocal(k));
    }
    for (const st of low.body) {
      if (st.kind === 'let') {
        emit(st.value);
        set(progLocal(st.local));
      } else {
        get(ptrLocal(st.buffer));
        get(I);
        code.push(Op.i32Add);
        emit(st.value);
        if (st.reread) {
          code.push(Op.localTee);
          uleb(code, curLocal(st.buffer));
        }
        simd(Simd.store);
        memarg(4, off);
      }
    }
  }
  get(I);
  i32Const(STEP);
  code.push(Op.i32Add);
  set(I);
  code.push(Op.br);
  uleb(code, 0);
  code.push(Op.end, Op.end, Op.end);

  // Function body: local declarations, then the code.
  const body: number[] = [];
  const groups: [number, number][] = [
    [B + 2, T.i32],
    [S + B + L + numTemps, T.v128],
  ];
  uleb(body, groups.length);
  for (const [count, type] of groups) {
    uleb(body, count);
    body.push(type);
  }
  for (const b of code) body.push(b);

  const mod: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // Type section: 0 (i32, i32) -> (), 1 (f64) -> f64, 2 (f64, f64) -> f64.
  section(mod, 1, [3, 0x60, 2, T.i32, T.i32, 0, 0x60, 1, T.f64, 1, T.f64, 0x60, 2, T.f64, T.f64, 1, T.f64]);
  // Import section: env.memory, limits min 0 and no max (fits any memory); a shared memory
  // must be imported as shared with a maximum (the 4 GiB the backend declares). Then the
  // math functions, from the kernels instance.
  const imp: number[] = [];
  uleb(imp, 1 + imports.length);
  name(imp, 'env');
  name(imp, 'memory');
  if (shared) {
    imp.push(0x02, 0x03, 0x00);
    uleb(imp, 65536);
  } else imp.push(0x02, 0x00, 0x00);
  for (const f of imports) {
    name(imp, 'k');
    name(imp, f.name);
    imp.push(0x00, f.binary ? 2 : 1);
  }
  section(mod, 2, imp);
  // Function section: `run`, after the imported functions.
  section(mod, 3, [1, 0]);
  // Export section.
  const exp: number[] = [1];
  name(exp, 'run');
  exp.push(0x00);
  uleb(exp, imports.length);
  section(mod, 7, exp);
  // Code section.
  const codeSec: number[] = [1];
  uleb(codeSec, body.length);
  for (const b of body) codeSec.push(b);
  section(mod, 10, codeSec);
  return new Uint8Array(mod);
}
