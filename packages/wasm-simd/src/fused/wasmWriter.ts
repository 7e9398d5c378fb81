/** Minimal WebAssembly binary writing: LEB128 numbers, vectors, sections. */

export function uleb(out: number[], v: number): void {
  do {
    let b = v & 0x7f;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

export function sleb(out: number[], v: number): void {
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

export function name(out: number[], s: string): void {
  uleb(out, s.length);
  for (let i = 0; i < s.length; i++) out.push(s.charCodeAt(i));
}

export function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  uleb(out, body.length);
  for (const b of body) out.push(b);
}

export const T = { i32: 0x7f, i64: 0x7e, f32: 0x7d, f64: 0x7c, v128: 0x7b } as const;

/** Core opcodes used by the fused compiler. */
export const Op = {
  block: 0x02,
  loop: 0x03,
  br: 0x0c,
  brIf: 0x0d,
  end: 0x0b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  call: 0x10,
  i32Load: 0x28,
  f64Load: 0x2b,
  i32Const: 0x41,
  i32GeU: 0x4f,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  f32DemoteF64: 0xb6,
  f64PromoteF32: 0xbb,
  simd: 0xfd,
} as const;

/** SIMD opcodes (after the 0xfd prefix). */
export const Simd = {
  load: 0x00,
  store: 0x0b,
  const: 0x0c,
  f32x4Splat: 0x13,
  f64x2Splat: 0x14,
  f32x4ExtractLane: 0x1f,
  f32x4ReplaceLane: 0x20,
  f64x2ExtractLane: 0x21,
  f64x2ReplaceLane: 0x22,
  not: 0x4d,
  and: 0x4e,
  bitselect: 0x52,
  f32x4: {
    eq: 0x41,
    ne: 0x42,
    lt: 0x43,
    gt: 0x44,
    le: 0x45,
    ge: 0x46,
    ceil: 0x67,
    floor: 0x68,
    trunc: 0x69,
    nearest: 0x6a,
    abs: 0xe0,
    neg: 0xe1,
    sqrt: 0xe3,
    add: 0xe4,
    sub: 0xe5,
    mul: 0xe6,
    div: 0xe7,
    min: 0xe8,
    max: 0xe9,
  },
  f64x2: {
    eq: 0x47,
    ne: 0x48,
    lt: 0x49,
    gt: 0x4a,
    le: 0x4b,
    ge: 0x4c,
    ceil: 0x74,
    floor: 0x75,
    trunc: 0x7a,
    nearest: 0x94,
    abs: 0xec,
    neg: 0xed,
    sqrt: 0xef,
    add: 0xf0,
    sub: 0xf1,
    mul: 0xf2,
    div: 0xf3,
    min: 0xf4,
    max: 0xf5,
  },
} as const;
