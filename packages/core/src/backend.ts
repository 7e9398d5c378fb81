/**
 * The Backend interface: the small set of things that differ per device.
 *
 * A backend owns storage and kernels, nothing else. Core owns shapes, broadcasting, dtype
 * rules, argument checks, error messages, autograd and optimizer bookkeeping, and calls a
 * backend only with arguments it has already validated. So a kernel may assume:
 *  - every storage it receives was allocated by this backend and is not freed;
 *  - sizes and shapes are consistent (core checked them);
 *  - an output storage never aliases an input unless the kernel's doc says it may
 *    (in-place kernels: `fused`, `indexAdd`, `scatterAdd`, `scatter`, `fill`, `copyToView`).
 *
 * Kernels enqueue work and return nothing (no host data): cpu-js and wasm-simd run them
 * at once, webgpu records them into a command stream. Only `read` returns data.
 */
import type { DType, TypedArray } from './dtype.js';
import type { FusedProgram } from './fused/program.js';

/** Re-exported from dtype.ts, its home (kept here so existing imports keep working). */
export type { TypedArray } from './dtype.js';

/**
 * An opaque handle to a backend's storage: a flat, contiguous run of `size` elements of
 * `dtype`. Backends extend it with whatever they need (a typed array, a heap offset, a
 * GPUBuffer). Core never looks inside.
 */
export interface Storage {
  /** The element type. */
  readonly dtype: DType;
  /** Number of elements (not bytes). */
  readonly size: number;
}

/**
 * A strided view into a storage, used where a kernel reads an input with broadcasting or a
 * permutation. `strides` are in elements; a stride of 0 broadcasts that dimension.
 * `shape.length === strides.length`; `shape` may be `[]` for a scalar.
 */
export interface View {
  /** The storage the view reads. */
  readonly storage: Storage;
  /** The view's shape. */
  readonly shape: readonly number[];
  /** Elements to step in the storage per index of each dimension. */
  readonly strides: readonly number[];
  /** Index of the view's first element in the storage. */
  readonly offset: number;
}

/** The unary elementwise ops every backend implements. */
export type UnaryOp =
  | 'neg'
  | 'exp'
  | 'log'
  | 'sqrt'
  | 'rsqrt'
  | 'abs'
  | 'sign'
  | 'square'
  | 'relu'
  | 'sigmoid'
  | 'tanh'
  /** log(1 + exp(x)), computed stably; PyTorch's softplus with beta=1, threshold=20. */
  | 'softplus'
  | 'reciprocal'
  /** Logical not: 1 where x == 0 else 0 (output dtype is whatever `out` is). */
  | 'not';

/**
 * Binary ops. Arithmetic ops produce the inputs' dtype; comparisons produce `out`'s dtype
 * (bool, stored as 0/1). For int32 `div` core always casts to float first, so a backend
 * never sees an integer division. `pow` follows Math.pow.
 */
export type BinaryOp =
  | 'add'
  | 'sub'
  | 'mul'
  | 'div'
  | 'pow'
  | 'maximum'
  | 'minimum'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge'
  /** Logical and/or of two bool (0/1) inputs. */
  | 'and'
  | 'or';

/**
 * Reductions along one axis of a contiguous tensor seen as `[outer, len, inner]`; the
 * output is contiguous `[outer, inner]`. `argmax`/`argmin` write int32 indices (first
 * occurrence wins, as PyTorch); NaN propagates through max/min/argmax as in PyTorch.
 */
export type ReduceOp = 'sum' | 'prod' | 'max' | 'min' | 'argmax' | 'argmin';

/** Geometry shared by the conv2d kernels. Input NCHW, weight [Cout, Cin/groups, kH, kW]. */
export interface Conv2dGeometry {
  /** Batch size N. */
  batch: number;
  /** Input channels. */
  inChannels: number;
  /** Input height. */
  inH: number;
  /** Input width. */
  inW: number;
  /** Output channels. */
  outChannels: number;
  /** Output height. */
  outH: number;
  /** Output width. */
  outW: number;
  /** Kernel height. */
  kH: number;
  /** Kernel width. */
  kW: number;
  /** Vertical stride. */
  strideH: number;
  /** Horizontal stride. */
  strideW: number;
  /** Zero padding at the top and bottom. */
  padH: number;
  /** Zero padding at the left and right. */
  padW: number;
  /** Vertical dilation. */
  dilationH: number;
  /** Horizontal dilation. */
  dilationW: number;
  /** Number of channel groups. */
  groups: number;
}

/** Geometry of max pooling (NCHW; `channels` is N*C folded, the kernel does not care). */
export interface Pool2dGeometry {
  /** Channels C (pooling keeps them). */
  channels: number;
  /** Input height. */
  inH: number;
  /** Input width. */
  inW: number;
  /** Output height. */
  outH: number;
  /** Output width. */
  outW: number;
  /** Kernel height. */
  kH: number;
  /** Kernel width. */
  kW: number;
  /** Vertical stride. */
  strideH: number;
  /** Horizontal stride. */
  strideW: number;
  /** Zero padding at the top and bottom. */
  padH: number;
  /** Zero padding at the left and right. */
  padW: number;
  /** Vertical dilation. */
  dilationH: number;
  /** Horizontal dilation. */
  dilationW: number;
}

const conv2dFields = [
  'batch',
  'inChannels',
  'inH',
  'inW',
  'outChannels',
  'outH',
  'outW',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'dilationH',
  'dilationW',
  'groups',
] as const satisfies readonly (keyof Conv2dGeometry)[];

const pool2dFields = [
  'channels',
  'inH',
  'inW',
  'outH',
  'outW',
  'kH',
  'kW',
  'strideH',
  'strideW',
  'padH',
  'padW',
  'dilationH',
  'dilationW',
] as const satisfies readonly (keyof Pool2dGeometry)[];

/**
 * The geometry as a flat list of integers in the order the interface declares them, for
 * kernels that read it as a parameter table (wasm-simd's meta block, webgpu's uniforms).
 */
export function conv2dGeometryValues(g: Conv2dGeometry): number[] {
  return conv2dFields.map((k) => g[k]);
}

/** `Pool2dGeometry` as a flat list of integers in declaration order (see conv2dGeometryValues). */
export function pool2dGeometryValues(g: Pool2dGeometry): number[] {
  return pool2dFields.map((k) => g[k]);
}

/**
 * One tensor's part of a fused call: its per-element buffers and its scalars, positional
 * in the order of `program.buffers` and `program.scalars` (core's `runFused` takes them by
 * name and puts them in this order).
 */
export interface FusedTensorArgs {
  /** `program.buffers.length` storages, each of `size` elements, same float dtype. */
  readonly buffers: readonly Storage[];
  /**
   * `program.scalars.length` numbers (computed on the host each step, never read back).
   * The lowered program reads more (its derived scalars): `fusedScalars` appends them.
   */
  readonly scalars: ArrayLike<number>;
}

/** How `Backend.matmul` reads its operands, and the bias it adds. */
export interface MatmulOptions {
  /** a[i] is stored [k, m] and used transposed. */
  readonly transA: boolean;
  /** b[i] is stored [n, k] and used transposed. */
  readonly transB: boolean;
  /** Elements between consecutive a matrices; 0 reuses one for every batch. */
  readonly aBatchStride: number;
  /** Elements between consecutive b matrices; 0 reuses one for every batch. */
  readonly bBatchStride: number;
  /**
   * A vector of n values of out's dtype added to every output row: each output is the
   * product rounded to the dtype, plus `bias[j]`, rounded again — the values of a matmul
   * followed by a broadcast add, in one call (`F.linear`, PyTorch's `addmm(bias, x, w.T)`).
   */
  readonly bias?: Storage;
  /**
   * ReLU applied last, to each output as stored (after the bias): `max(v, 0)` with -0 and
   * NaN kept, as PyTorch's relu — the values of a `relu` op on the product, in the same
   * call (an `nn.Sequential`'s Linear followed by ReLU; tfjs fuses its Dense layers the
   * same way).
   */
  readonly relu?: boolean;
  /**
   * A ReLU's output, of out's shape and dtype (contiguous): each output where it is ≤ 0 is
   * stored as 0 and the rest as the product — ReLU's backward, `threshold_backward(product,
   * reluOut, 0)`, applied as the product is stored (a NaN passes the product, as there).
   * The input gradient of an `nn.Sequential`'s Linear that follows a ReLU, in one call.
   * Not given together with `bias` or `relu`.
   */
  readonly reluBackwardOf?: Storage;
  /**
   * Where to store, beside the product, each row's sum of op(a): `Σ_p op(a)[i, p]`, m
   * values of out's dtype (batch 1 only), equal to what `reduce('sum', …)` gives for them.
   * A Linear's weight gradient `gᵀ @ x` and bias gradient `g.sum(0)` (PyTorch's
   * `AddmmBackward0`) from one pass over `g`.
   */
  readonly rowSumsOfA?: Storage;
}

/**
 * The `reduce('sum', a, outer, len, inner)` geometry whose sums are op(a)'s row sums
 * (`MatmulOptions.rowSumsOfA`): a stored [k, m] (transposed) sums down its columns, a
 * stored [m, k] along its rows.
 */
export function rowSumsGeometry(
  m: number,
  k: number,
  transA: boolean,
): [outer: number, len: number, inner: number] {
  return transA ? [1, k, m] : [m, k, 1];
}

/**
 * What a backend implements: storage, kernels and reads. Core does everything else (shapes, broadcasting,
 * dtype promotion, argument checks, autograd), and validates every call before it reaches a backend.
 */
export interface Backend {
  /** Registry name: 'cpu-js', 'wasm-simd', 'webgpu', ... */
  readonly name: string;
  /** The dtypes this backend stores. Core raises a clear error for any other. */
  readonly dtypes: readonly DType[];
  /**
   * True when `readSync` exists and is cheap (cpu-js, wasm-simd). Synchronous reads
   * (`dataSync`, `item`, `tolist`) on a backend without it throw an error naming
   * `await t.data()`.
   */
  readonly syncReads: boolean;
  /**
   * The largest single storage this backend can allocate, in bytes, where it has a limit
   * below what core already enforces (2^31 - 1 elements, see `tensorSize.ts`): wasm32's
   * 4 GiB, a GPU's largest buffer. Optional; absent means no limit of its own. Core refuses
   * a larger tensor in its creation functions and `torch.load` with a `TensorSizeError`
   * naming the shape, dtype, bytes and this limit, before `alloc` is called.
   */
  readonly maxTensorBytes?: number;

  // ---- storage ----
  /** Allocates `size` elements of `dtype`, filled with zeros. */
  alloc(dtype: DType, size: number): Storage;
  /**
   * Allocates `size` elements of `dtype` whose contents are unspecified (a reused block may
   * hold a freed storage's values). Core calls it only for a storage that a kernel then
   * writes in full before anything reads it (an op's result), and never hands such a
   * storage to a caller unwritten. Optional: without it core calls `alloc`. Same errors and
   * limits as `alloc`.
   */
  empty?(dtype: DType, size: number): Storage;
  /** Releases a storage. Core calls it exactly once per storage. */
  free(s: Storage): void;
  /** Copies host data (same dtype, `data.length === s.size`) into the storage. */
  write(s: Storage, data: TypedArray): void;
  /** Reads the whole storage back to the host (a fresh typed array the caller owns). */
  read(s: Storage): Promise<TypedArray>;
  /** Synchronous read, only where `syncReads` is true. */
  readSync?(s: Storage): TypedArray;
  /** Bytes currently allocated, for `torch.memory()`. */
  memoryBytes(): number;

  // ---- data movement ----
  /** Sets every element of `s` to `value` (in place). */
  fill(s: Storage, value: number): void;
  /** Converts `src` elementwise into `out` (same size, other dtype; to bool: x != 0). */
  cast(src: Storage, out: Storage): void;
  /**
   * Gathers a strided view into the contiguous `out` (size = product of `src.shape`), in
   * row-major order of `src.shape`. Transpose, permute, expand, narrow and contiguous all
   * lower to this.
   */
  copy(src: View, out: Storage): void;
  /**
   * The inverse of `copy`: scatters the contiguous `src` (size = product of `dst.shape`), in
   * row-major order of `dst.shape`, into the strided view `dst` of another storage, in place.
   * How an in-place op on a non-contiguous view (`x.T.mul_(2)`, `x.narrow(1, 0, 1).zero_()`)
   * writes through to its base. Core never passes a `dst` whose elements overlap (no stride 0
   * on a dimension longer than 1).
   */
  copyToView(src: Storage, dst: View): void;

  // ---- elementwise ----
  /** `out[i] = op(x[i])`, contiguous, same size and dtype (`not`: out may be bool). */
  unary(op: UnaryOp, x: Storage, out: Storage): void;
  /**
   * `out = op(a, b)` over `outShape` (row-major, contiguous out). `a` and `b` are views whose
   * shapes equal `outShape` (broadcast dims have stride 0). Core passes same-shape
   * contiguous views as offset 0, natural strides, so a fast path can test for that.
   */
  binary(op: BinaryOp, a: View, b: View, out: Storage, outShape: readonly number[]): void;
  /** Binary op with a scalar: `out[i] = op(a[i], s)`, or `op(s, a[i])` when `scalarFirst`. */
  binaryScalar(op: BinaryOp, a: Storage, s: number, out: Storage, scalarFirst: boolean): void;
  /** `out = cond != 0 ? a : b`, all views shaped `outShape` as in `binary`. */
  where(cond: View, a: View, b: View, out: Storage, outShape: readonly number[]): void;

  // ---- reductions ----
  /**
   * Reduces `x`, viewed as `[outer, len, inner]`, over its middle dimension into `out` (`[outer, inner]`)
   * with `op`.
   */
  reduce(op: ReduceOp, x: Storage, outer: number, len: number, inner: number, out: Storage): void;

  // ---- linear algebra ----
  /**
   * Batched matrix product: for each batch index `i`, `out[i] = op(a[i]) @ op(b[i])`, with
   * `op(a[i])` of shape [m, k] and `op(b[i])` of shape [k, n]; `out` is contiguous
   * [batch, m, n]. A batch stride of 0 reuses the same matrix for every batch (broadcast).
   * With `transA`, a[i] is stored as [k, m] (row-major) and used transposed; same for `transB`.
   */
  matmul(
    a: Storage,
    b: Storage,
    out: Storage,
    dims: { batch: number; m: number; k: number; n: number },
    opts: MatmulOptions,
  ): void;

  // ---- indexing (index storages are int32 and already bounds-checked by core) ----
  /** x seen as [outer, len, inner]; out[o, j, i] = x[o, index[j], i], out is [outer, nIndex, inner]. */
  indexSelect(x: Storage, index: Storage, out: Storage, outer: number, len: number, inner: number): void;
  /** In place: out[o, index[j], i] += src[o, j, i]; out is [outer, len, inner], src is [outer, nIndex, inner]. */
  indexAdd(out: Storage, index: Storage, src: Storage, outer: number, len: number, inner: number): void;
  /**
   * Gather along the middle axis: x is [outer, lenX, inner], index and out are
   * [outer, lenIdx, inner]; out[o, j, i] = x[o, index[o, j, i], i].
   */
  gather(x: Storage, index: Storage, out: Storage, outer: number, lenX: number, inner: number): void;
  /** In place, the adjoint of gather: out[o, index[o, j, i], i] += src[o, j, i]. */
  scatterAdd(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void;
  /**
   * In place, the writing form of `scatterAdd`: out[o, index[o, j, i], i] = src[o, j, i].
   * Where indices repeat, the last in row-major order of `index` wins (as a sequential loop).
   * What `scatter_`, `indexCopy_` and `x[...] = v` with advanced indices lower to.
   */
  scatter(out: Storage, index: Storage, src: Storage, outer: number, lenOut: number, inner: number): void;
  /**
   * Optional, for backends that cannot read synchronously: the positions that sort each row
   * of a contiguous [rows, n] `x` (float32 or int32), into the int32 [rows, n] `out`.
   * Ascending, or descending; NaN above +inf (so first when descending); ties in position
   * order (a stable sort). Returns false, writing nothing, for a dtype it does not sort.
   * Without it (or on false) core ranks by comparisons: O(n²) work a row.
   */
  sortRows?(x: Storage, rows: number, n: number, descending: boolean, out: Storage): boolean;

  // ---- convolution and pooling (float dtypes) ----
  /** out [N, Cout, outH, outW] = conv2d(x [N, Cin, H, W], w); bias added by core. */
  conv2d(x: Storage, w: Storage, out: Storage, g: Conv2dGeometry): void;
  /** gradX [N, Cin, H, W] (overwritten) from gradOut and w. */
  conv2dBackwardInput(gradOut: Storage, w: Storage, gradX: Storage, g: Conv2dGeometry): void;
  /** gradW [Cout, Cin/groups, kH, kW] (overwritten) from gradOut and x. */
  conv2dBackwardWeight(gradOut: Storage, x: Storage, gradW: Storage, g: Conv2dGeometry): void;
  /**
   * Max pooling with -Infinity padding. Writes the values and, into the int32 `argmax`, the
   * flat index (within one channel's H*W plane) of each chosen input.
   */
  maxPool2d(x: Storage, out: Storage, argmax: Storage, g: Pool2dGeometry): void;
  /** gradX (overwritten, zero where nothing was chosen) from gradOut and argmax. */
  maxPool2dBackward(gradOut: Storage, argmax: Storage, gradX: Storage, g: Pool2dGeometry): void;

  // ---- fused elementwise programs (optimizer updates) ----
  /**
   * Runs one fused elementwise program over several tensors, in place. For every tensor
   * `t` and every element `e` in it, the program executes in order, reading and writing
   * element `e` of `t.buffers[...]`, with `t.scalars` as uniforms. No allocation: this is
   * what makes `optimizer.step()` a single memory-bound pass per parameter (or per group).
   * A backend renders `lowerFused(program)` (core's lowered form: hoisted scalars,
   * reciprocals, access sets) and caches the result per `program.key`; see
   * `fused/program.ts` and `fused/lower.ts` for the exact semantics.
   * Optional: without it, core runs the program as composed tensor ops (slower, allocates
   * temporaries; same results within rounding).
   */
  fused?(program: FusedProgram, tensors: readonly FusedTensorArgs[]): void;

  /** Waits until every enqueued kernel has finished (a no-op on synchronous backends). */
  sync(): Promise<void>;
  /** Releases everything (tests, device loss). Optional. */
  destroy?(): void;
}
