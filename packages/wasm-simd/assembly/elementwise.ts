// Elementwise kernels: unary, binary (broadcast views), where, cast, fill, strided copy.
import {
  B_ADD,
  B_AND,
  B_DIV,
  B_EQ,
  B_GE,
  B_GT,
  B_LE,
  B_LT,
  B_MAX,
  B_MUL,
  B_NE,
  B_POW,
  B_SUB,
  F32,
  F64,
  I32,
  U_ABS,
  U_EXP,
  U_LOG,
  U_NEG,
  U_NOT,
  U_RECIPROCAL,
  U_RELU,
  U_RSQRT,
  U_SIGMOID,
  U_SIGN,
  U_SOFTPLUS,
  U_SQRT,
  U_SQUARE,
  U_TANH,
  U8,
} from '../src/codes';
import { copyBytes, esize, imin, ldAny, nan, stAny } from './common';
import { dimOf, strideOf, walkNext, walkOffset, walkStart } from './walk';

// ---- unary ----
function unaryF64(op: i32, x: f64): f64 {
  switch (op) {
    case U_NEG:
      return -x;
    case U_EXP:
      return Math.exp(x);
    case U_LOG:
      return Math.log(x);
    case U_SQRT:
      return Math.sqrt(x);
    case U_RSQRT:
      return 1.0 / Math.sqrt(x);
    case U_ABS:
      return Math.abs(x);
    case U_SIGN:
      // PyTorch: (0 < x) - (x < 0), so sign(NaN) = sign(-0) = 0.
      return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
    case U_SQUARE:
      return x * x;
    case U_RELU:
      // clamp_min(x, 0): NaN and -0 pass through.
      return x < 0 ? 0.0 : x;
    case U_SIGMOID: {
      // exp of -|x| never overflows; e/(1+e) for x < 0 keeps tiny results accurate.
      const e = Math.exp(-Math.abs(x));
      return x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
    }
    case U_TANH:
      return Math.tanh(x);
    case U_SOFTPLUS:
      return x > 20.0 ? x : Math.log1p(Math.exp(x));
    case U_RECIPROCAL:
      return 1.0 / x;
    default:
      return x === 0 ? 1.0 : 0.0;
  }
}

/**
 * float32 transcendentals through AssemblyScript's single-precision Mathf (ports of musl's
 * expf/logf/tanhf/log1pf, within about an ulp): faster than float64 and well inside
 * PyTorch's float32 tolerance. Everything else goes through the float64 path.
 */
function unaryF32(op: i32, x: f32): f32 {
  switch (op) {
    case U_EXP:
      return Mathf.exp(x);
    case U_LOG:
      return Mathf.log(x);
    case U_SIGMOID: {
      const e = Mathf.exp(-Mathf.abs(x));
      return x >= 0 ? <f32>1.0 / (<f32>1.0 + e) : e / (<f32>1.0 + e);
    }
    case U_TANH:
      return Mathf.tanh(x);
    case U_SOFTPLUS:
      return x > <f32>20.0 ? x : Mathf.log1p(Mathf.exp(x));
    default:
      return <f32>unaryF64(op, <f64>x);
  }
}

function unaryI32(op: i32, x: i32): i32 {
  switch (op) {
    case U_NEG:
      return -x;
    case U_ABS:
      return x < 0 ? -x : x;
    case U_SIGN:
      return x > 0 ? 1 : x < 0 ? -1 : 0;
    case U_SQUARE:
      return x * x;
    case U_RELU:
      return x > 0 ? x : 0;
    default:
      return <i32>unaryF64(op, <f64>x);
  }
}

// expf constants as a table in memory: V8 rebuilds a v128.const with several instructions
// at every use inside a loop, while a load from here is one instruction (or folds into the
// arithmetic).
const EXP_K = memory.data<f32>([
  -104.0,
  89.0,
  <f32>Math.LOG2E,
  0.693359375,
  -2.1219444e-4,
  1.98756915e-4,
  1.3981999507e-3,
  8.3334519073e-3,
  4.1665795894e-2,
  1.6666665459e-1,
  5.0000001201e-1,
  1.0,
  12582912.0,
]);

function k4(i: i32): v128 {
  return v128.load32_splat(EXP_K + ((<usize>i) << 2));
}

/**
 * e^x on four float32 lanes (Cephes' expf: Cody-Waite reduction by ln 2, a degree-6
 * polynomial, then 2^n applied in two halves so subnormal results and n = 128 stay exact).
 * Within 1 ulp of the correctly rounded result (measured); NaN propagates, ±inf give inf / 0.
 */
function expF32x4(x: v128): v128 {
  // pmax(x, lo) = x < lo ? lo : x and pmin(x, hi) = hi < x ? hi : x keep a NaN lane NaN,
  // and map to single instructions (wasm's NaN-propagating min/max do not).
  x = f32x4.pmin(f32x4.pmax(x, k4(0)), k4(1));
  // Round x·log2(e) to an integer by adding 1.5·2^23: the sum's low mantissa bits are n
  // (cheaper than nearest + trunc_sat).
  const shifter = k4(12);
  const t = f32x4.add(f32x4.mul(x, k4(2)), shifter);
  const n = f32x4.sub(t, shifter);
  let r = f32x4.sub(x, f32x4.mul(n, k4(3)));
  r = f32x4.sub(r, f32x4.mul(n, k4(4)));
  let p = k4(5);
  p = f32x4.add(f32x4.mul(p, r), k4(6));
  p = f32x4.add(f32x4.mul(p, r), k4(7));
  p = f32x4.add(f32x4.mul(p, r), k4(8));
  p = f32x4.add(f32x4.mul(p, r), k4(9));
  p = f32x4.add(f32x4.mul(p, r), k4(10));
  p = f32x4.add(f32x4.mul(f32x4.mul(p, r), r), f32x4.add(r, k4(11)));
  const ni = i32x4.sub(t, shifter);
  const n1 = i32x4.shr_s(ni, 1);
  const n2 = i32x4.sub(ni, n1);
  const s1 = i32x4.shl(i32x4.add(n1, i32x4.splat(127)), 23);
  const s2 = i32x4.shl(i32x4.add(n2, i32x4.splat(127)), 23);
  return f32x4.mul(f32x4.mul(p, s1), s2);
}

function unaryVecF32(op: i32, v: v128): v128 {
  switch (op) {
    case U_EXP:
      return expF32x4(v);
    case U_SIGMOID: {
      // e = exp(-|x|) never overflows: x >= 0 gives 1/(1+e), x < 0 gives e/(1+e).
      const e = expF32x4(f32x4.neg(f32x4.abs(v)));
      const num = v128.bitselect(f32x4.splat(1.0), e, f32x4.ge(v, f32x4.splat(0)));
      return f32x4.div(num, f32x4.add(f32x4.splat(1.0), e));
    }
    case U_NEG:
      return f32x4.neg(v);
    case U_SQRT:
      return f32x4.sqrt(v);
    case U_RSQRT:
      return f32x4.div(f32x4.splat(1.0), f32x4.sqrt(v));
    case U_ABS:
      return f32x4.abs(v);
    case U_SQUARE:
      return f32x4.mul(v, v);
    case U_RELU:
      // x < 0 ? 0 : x (NaN and -0 pass through, as clamp_min).
      return v128.andnot(v, f32x4.lt(v, f32x4.splat(0)));
    default:
      return f32x4.div(f32x4.splat(1.0), v);
  }
}

function unaryVecF64(op: i32, v: v128): v128 {
  switch (op) {
    case U_NEG:
      return f64x2.neg(v);
    case U_SQRT:
      return f64x2.sqrt(v);
    case U_RSQRT:
      return f64x2.div(f64x2.splat(1.0), f64x2.sqrt(v));
    case U_ABS:
      return f64x2.abs(v);
    case U_SQUARE:
      return f64x2.mul(v, v);
    case U_RELU:
      return v128.andnot(v, f64x2.lt(v, f64x2.splat(0)));
    default:
      return f64x2.div(f64x2.splat(1.0), v);
  }
}

function simdUnary(op: i32): bool {
  return (
    op === U_NEG ||
    op === U_SQRT ||
    op === U_RSQRT ||
    op === U_ABS ||
    op === U_SQUARE ||
    op === U_RELU ||
    op === U_RECIPROCAL
  );
}

function simdUnaryF32(op: i32): bool {
  return simdUnary(op) || op === U_EXP || op === U_SIGMOID;
}

export function unary(op: i32, dt: i32, odt: i32, x: usize, out: usize, n: i32): void {
  let i = 0;
  if (op === U_NOT || dt !== odt) {
    for (; i < n; i++) {
      const v = ldAny(dt, x, i);
      stAny(odt, out, i, op === U_NOT ? (v === 0 ? 1.0 : 0.0) : unaryF64(op, v));
    }
    return;
  }
  if (dt === F32) {
    // exp and sigmoid get loops of their own: inside the generic per-vector switch the
    // polynomial's constants and temporaries spill.
    if (op === U_EXP) {
      for (; i + 4 <= n; i += 4)
        v128.store(out + ((<usize>i) << 2), expF32x4(v128.load(x + ((<usize>i) << 2))));
    } else if (op === U_SIGMOID) {
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(x + ((<usize>i) << 2));
        const e = expF32x4(f32x4.neg(f32x4.abs(v)));
        const num = v128.bitselect(f32x4.splat(1.0), e, f32x4.ge(v, f32x4.splat(0)));
        v128.store(out + ((<usize>i) << 2), f32x4.div(num, f32x4.add(f32x4.splat(1.0), e)));
      }
    } else if (op === U_RELU) {
      // relu is most of a small MLP's elementwise work: its own loop, no per-vector switch.
      const zero = f32x4.splat(0);
      for (; i + 4 <= n; i += 4) {
        const v = v128.load(x + ((<usize>i) << 2));
        v128.store(out + ((<usize>i) << 2), v128.andnot(v, f32x4.lt(v, zero)));
      }
    } else if (simdUnaryF32(op)) {
      for (; i + 4 <= n; i += 4)
        v128.store(out + ((<usize>i) << 2), unaryVecF32(op, v128.load(x + ((<usize>i) << 2))));
    }
    for (; i < n; i++) {
      const p = (<usize>i) << 2;
      store<f32>(out + p, unaryF32(op, load<f32>(x + p)));
    }
  } else if (dt === F64) {
    if (simdUnary(op)) {
      for (; i + 2 <= n; i += 2)
        v128.store(out + ((<usize>i) << 3), unaryVecF64(op, v128.load(x + ((<usize>i) << 3))));
    }
    for (; i < n; i++) {
      const p = (<usize>i) << 3;
      store<f64>(out + p, unaryF64(op, load<f64>(x + p)));
    }
  } else if (dt === I32) {
    for (; i < n; i++) {
      const p = (<usize>i) << 2;
      store<i32>(out + p, unaryI32(op, load<i32>(x + p)));
    }
  } else {
    for (; i < n; i++) stAny(U8, out, i, unaryF64(op, ldAny(U8, x, i)));
  }
}

// ---- binary ----

/**
 * C's pow (PyTorch's): 1 for base 1 whatever the exponent (NaN included) and for base -1
 * with an infinite exponent, where the pow beneath gives NaN.
 */
function floatPow(x: f64, y: f64): f64 {
  if (x === 1.0 || (x === -1.0 && (y === Infinity || y === -Infinity))) return 1.0;
  return x ** y;
}

/**
 * PyTorch's int32 power: by squaring with wrapping products; a negative exponent gives 1
 * for base 1, ±1 for base -1 and 0 otherwise (the integer part of the reciprocal).
 */
function intPow(x: i32, y: i32): i32 {
  if (y < 0) return x === 1 ? 1 : x === -1 ? ((y & 1) !== 0 ? -1 : 1) : 0;
  let r = 1;
  let base = x;
  for (let e = <u32>y; e !== 0; e >>= 1) {
    if ((e & 1) !== 0) r *= base;
    base *= base;
  }
  return r;
}

function arith<T>(op: i32, a: T, b: T): T {
  switch (op) {
    case B_ADD:
      return a + b;
    case B_SUB:
      return a - b;
    case B_MUL:
      return a * b;
    case B_DIV:
      if (isInteger<T>()) return <T>(<f64>a / <f64>b);
      return a / b;
    case B_POW:
      if (isInteger<T>()) return <T>intPow(<i32>a, <i32>b);
      return <T>floatPow(<f64>a, <f64>b);
    case B_MAX:
      // PyTorch: NaN propagates, ties (0 vs -0) keep the first operand.
      return a >= b || nan<T>(a) ? a : b;
    default:
      return a <= b || nan<T>(a) ? a : b;
  }
}

function compare<T>(op: i32, a: T, b: T): bool {
  switch (op) {
    case B_EQ:
      return a === b;
    case B_NE:
      return a !== b;
    case B_LT:
      return a < b;
    case B_LE:
      return a <= b;
    case B_GT:
      return a > b;
    case B_GE:
      return a >= b;
    case B_AND:
      return a !== <T>0 && b !== <T>0;
    default:
      return a !== <T>0 || b !== <T>0;
  }
}

function vecArithF32(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD:
      return f32x4.add(a, b);
    case B_SUB:
      return f32x4.sub(a, b);
    case B_MUL:
      return f32x4.mul(a, b);
    case B_DIV:
      return f32x4.div(a, b);
    case B_MAX:
      return v128.bitselect(a, b, v128.or(f32x4.ge(a, b), f32x4.ne(a, a)));
    default:
      return v128.bitselect(a, b, v128.or(f32x4.le(a, b), f32x4.ne(a, a)));
  }
}

function vecArithF64(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case B_ADD:
      return f64x2.add(a, b);
    case B_SUB:
      return f64x2.sub(a, b);
    case B_MUL:
      return f64x2.mul(a, b);
    case B_DIV:
      return f64x2.div(a, b);
    case B_MAX:
      return v128.bitselect(a, b, v128.or(f64x2.ge(a, b), f64x2.ne(a, a)));
    default:
      return v128.bitselect(a, b, v128.or(f64x2.le(a, b), f64x2.ne(a, a)));
  }
}

/**
 * The vector part of a float32 add/sub/mul/div row, both operands contiguous or one
 * broadcast (stride 0): one loop per op and stride pattern, so a short row (a bias of 20
 * features) runs a few instructions a vector with no dispatch inside. Returns how many
 * elements it did (0 for other strides and ops).
 */
function vecRowF32(op: i32, pa: usize, sa: i32, pb: usize, sb: i32, po: usize, n: i32): i32 {
  let i = 0;
  if (sa === 1 && sb === 1) {
    switch (op) {
      case B_ADD:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.add(v128.load(pa + o), v128.load(pb + o)));
        }
        break;
      case B_SUB:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.sub(v128.load(pa + o), v128.load(pb + o)));
        }
        break;
      case B_MUL:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.mul(v128.load(pa + o), v128.load(pb + o)));
        }
        break;
      case B_DIV:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.div(v128.load(pa + o), v128.load(pb + o)));
        }
        break;
    }
  } else if (sa === 1 && sb === 0) {
    const vb = v128.load32_splat(pb);
    switch (op) {
      case B_ADD:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.add(v128.load(pa + o), vb));
        }
        break;
      case B_SUB:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.sub(v128.load(pa + o), vb));
        }
        break;
      case B_MUL:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.mul(v128.load(pa + o), vb));
        }
        break;
      case B_DIV:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.div(v128.load(pa + o), vb));
        }
        break;
    }
  } else if (sa === 0 && sb === 1) {
    const va = v128.load32_splat(pa);
    switch (op) {
      case B_ADD:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.add(va, v128.load(pb + o)));
        }
        break;
      case B_SUB:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.sub(va, v128.load(pb + o)));
        }
        break;
      case B_MUL:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.mul(va, v128.load(pb + o)));
        }
        break;
      case B_DIV:
        for (; i + 4 <= n; i += 4) {
          const o = (<usize>i) << 2;
          v128.store(po + o, f32x4.div(va, v128.load(pb + o)));
        }
        break;
    }
  }
  return i;
}

/**
 * `M (rows × n, contiguous) op R (one row, repeated)`, or `R op M` when `rowFirst`: a bias
 * added to a batch. Walks each 4-lane column chunk down the rows, so the row's vector is
 * loaded once per chunk and no row pays a call (a row of a small layer is 5 vectors).
 */
function rowBroadcastF32(op: i32, pm: usize, pr: usize, po: usize, rows: i32, n: i32, rowFirst: bool): void {
  const rowBytes = (<usize>n) << 2;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const vr = v128.load(pr + ((<usize>j) << 2));
    let qm = pm + ((<usize>j) << 2);
    let qo = po + ((<usize>j) << 2);
    for (let r = 0; r < rows; r++) {
      const vm = v128.load(qm);
      v128.store(qo, rowFirst ? vecArithF32(op, vr, vm) : vecArithF32(op, vm, vr));
      qm += rowBytes;
      qo += rowBytes;
    }
  }
  for (; j < n; j++) {
    const y = load<f32>(pr + ((<usize>j) << 2));
    let qm = pm + ((<usize>j) << 2);
    let qo = po + ((<usize>j) << 2);
    for (let r = 0; r < rows; r++) {
      const x = load<f32>(qm);
      store<f32>(qo, rowFirst ? arith<f32>(op, y, x) : arith<f32>(op, x, y));
      qm += rowBytes;
      qo += rowBytes;
    }
  }
}

/**
 * `rows` rows of a float32 add/sub/mul/div: row pointers step by `ra`/`rb` bytes, elements
 * by `sa`/`sb`. False for other ops.
 */
function arithRowsF32(
  op: i32,
  pa: usize,
  ra: usize,
  sa: i32,
  pb: usize,
  rb: usize,
  sb: i32,
  po: usize,
  rows: i32,
  n: i32,
): bool {
  if (op !== B_ADD && op !== B_SUB && op !== B_MUL && op !== B_DIV) return false;
  const rowBytes = (<usize>n) << 2;
  if (sa === 1 && sb === 1 && rows >= 4) {
    if (ra === rowBytes && rb === 0) {
      rowBroadcastF32(op, pa, pb, po, rows, n, false);
      return true;
    }
    if (rb === rowBytes && ra === 0) {
      rowBroadcastF32(op, pb, pa, po, rows, n, true);
      return true;
    }
  }
  const ssa = (<usize>sa) << 2;
  const ssb = (<usize>sb) << 2;
  for (let r = 0; r < rows; r++) {
    let i = vecRowF32(op, pa, sa, pb, sb, po, n);
    let qa = pa + <usize>i * ssa;
    let qb = pb + <usize>i * ssb;
    for (; i < n; i++) {
      store<f32>(po + ((<usize>i) << 2), arith<f32>(op, load<f32>(qa), load<f32>(qb)));
      qa += ssa;
      qb += ssb;
    }
    pa += ra;
    pb += rb;
    po += (<usize>n) << 2;
  }
  return true;
}

/** One row of a binary op: `n` elements, input strides in elements, contiguous output. */
function arithRow<T>(op: i32, pa: usize, sa: i32, pb: usize, sb: i32, po: usize, n: i32): void {
  const sz = sizeof<T>();
  let i = 0;
  if (isFloat<T>() && op !== B_POW) {
    const lanes = 16 / <i32>sz;
    if (sa === 1 && sb === 1) {
      for (; i + lanes <= n; i += lanes) {
        const o = <usize>i * sz;
        const va = v128.load(pa + o);
        const vb = v128.load(pb + o);
        v128.store(po + o, sz === 4 ? vecArithF32(op, va, vb) : vecArithF64(op, va, vb));
      }
    } else if (sa === 1 && sb === 0) {
      const vb = sz === 4 ? v128.load32_splat(pb) : v128.load64_splat(pb);
      for (; i + lanes <= n; i += lanes) {
        const o = <usize>i * sz;
        const va = v128.load(pa + o);
        v128.store(po + o, sz === 4 ? vecArithF32(op, va, vb) : vecArithF64(op, va, vb));
      }
    } else if (sa === 0 && sb === 1) {
      const va = sz === 4 ? v128.load32_splat(pa) : v128.load64_splat(pa);
      for (; i + lanes <= n; i += lanes) {
        const o = <usize>i * sz;
        const vb = v128.load(pb + o);
        v128.store(po + o, sz === 4 ? vecArithF32(op, va, vb) : vecArithF64(op, va, vb));
      }
    }
  }
  const ssa = <usize>sa * sz;
  const ssb = <usize>sb * sz;
  let qa = pa + <usize>i * ssa;
  let qb = pb + <usize>i * ssb;
  for (; i < n; i++) {
    store<T>(po + <usize>i * sz, arith<T>(op, load<T>(qa), load<T>(qb)));
    qa += ssa;
    qb += ssb;
  }
}

/** Lane masks (all ones where true) of a float32/int32 comparison. */
function vecCompare32<T>(op: i32, a: v128, b: v128): v128 {
  if (isFloat<T>()) {
    switch (op) {
      case B_EQ:
        return f32x4.eq(a, b);
      case B_NE:
        return f32x4.ne(a, b);
      case B_LT:
        return f32x4.lt(a, b);
      case B_LE:
        return f32x4.le(a, b);
      case B_GT:
        return f32x4.gt(a, b);
      default:
        return f32x4.ge(a, b);
    }
  }
  switch (op) {
    case B_EQ:
      return i32x4.eq(a, b);
    case B_NE:
      return i32x4.ne(a, b);
    case B_LT:
      return i32x4.lt_s(a, b);
    case B_LE:
      return i32x4.le_s(a, b);
    case B_GT:
      return i32x4.gt_s(a, b);
    default:
      return i32x4.ge_s(a, b);
  }
}

function compareRow<T>(op: i32, odt: i32, pa: usize, sa: i32, pb: usize, sb: i32, po: usize, n: i32): void {
  const sz = sizeof<T>();
  const ssa = <usize>sa * sz;
  const ssb = <usize>sb * sz;
  let i = 0;
  // float32/int32 into bool, contiguous or against a broadcast scalar (relu's backward mask):
  // 16 comparisons narrowed to 16 bytes of 0/1.
  if (sz === 4 && odt === U8 && op <= B_GE && sa === 1 && (sb === 1 || sb === 0)) {
    const splatB = v128.load32_splat(pb);
    const one = i8x16.splat(1);
    for (; i + 16 <= n; i += 16) {
      const qa = pa + ((<usize>i) << 2);
      const qb = pb + ((<usize>i) << 2);
      const m0 = vecCompare32<T>(op, v128.load(qa), sb === 0 ? splatB : v128.load(qb));
      const m1 = vecCompare32<T>(op, v128.load(qa, 16), sb === 0 ? splatB : v128.load(qb, 16));
      const m2 = vecCompare32<T>(op, v128.load(qa, 32), sb === 0 ? splatB : v128.load(qb, 32));
      const m3 = vecCompare32<T>(op, v128.load(qa, 48), sb === 0 ? splatB : v128.load(qb, 48));
      const lo = i16x8.narrow_i32x4_s(m0, m1);
      const hi = i16x8.narrow_i32x4_s(m2, m3);
      v128.store(po + <usize>i, v128.and(i8x16.narrow_i16x8_s(lo, hi), one));
    }
  }
  let qa = pa + <usize>i * ssa;
  let qb = pb + <usize>i * ssb;
  if (odt === U8) {
    for (; i < n; i++) {
      store<u8>(po + i, compare<T>(op, load<T>(qa), load<T>(qb)) ? 1 : 0);
      qa += ssa;
      qb += ssb;
    }
  } else {
    for (; i < n; i++) {
      stAny(odt, po, i, compare<T>(op, load<T>(qa), load<T>(qb)) ? 1.0 : 0.0);
      qa += ssa;
      qb += ssb;
    }
  }
}

function binF64(op: i32, a: f64, b: f64): f64 {
  if (op >= B_EQ) return compare<f64>(op, a, b) ? 1.0 : 0.0;
  return arith<f64>(op, a, b);
}

/** Any mix of dtypes: f64 arithmetic, stored with `out`'s conversion (bool: !== 0). */
function genericRow(
  op: i32,
  adt: i32,
  bdt: i32,
  odt: i32,
  pa: usize,
  sa: i32,
  pb: usize,
  sb: i32,
  po: usize,
  n: i32,
): void {
  // An int32 power stays integer arithmetic (a scalar exponent arrives here as an f64 cell).
  const intPower = op === B_POW && odt === I32;
  for (let i = 0; i < n; i++) {
    const x = ldAny(adt, pa, <isize>i * sa);
    const y = ldAny(bdt, pb, <isize>i * sb);
    stAny(odt, po, i, intPower ? <f64>intPow(<i32>x, <i32>y) : binF64(op, x, y));
  }
}

function binaryRow(
  op: i32,
  adt: i32,
  bdt: i32,
  odt: i32,
  pa: usize,
  sa: i32,
  pb: usize,
  sb: i32,
  po: usize,
  n: i32,
): void {
  const dt = adt;
  if (adt !== bdt || (op < B_EQ && (odt !== adt || adt === U8))) {
    genericRow(op, adt, bdt, odt, pa, sa, pb, sb, po, n);
  } else if (op >= B_EQ) {
    if (dt === F32) compareRow<f32>(op, odt, pa, sa, pb, sb, po, n);
    else if (dt === F64) compareRow<f64>(op, odt, pa, sa, pb, sb, po, n);
    else if (dt === I32) compareRow<i32>(op, odt, pa, sa, pb, sb, po, n);
    else compareRow<u8>(op, odt, pa, sa, pb, sb, po, n);
  } else if (dt === F32) arithRow<f32>(op, pa, sa, pb, sb, po, n);
  else if (dt === F64) arithRow<f64>(op, pa, sa, pb, sb, po, n);
  else if (dt === I32) arithRow<i32>(op, pa, sa, pb, sb, po, n);
  else arithRow<u8>(op, pa, sa, pb, sb, po, n);
}

/**
 * `out = op(a, b)` over an n-d shape. `meta` holds the walk's words (walk.ts): shape,
 * aStrides, bStrides, state. Pointers `a`/`b` already include the views' offsets.
 */
export function binary(
  op: i32,
  adt: i32,
  bdt: i32,
  odt: i32,
  a: usize,
  b: usize,
  out: usize,
  ndim: i32,
  meta: usize,
): void {
  const last = ndim - 1;
  const n = dimOf(meta, last);
  const sa = strideOf(meta, ndim, 0, last);
  const sb = strideOf(meta, ndim, 1, last);
  const asz = <usize>esize(adt);
  const bsz = <usize>esize(bdt);
  const osz = <usize>esize(odt);
  if (ndim === 2) {
    // One outer dimension (a broadcast bias row, a column): row pointers step by their
    // strides, no walk.
    const rows = dimOf(meta, 0);
    const ra = <usize>strideOf(meta, 2, 0, 0) * asz;
    const rb = <usize>strideOf(meta, 2, 1, 0) * bsz;
    const ro = <usize>n * osz;
    if (adt === F32 && bdt === F32 && odt === F32 && arithRowsF32(op, a, ra, sa, b, rb, sb, out, rows, n)) {
      return;
    }
    let pa = a;
    let pb = b;
    let po = out;
    for (let r = 0; r < rows; r++) {
      binaryRow(op, adt, bdt, odt, pa, sa, pb, sb, po, n);
      pa += ra;
      pb += rb;
      po += ro;
    }
    return;
  }
  const rows = walkStart(meta, ndim, 2, last);
  for (let r = 0; r < rows; r++) {
    const pa = a + walkOffset(meta, ndim, 2, 0) * asz;
    const pb = b + walkOffset(meta, ndim, 2, 1) * bsz;
    binaryRow(op, adt, bdt, odt, pa, sa, pb, sb, out + <usize>r * <usize>n * osz, n);
    walkNext(meta, ndim, 2, last);
  }
}

// ---- where and strided copy (byte-size generic) ----

/** One row of `where` with compile-time element types (C: the condition, T: the values). */
function whereRowT<C, T>(
  pc: usize,
  sc: i32,
  pa: usize,
  sa: i32,
  pb: usize,
  sb: i32,
  po: usize,
  n: i32,
): void {
  const cs = <usize>sc * sizeof<C>();
  const as = <usize>sa * sizeof<T>();
  const bs = <usize>sb * sizeof<T>();
  let i = 0;
  // float32/int32 values under a bool condition, condition and first value contiguous
  // (relu's backward: where(x > 0, grad, 0)): 4 lanes at a time.
  if (sizeof<C>() === 1 && sizeof<T>() === 4 && sc === 1 && sa === 1 && (sb === 1 || sb === 0)) {
    const splatB = sb === 0 ? v128.load32_splat(pb) : i32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const c4 = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(pc + <usize>i)));
      const mask = i32x4.ne(c4, i32x4.splat(0));
      const o = (<usize>i) << 2;
      const vb = sb === 0 ? splatB : v128.load(pb + o);
      v128.store(po + o, v128.bitselect(v128.load(pa + o), vb, mask));
    }
  }
  let qc = pc + <usize>i * cs;
  let qa = pa + <usize>i * as;
  let qb = pb + <usize>i * bs;
  for (; i < n; i++) {
    store<T>(po + <usize>i * sizeof<T>(), load<C>(qc) !== <C>0 ? load<T>(qa) : load<T>(qb));
    qc += cs;
    qa += as;
    qb += bs;
  }
}

function whereRow(
  csz: i32,
  pc: usize,
  sc: i32,
  esz: i32,
  pa: usize,
  sa: i32,
  pb: usize,
  sb: i32,
  po: usize,
  n: i32,
): void {
  // Integer loads: the values are copied bit for bit (a float condition was cast to bool).
  if (csz === 1) {
    if (esz === 4) whereRowT<u8, i32>(pc, sc, pa, sa, pb, sb, po, n);
    else if (esz === 8) whereRowT<u8, i64>(pc, sc, pa, sa, pb, sb, po, n);
    else whereRowT<u8, u8>(pc, sc, pa, sa, pb, sb, po, n);
  } else {
    if (esz === 4) whereRowT<i32, i32>(pc, sc, pa, sa, pb, sb, po, n);
    else if (esz === 8) whereRowT<i32, i64>(pc, sc, pa, sa, pb, sb, po, n);
    else whereRowT<i32, u8>(pc, sc, pa, sa, pb, sb, po, n);
  }
}

/**
 * `out = cond ? a : b`. `cdt` is cond's dtype; float conds compare their bits against 0, so
 * -0.0 is handled by the caller casting a float cond to bool first. meta: the walk's words
 * (walk.ts) for cond, a, b.
 */
export function where(
  cdt: i32,
  dt: i32,
  c: usize,
  a: usize,
  b: usize,
  out: usize,
  ndim: i32,
  meta: usize,
): void {
  const last = ndim - 1;
  const n = dimOf(meta, last);
  const sc = strideOf(meta, ndim, 0, last);
  const sa = strideOf(meta, ndim, 1, last);
  const sb = strideOf(meta, ndim, 2, last);
  const rows = walkStart(meta, ndim, 3, last);
  const esz = esize(dt);
  const csz = esize(cdt);
  for (let r = 0; r < rows; r++) {
    const pc = c + walkOffset(meta, ndim, 3, 0) * csz;
    const pa = a + walkOffset(meta, ndim, 3, 1) * esz;
    const pb = b + walkOffset(meta, ndim, 3, 2) * esz;
    whereRow(csz, pc, sc, esz, pa, sa, pb, sb, out + <usize>r * <usize>n * <usize>esz, n);
    walkNext(meta, ndim, 3, last);
  }
}

function copyElem(esz: i32, dst: usize, src: usize): void {
  if (esz === 4) store<i32>(dst, load<i32>(src));
  else if (esz === 8) store<i64>(dst, load<i64>(src));
  else store<u8>(dst, load<u8>(src));
}

/**
 * A transpose-like copy (the last dim strided, the one before it contiguous in the source):
 * 8 x 8 tiles, so reads and writes stay within a few cache lines (and 8 rows of a
 * power-of-two stride still fit one 8-way L1 set).
 */
function copyTiled(esz: i32, src: usize, out: usize, ndim: i32, meta: usize): void {
  const last = ndim - 1;
  const rr = dimOf(meta, last - 1);
  const n = dimOf(meta, last);
  const s = strideOf(meta, ndim, 0, last);
  const planes = walkStart(meta, ndim, 1, last - 1);
  const sz = <usize>esz;
  let po = out;
  for (let p = 0; p < planes; p++) {
    const ps = src + walkOffset(meta, ndim, 1, 0) * esz;
    for (let i0 = 0; i0 < rr; i0 += 8) {
      const i1 = imin(i0 + 8, rr);
      for (let j0 = 0; j0 < n; j0 += 8) {
        const j1 = imin(j0 + 8, n);
        for (let j = j0; j < j1; j++) {
          const srow = ps + <isize>j * s * esz;
          for (let i = i0; i < i1; i++) copyElem(esz, po + <usize>(i * n + j) * sz, srow + <usize>i * sz);
        }
      }
    }
    po += <usize>rr * <usize>n * sz;
    walkNext(meta, ndim, 1, last - 1);
  }
}

/** Strided gather into contiguous `out`; meta: the walk's words (walk.ts) for the source. */
export function copy(esz: i32, src: usize, out: usize, ndim: i32, meta: usize): void {
  const last = ndim - 1;
  const n = dimOf(meta, last);
  const s = strideOf(meta, ndim, 0, last);
  if (
    ndim >= 2 &&
    s !== 1 &&
    n >= 16 &&
    strideOf(meta, ndim, 0, last - 1) === 1 &&
    dimOf(meta, last - 1) >= 16
  ) {
    copyTiled(esz, src, out, ndim, meta);
    return;
  }
  const rows = walkStart(meta, ndim, 1, last);
  const rowBytes = <usize>n * <usize>esz;
  let po = out;
  for (let r = 0; r < rows; r++) {
    const ps = src + walkOffset(meta, ndim, 1, 0) * esz;
    if (s === 1) copyBytes(po, ps, rowBytes);
    else if (esz === 4) {
      for (let i = 0; i < n; i++) store<i32>(po + ((<usize>i) << 2), load<i32>(ps + ((<isize>i * s) << 2)));
    } else if (esz === 8) {
      for (let i = 0; i < n; i++) store<i64>(po + ((<usize>i) << 3), load<i64>(ps + ((<isize>i * s) << 3)));
    } else {
      for (let i = 0; i < n; i++) store<u8>(po + i, load<u8>(ps + <isize>i * s));
    }
    po += rowBytes;
    walkNext(meta, ndim, 1, last);
  }
}

export function cast(dt: i32, odt: i32, x: usize, out: usize, n: i32): void {
  if (dt === F32 && odt === F64) {
    for (let i = 0; i < n; i++) store<f64>(out + ((<usize>i) << 3), <f64>load<f32>(x + ((<usize>i) << 2)));
  } else if (dt === F64 && odt === F32) {
    for (let i = 0; i < n; i++) store<f32>(out + ((<usize>i) << 2), <f32>load<f64>(x + ((<usize>i) << 3)));
  } else {
    for (let i = 0; i < n; i++) stAny(odt, out, i, ldAny(dt, x, i));
  }
}

export function fill(dt: i32, out: usize, n: i32, v: f64): void {
  if (dt === F32) {
    const vv = f32x4.splat(<f32>v);
    let i = 0;
    for (; i + 4 <= n; i += 4) v128.store(out + ((<usize>i) << 2), vv);
    for (; i < n; i++) store<f32>(out + ((<usize>i) << 2), <f32>v);
  } else if (dt === F64) {
    const vv = f64x2.splat(v);
    let i = 0;
    for (; i + 2 <= n; i += 2) v128.store(out + ((<usize>i) << 3), vv);
    for (; i < n; i++) store<f64>(out + ((<usize>i) << 3), v);
  } else if (dt === I32) {
    const iv = <i32>v;
    for (let i = 0; i < n; i++) store<i32>(out + ((<usize>i) << 2), iv);
  } else {
    memory.fill(out, v !== 0 ? 1 : 0, <usize>n);
  }
}
