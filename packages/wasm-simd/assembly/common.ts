// Shared helpers for the kernels.
import { F32, F64, I32, U8 } from '../src/codes';

export function esize(dt: i32): i32 {
  return dt === F64 ? 8 : dt === U8 ? 1 : 4;
}

/** Loads element `i` of any dtype as f64 (the slow, general path for rare dtype mixes). */
export function ldAny(dt: i32, p: usize, i: isize): f64 {
  if (dt === F32) return <f64>load<f32>(p + (i << 2));
  if (dt === F64) return load<f64>(p + (i << 3));
  if (dt === I32) return <f64>load<i32>(p + (i << 2));
  return <f64>load<u8>(p + i);
}

/** Stores `v` into element `i` of any dtype: bool is v !== 0 (NaN counts as true), ints truncate. */
export function stAny(dt: i32, p: usize, i: isize, v: f64): void {
  if (dt === F32) store<f32>(p + (i << 2), <f32>v);
  else if (dt === F64) store<f64>(p + (i << 3), v);
  // float -> int32 truncates; NaN and out-of-range values become INT32_MIN, as PyTorch's
  // cast does on x86.
  else if (dt === I32)
    store<i32>(p + (i << 2), v > -2147483649.0 && v < 2147483648.0 ? <i32>v : i32.MIN_VALUE);
  else store<u8>(p + i, v !== 0 ? 1 : 0);
}

export function imin(a: i32, b: i32): i32 {
  return a < b ? a : b;
}

/** NaN test for any numeric T (integers are never NaN). */
export function nan<T>(v: T): bool {
  if (isFloat<T>()) return Number.isNaN(<f64>v);
  return false;
}

/**
 * memcpy for the short, non-overlapping runs of im2col rows, gathers and reductions:
 * `memory.copy` costs a runtime call (about 6 ns in V8) that a short loop beats below a
 * few hundred bytes.
 */
export function copyBytes(dst: usize, src: usize, n: usize): void {
  if (n >= 256) {
    memory.copy(dst, src, n);
    return;
  }
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, v128.load(src + i));
  for (; i + 4 <= n; i += 4) store<u32>(dst + i, load<u32>(src + i));
  for (; i < n; i++) store<u8>(dst + i, load<u8>(src + i));
}

/** memset(0) for short runs (see copyBytes). */
export function zeroBytes(dst: usize, n: usize): void {
  if (n >= 256) {
    memory.fill(dst, 0, n);
    return;
  }
  const z = i32x4.splat(0);
  let i: usize = 0;
  for (; i + 16 <= n; i += 16) v128.store(dst + i, z);
  for (; i + 4 <= n; i += 4) store<u32>(dst + i, 0);
  for (; i < n; i++) store<u8>(dst + i, 0);
}
