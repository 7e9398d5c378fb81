// The n-d walk ("odometer") of the strided kernels: binary, where and copy run one
// contiguous row (or, tiled, one plane) at a time and step through the outer dimensions
// with this.
//
// `meta` holds i32 words: shape[ndim], then `k` stride lists of ndim words (one per
// operand, in elements), then the walk's own state: ndim counters and k element offsets.
// The JS side writes the shape and strides (src/kernels/strided.ts reserves the state).
// The walk covers dimensions [0, outer); the kernel handles the rest itself.

function word(p: usize, i: i32): i32 {
  return load<i32>(p + ((<usize>i) << 2));
}

/** Size of dimension `d`. */
export function dimOf(meta: usize, d: i32): i32 {
  return word(meta, d);
}

/** Stride of operand `j` along dimension `d`. */
export function strideOf(meta: usize, ndim: i32, j: i32, d: i32): i32 {
  return word(meta, (1 + j) * ndim + d);
}

function state(meta: usize, ndim: i32, k: i32): usize {
  return meta + ((<usize>((1 + k) * ndim)) << 2);
}

/** Starts a walk at the origin; returns how many positions it has (the outer dims' product). */
export function walkStart(meta: usize, ndim: i32, k: i32, outer: i32): i32 {
  const s = state(meta, ndim, k);
  let n = 1;
  for (let d = 0; d < outer; d++) {
    n *= word(meta, d);
    store<i32>(s + ((<usize>d) << 2), 0);
  }
  for (let j = 0; j < k; j++) store<i32>(s + ((<usize>(ndim + j)) << 2), 0);
  return n;
}

/** Element offset of operand `j` at the walk's position. */
export function walkOffset(meta: usize, ndim: i32, k: i32, j: i32): isize {
  return <isize>word(state(meta, ndim, k), ndim + j);
}

/** Steps to the next position: dimension outer - 1 advances, carrying into earlier ones. */
export function walkNext(meta: usize, ndim: i32, k: i32, outer: i32): void {
  const s = state(meta, ndim, k);
  const offs = s + ((<usize>ndim) << 2);
  for (let d = outer - 1; d >= 0; d--) {
    const q = s + ((<usize>d) << 2);
    const dim = word(meta, d);
    const i = load<i32>(q) + 1;
    const carry = i >= dim;
    store<i32>(q, carry ? 0 : i);
    for (let j = 0; j < k; j++) {
      const st = strideOf(meta, ndim, j, d);
      const o = offs + ((<usize>j) << 2);
      store<i32>(o, load<i32>(o) + (carry ? st - st * dim : st));
    }
    if (!carry) return;
  }
}
