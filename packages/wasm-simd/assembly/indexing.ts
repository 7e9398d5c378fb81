// Index kernels. Index storages are int32, already bounds-checked by core.
import { F32, F64, I32 } from '../src/codes';
import { copyBytes } from './common';

/** out[o, j, :] = x[o, index[j], :] (rows of `inner` elements of `esz` bytes). */
export function indexSelect(
  esz: i32,
  x: usize,
  index: usize,
  nIdx: i32,
  out: usize,
  outer: i32,
  len: i32,
  inner: i32,
): void {
  const rowBytes = <usize>inner * <usize>esz;
  let dst = out;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const src = x + <usize>(o * len + load<i32>(index + ((<usize>j) << 2))) * rowBytes;
      copyBytes(dst, src, rowBytes);
      dst += rowBytes;
    }
  }
}

function addRow<T>(dst: usize, src: usize, n: i32): void {
  const sz = sizeof<T>();
  let i = 0;
  if (isFloat<T>()) {
    for (; i + 16 / <i32>sz <= n; i += 16 / <i32>sz) {
      const q = dst + <usize>i * sz;
      const a = v128.load(q);
      const b = v128.load(src + <usize>i * sz);
      v128.store(q, sz === 4 ? f32x4.add(a, b) : f64x2.add(a, b));
    }
  }
  for (; i < n; i++) {
    const q = dst + <usize>i * sz;
    store<T>(q, load<T>(q) + load<T>(src + <usize>i * sz));
  }
}

function indexAddT<T>(
  out: usize,
  index: usize,
  nIdx: i32,
  src: usize,
  outer: i32,
  len: i32,
  inner: i32,
): void {
  const sz = sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < nIdx; j++) {
      const dst = out + <usize>((o * len + load<i32>(index + ((<usize>j) << 2))) * inner) * sz;
      addRow<T>(dst, src + <usize>((o * nIdx + j) * inner) * sz, inner);
    }
  }
}

export function indexAdd(
  dt: i32,
  out: usize,
  index: usize,
  nIdx: i32,
  src: usize,
  outer: i32,
  len: i32,
  inner: i32,
): void {
  if (dt === F32) indexAddT<f32>(out, index, nIdx, src, outer, len, inner);
  else if (dt === F64) indexAddT<f64>(out, index, nIdx, src, outer, len, inner);
  else if (dt === I32) indexAddT<i32>(out, index, nIdx, src, outer, len, inner);
  else indexAddT<u8>(out, index, nIdx, src, outer, len, inner);
}

/** out[o, j, i] = x[o, index[o, j, i], i]. */
export function gather(
  esz: i32,
  x: usize,
  index: usize,
  out: usize,
  outer: i32,
  lenX: i32,
  lenIdx: i32,
  inner: i32,
): void {
  let k: usize = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < lenIdx; j++) {
      for (let i = 0; i < inner; i++) {
        const src = <usize>((o * lenX + load<i32>(index + (k << 2))) * inner + i);
        if (esz === 4) store<i32>(out + (k << 2), load<i32>(x + (src << 2)));
        else if (esz === 8) store<i64>(out + (k << 3), load<i64>(x + (src << 3)));
        else store<u8>(out + k, load<u8>(x + src));
        k++;
      }
    }
  }
}

function scatterAddT<T>(
  out: usize,
  index: usize,
  src: usize,
  outer: i32,
  lenOut: i32,
  lenIdx: i32,
  inner: i32,
): void {
  const sz = sizeof<T>();
  let k: usize = 0;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < lenIdx; j++) {
      for (let i = 0; i < inner; i++) {
        const q = out + <usize>((o * lenOut + load<i32>(index + (k << 2))) * inner + i) * sz;
        store<T>(q, load<T>(q) + load<T>(src + k * sz));
        k++;
      }
    }
  }
}

export function scatterAdd(
  dt: i32,
  out: usize,
  index: usize,
  src: usize,
  outer: i32,
  lenOut: i32,
  lenIdx: i32,
  inner: i32,
): void {
  if (dt === F32) scatterAddT<f32>(out, index, src, outer, lenOut, lenIdx, inner);
  else if (dt === F64) scatterAddT<f64>(out, index, src, outer, lenOut, lenIdx, inner);
  else if (dt === I32) scatterAddT<i32>(out, index, src, outer, lenOut, lenIdx, inner);
  else scatterAddT<u8>(out, index, src, outer, lenOut, lenIdx, inner);
}
