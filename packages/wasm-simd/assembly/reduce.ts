// Reductions along the middle axis of [outer, len, inner]; out is [outer, inner].
import { F32, F64, I32, R_ARGMAX, R_MAX, R_MIN, R_PROD, R_SUM } from '../src/codes';
import { copyBytes, ldAny, nan, stAny, zeroBytes } from './common';

/** Contiguous f32 sum accumulated in f64 lanes (long float32 sums stay accurate). */
function sumF32(p: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(p + ((<usize>i) << 2));
    a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
    a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) s += <f64>load<f32>(p + ((<usize>i) << 2));
  return s;
}

function sumF64(p: usize, n: i32): f64 {
  let a0 = f64x2.splat(0);
  let a1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    a0 = f64x2.add(a0, v128.load(p + ((<usize>i) << 3)));
    a1 = f64x2.add(a1, v128.load(p + ((<usize>i) << 3), 16));
  }
  const a = f64x2.add(a0, a1);
  let s = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1);
  for (; i < n; i++) s += load<f64>(p + ((<usize>i) << 3));
  return s;
}

/** Float sum with inner > 1: accumulate whole rows into an f64 scratch row. */
function sumRows<T>(x: usize, outer: i32, len: i32, inner: i32, out: usize, acc: usize): void {
  const sz = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) store<f64>(acc + ((<usize>i) << 3), 0);
    for (let j = 0; j < len; j++) {
      const row = x + <usize>(o * len + j) * <usize>inner * sz;
      let i = 0;
      if (sz === 4) {
        for (; i + 4 <= inner; i += 4) {
          const v = v128.load(row + ((<usize>i) << 2));
          const q = acc + ((<usize>i) << 3);
          v128.store(q, f64x2.add(v128.load(q), f64x2.promote_low_f32x4(v)));
          v128.store(
            q,
            f64x2.add(v128.load(q, 16), f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))),
            16,
          );
        }
      } else {
        for (; i + 2 <= inner; i += 2) {
          const q = acc + ((<usize>i) << 3);
          v128.store(q, f64x2.add(v128.load(q), v128.load(row + ((<usize>i) << 3))));
        }
      }
      for (; i < inner; i++) {
        const q = acc + ((<usize>i) << 3);
        store<f64>(q, load<f64>(q) + <f64>load<T>(row + <usize>i * sz));
      }
    }
    const orow = out + <usize>(o * inner) * sz;
    for (let i = 0; i < inner; i++) store<T>(orow + <usize>i * sz, <T>load<f64>(acc + ((<usize>i) << 3)));
  }
}

/** max/min of one contiguous row (NaN propagates: wasm's min/max do). */
function maxMinContiguous<T>(isMax: bool, p: usize, n: i32): T {
  const sz = sizeof<T>();
  let i = 0;
  let r = load<T>(p);
  if (isFloat<T>()) {
    const lanes = 16 / <i32>sz;
    if (n >= 2 * lanes) {
      let a0 = v128.load(p);
      let a1 = v128.load(p, 16);
      i = 2 * lanes;
      for (; i + 2 * lanes <= n; i += 2 * lanes) {
        const q = p + <usize>i * sz;
        if (sz === 4) {
          a0 = isMax ? f32x4.max(a0, v128.load(q)) : f32x4.min(a0, v128.load(q));
          a1 = isMax ? f32x4.max(a1, v128.load(q, 16)) : f32x4.min(a1, v128.load(q, 16));
        } else {
          a0 = isMax ? f64x2.max(a0, v128.load(q)) : f64x2.min(a0, v128.load(q));
          a1 = isMax ? f64x2.max(a1, v128.load(q, 16)) : f64x2.min(a1, v128.load(q, 16));
        }
      }
      if (sz === 4) {
        const m = isMax ? f32x4.max(a0, a1) : f32x4.min(a0, a1);
        const x0 = <T>f32x4.extract_lane(m, 0);
        const x1 = <T>f32x4.extract_lane(m, 1);
        const x2 = <T>f32x4.extract_lane(m, 2);
        const x3 = <T>f32x4.extract_lane(m, 3);
        r = isMax ? max<T>(max<T>(x0, x1), max<T>(x2, x3)) : min<T>(min<T>(x0, x1), min<T>(x2, x3));
      } else {
        const m = isMax ? f64x2.max(a0, a1) : f64x2.min(a0, a1);
        const x0 = <T>f64x2.extract_lane(m, 0);
        const x1 = <T>f64x2.extract_lane(m, 1);
        r = isMax ? max<T>(x0, x1) : min<T>(x0, x1);
      }
    }
  }
  for (; i < n; i++) {
    const v = load<T>(p + <usize>i * sz);
    r = isMax ? max<T>(r, v) : min<T>(r, v);
  }
  return r;
}

function maxMinRows<T>(isMax: bool, x: usize, outer: i32, len: i32, inner: i32, out: usize): void {
  const sz = sizeof<T>();
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      store<T>(out + <usize>o * sz, maxMinContiguous<T>(isMax, x + <usize>(o * len) * sz, len));
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const orow = out + <usize>(o * inner) * sz;
    copyBytes(orow, x + <usize>(o * len * inner) * sz, <usize>inner * sz);
    for (let j = 1; j < len; j++) {
      const row = x + <usize>((o * len + j) * inner) * sz;
      let i = 0;
      if (isFloat<T>()) {
        for (; i + 16 / <i32>sz <= inner; i += 16 / <i32>sz) {
          const q = orow + <usize>i * sz;
          const a = v128.load(q);
          const b = v128.load(row + <usize>i * sz);
          let r: v128;
          if (sz === 4) r = isMax ? f32x4.max(a, b) : f32x4.min(a, b);
          else r = isMax ? f64x2.max(a, b) : f64x2.min(a, b);
          v128.store(q, r);
        }
      }
      for (; i < inner; i++) {
        const q = orow + <usize>i * sz;
        const a = load<T>(q);
        const b = load<T>(row + <usize>i * sz);
        store<T>(q, isMax ? max<T>(a, b) : min<T>(a, b));
      }
    }
  }
}

/**
 * argmax/argmin: the first extreme wins; a NaN wins over everything (the first NaN).
 * Branch-free updates (selects), rows walked contiguously; `best` is scratch for inner > 1.
 */
function argRows<T>(isMax: bool, x: usize, outer: i32, len: i32, inner: i32, out: usize, best: usize): void {
  const sz = sizeof<T>();
  if (inner === 1) {
    for (let o = 0; o < outer; o++) {
      const base = x + <usize>(o * len) * sz;
      let b = load<T>(base);
      let bi = 0;
      for (let j = 1; j < len; j++) {
        const v = load<T>(base + <usize>j * sz);
        const take = (isMax ? v > b : v < b) || (nan<T>(v) && !nan<T>(b));
        b = take ? v : b;
        bi = take ? j : bi;
      }
      store<i32>(out + ((<usize>o) << 2), bi);
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    const orow = out + ((<usize>(o * inner)) << 2);
    copyBytes(best, x + <usize>(o * len * inner) * sz, <usize>inner * sz);
    zeroBytes(orow, (<usize>inner) << 2);
    for (let j = 1; j < len; j++) {
      const row = x + <usize>((o * len + j) * inner) * sz;
      for (let i = 0; i < inner; i++) {
        const q = best + <usize>i * sz;
        const b = load<T>(q);
        const v = load<T>(row + <usize>i * sz);
        const take = (isMax ? v > b : v < b) || (nan<T>(v) && !nan<T>(b));
        store<T>(q, take ? v : b);
        const oi = orow + ((<usize>i) << 2);
        store<i32>(oi, take ? j : load<i32>(oi));
      }
    }
  }
}

/** General path: any input dtype, any output dtype, f64 arithmetic. */
function generic(op: i32, dt: i32, odt: i32, x: usize, outer: i32, len: i32, inner: i32, out: usize): void {
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = o * len * inner + i;
      let acc: f64 = op === R_SUM ? 0 : op === R_PROD ? 1 : ldAny(dt, x, base);
      let bi = 0;
      for (let j = op === R_SUM || op === R_PROD ? 0 : 1; j < len; j++) {
        const v = ldAny(dt, x, base + j * inner);
        if (op === R_SUM) acc += v;
        else if (op === R_PROD) acc *= v;
        else if (nan<f64>(acc)) break;
        else if (nan<f64>(v)) {
          acc = v;
          bi = j;
          break;
        } else if (op === R_MAX || op === R_ARGMAX ? v > acc : v < acc) {
          acc = v;
          bi = j;
        }
      }
      if (op >= R_ARGMAX) store<i32>(out + ((<usize>(o * inner + i)) << 2), bi);
      else stAny(odt, out, o * inner + i, acc);
    }
  }
}

export function reduceScratchBytes(inner: i32): i32 {
  return inner * 8 + 16;
}

export function reduce(
  op: i32,
  dt: i32,
  odt: i32,
  x: usize,
  outer: i32,
  len: i32,
  inner: i32,
  out: usize,
  scratch: usize,
): void {
  const same = dt === odt || op >= R_ARGMAX;
  if (!same || (dt !== F32 && dt !== F64 && op !== R_MAX && op !== R_MIN && op < R_ARGMAX) || len === 0) {
    generic(op, dt, odt, x, outer, len, inner, out);
    return;
  }
  if (op === R_SUM) {
    if (inner === 1) {
      for (let o = 0; o < outer; o++) {
        if (dt === F32) store<f32>(out + ((<usize>o) << 2), <f32>sumF32(x + ((<usize>(o * len)) << 2), len));
        else store<f64>(out + ((<usize>o) << 3), sumF64(x + ((<usize>(o * len)) << 3), len));
      }
    } else if (dt === F32) sumRows<f32>(x, outer, len, inner, out, scratch);
    else sumRows<f64>(x, outer, len, inner, out, scratch);
  } else if (op === R_MAX || op === R_MIN) {
    const isMax = op === R_MAX;
    if (dt === F32) maxMinRows<f32>(isMax, x, outer, len, inner, out);
    else if (dt === F64) maxMinRows<f64>(isMax, x, outer, len, inner, out);
    else if (dt === I32) maxMinRows<i32>(isMax, x, outer, len, inner, out);
    else maxMinRows<u8>(isMax, x, outer, len, inner, out);
  } else if (op >= R_ARGMAX) {
    const isMax = op === R_ARGMAX;
    if (dt === F32) argRows<f32>(isMax, x, outer, len, inner, out, scratch);
    else if (dt === F64) argRows<f64>(isMax, x, outer, len, inner, out, scratch);
    else if (dt === I32) argRows<i32>(isMax, x, outer, len, inner, out, scratch);
    else argRows<u8>(isMax, x, outer, len, inner, out, scratch);
  } else {
    generic(op, dt, odt, x, outer, len, inner, out);
  }
}
