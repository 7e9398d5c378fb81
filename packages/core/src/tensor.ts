/**
 * `torch.Tensor`: a handle to a backend storage plus shape, strides, storage offset, dtype
 * and autograd fields.
 *
 * Layout, as PyTorch: a tensor sees its storage through `shape`, `stride()` (in elements)
 * and `storageOffset()`. The view family (`view`, `reshape` when strides allow, `flatten`,
 * `squeeze`, `unsqueeze`, `narrow`, `select`, basic `index`, `T`, `t()`, `transpose`,
 * `permute`, `expand`, `unbind`, `chunk`, `split`, `diagonal`, `unfold`, `movedim`, `detach`)
 * makes new tensors over the same storage, so in-place ops on a view write through to its
 * base and every other view, and the version counter is shared.
 *
 * Backend kernels mostly take whole contiguous storages (that keeps every kernel simple and
 * fast). So `t.storage`, what ops hand to kernels, is the tensor's own storage when the tensor
 * covers all of it row-major, and otherwise a contiguous copy made on first use and kept
 * until the shared storage is written again (the version counter says when). Kernels that take
 * strided `View`s (`copy`, `binary`, `where`) read views in place, without that copy; in-place
 * writes into a view go through the backend's strided `copyToView`.
 */
import { backward as runBackward } from './autograd/backward.js';
import type { GradNode } from './autograd/graph.js';
import type { Backend, Storage, View } from './backend.js';
import { bytesPerElement, type DType, type TypedArray } from './dtype.js';
import { escapeScopes, keep, setTensorBrand, trackTensor } from './engine.js';
import { AutogradError, DisposedTensorError, ShapeError, shapeStr, ValueError } from './errors.js';
import { formatTensor, formatTensorAsync, inspectCustom } from './formatTensor.js';
import { isRowMajor, type Layout, rowMajorStrides, viewStrides } from './layout.js';
import { boundaryCount, noteBirth, type Releasable } from './loopMemory.js';
import { toBackend, toBackendAsync, toDType } from './ops/convert.js';
import * as cum from './ops/cumulative.js';
import * as ew from './ops/elementwise.js';
import * as idx from './ops/indexing.js';
import * as inplace from './ops/inplace.js';
import * as la from './ops/linalg.js';
import * as m from './ops/math.js';
import * as rnd from './ops/random.js';
import * as rea from './ops/rearrange.js';
import * as red from './ops/reduce.js';
import * as sc from './ops/scatter.js';
import * as sh from './ops/shape.js';
import * as srt from './ops/sort.js';
import type { IndexItem } from './ops/subscript.js';
import * as sub from './ops/subscript.js';
import * as tri from './ops/triangular.js';
import { checkTensorSize } from './tensorSize.js';

/**
 * Live tensors and bytes of the backends of one name, for `torch.memory()`: counted as
 * tensors and storages come and go (one shared record per backend name, cached on each
 * storage), so no per-tensor set or map has to be kept.
 */
interface BackendStats {
  tensors: number;
  bytes: number;
}

const statsByName = new Map<string, BackendStats>();
let lastBackend: Backend | null = null;
let lastStats: BackendStats | null = null;

function statsOf(backend: Backend): BackendStats {
  if (backend === lastBackend) return lastStats!;
  let s = statsByName.get(backend.name);
  if (!s) statsByName.set(backend.name, (s = { tensors: 0, bytes: 0 }));
  lastBackend = backend;
  lastStats = s;
  return s;
}

/** A storage shared by a tensor and its views, with PyTorch's version counter. */
export class StorageRef {
  refs = 1;
  version = 0;
  /** @internal The counters of this backend's name (`torch.memory()`). */
  readonly stats: BackendStats;
  constructor(
    readonly backend: Backend,
    public storage: Storage | null,
  ) {
    this.stats = statsOf(backend);
    if (storage) this.stats.bytes += storage.size * bytesPerElement(storage.dtype);
  }
  release(): void {
    if (--this.refs === 0 && this.storage) {
      const s = this.storage;
      this.storage = null;
      this.stats.bytes -= s.size * bytesPerElement(s.dtype);
      this.backend.free(s);
    }
  }
}

/**
 * A view's contiguous copy (see the file comment): one per tensor, refreshed when the shared
 * storage's version moves past `version`, freed with the tensor.
 */
class DenseCopy {
  ref: StorageRef | null = null;
  version = -1;
  release(): void {
    this.ref?.release();
    this.ref = null;
  }
}

interface Held {
  readonly ref: StorageRef;
  readonly dense: DenseCopy | null;
}

/** Frees the storage of tensors that were dropped without `dispose()` (the safety net). */
const finalizer = new FinalizationRegistry<Held>(({ ref, dense }) => {
  ref.stats.tensors--;
  dense?.release();
  ref.release();
});

/**
 * Registering a tensor with the finalizer, and unregistering it in `dispose`, costs about
 * as much as the rest of a small op; most tensors of a training step are disposed (by
 * backward, `tidy` or a loop boundary) within a step or two of their birth. So a new tensor
 * waits here, held, and is registered only if it is still alive when the list is next
 * flushed: when it is full, or at the next turn of the event loop (a dropped tensor can be
 * collected only after that turn anyway, as finalizers run between tasks).
 */
const NURSERY_SIZE = 512;
let nursery: Tensor[] = [];
let flushPending = false;

function enroll(t: Tensor): void {
  if (nursery.push(t) >= NURSERY_SIZE) flushNursery();
  else if (!flushPending) {
    flushPending = true;
    const timer = setTimeout(flushNursery, 0) as { unref?: () => void };
    timer.unref?.();
  }
}

function flushNursery(): void {
  flushPending = false;
  const list = nursery;
  nursery = [];
  for (const t of list) t._register();
}

const brand = Symbol.for('stepwise.tensor');
setTensorBrand(brand);

/** Number of live (not disposed, not collected) tensors per backend name. */
export function liveTensorCounts(): ReadonlyMap<string, number> {
  const out = new Map<string, number>();
  for (const [name, s] of statsByName) out.set(name, s.tensors);
  return out;
}

/** Shared frozen strides of the shapes that need no array of their own. */
const NO_DIMS: readonly number[] = Object.freeze([]);
const UNIT_STRIDE: readonly number[] = Object.freeze([1]);

/** The last shape given row-major strides, and them (results of a chain of ops share one shape). */
let lastShape: readonly number[] = NO_DIMS;
let lastStrides: readonly number[] = NO_DIMS;

/** Row-major strides of a (frozen) shape, frozen; shared by tensors of the same shape array. */
function frozenRowMajor(shape: readonly number[]): readonly number[] {
  const n = shape.length;
  if (n === 0) return NO_DIMS;
  if (n === 1) return UNIT_STRIDE;
  if (shape === lastShape) return lastStrides;
  lastShape = shape;
  lastStrides = Object.freeze(rowMajorStrides(shape));
  return lastStrides;
}

/**
 * A frozen copy of a shape or strides list; one that is frozen already (another tensor's
 * `shape`, which an op passes on to its result) is shared as it is.
 */
function frozenCopy(a: readonly number[]): readonly number[] {
  if (a.length === 0) return NO_DIMS;
  return Object.isFrozen(a) ? a : Object.freeze(a.slice());
}

/** `t.data()`: the values as a typed array, on every backend (a getter returns it, see `set data`). */
async function readData(this: Tensor): Promise<TypedArray> {
  return this.backend.read(this.storage);
}

export type Scalar = number;
/** A tensor or a JS number (a Python scalar in PyTorch). */
export type TensorOrScalar = Tensor | number;

/**
 * PyTorch's `torch.Tensor`: an n-dimensional array on a backend, a strided view of a storage, with autograd.
 * Create one with `torch.tensor`, `torch.zeros`, ...
 */
export class Tensor implements Releasable {
  /** Set on the prototype (below): `Symbol.for('stepwise.tensor') in x` recognises a tensor. */
  declare readonly [brand]: true;
  /** @internal loop-boundary bookkeeping (loopMemory.ts) */
  _born = 0;
  /** @internal */
  _touched = 0;
  /** @internal */
  _pins = 0;
  /** @internal */
  _savedBy = 0;
  /** @internal why the library released it (loopMemory.ts), for the error. */
  _releasedBy: string | null = null;
  /** The size of each dimension (PyTorch's `shape`). */
  readonly shape: readonly number[];
  /** The element type (PyTorch's `dtype`). */
  readonly dtype: DType;
  readonly #backend: Backend;
  /** @internal the shared storage; null once disposed. */
  _ref: StorageRef | null;
  #requiresGrad = false;
  #grad: Tensor | null = null;
  /** True while `#grad` is a tensor the backward engine made (and so may free). */
  #gradOwned = false;
  #gradFn: GradNode | null = null;
  /** @internal Element strides over the storage (row-major for a tensor that owns it). */
  readonly _strides: readonly number[];
  /** @internal Index of the first element in the storage. */
  readonly _offset: number;
  /** @internal True when this tensor is its whole storage, row-major: kernels read it in place. */
  readonly _whole: boolean;
  /**
   * @internal The tensor whose storage this differentiable view shares (PyTorch's `._base`),
   * for in-place ops on views (`CopySlices`); null for tensors that own their storage and for
   * `detach()`, which shares storage but not history.
   */
  _base: Tensor | null = null;
  /** @internal The storage version this view's history belongs to (regenerated past it). */
  _viewVersion = 0;
  /** @internal True once registered with the finalizer (see `enroll`). */
  _finalizable = false;
  readonly #dense: DenseCopy | null;

  /** @internal Use the creation functions (`torch.tensor`, `torch.zeros`, ...). */
  constructor(ref: StorageRef, shape: readonly number[], dtype: DType, layout?: Layout) {
    this._ref = ref;
    this.shape = frozenCopy(shape);
    this.dtype = dtype;
    this.#backend = ref.backend;
    if (layout === undefined) {
      this._strides = frozenRowMajor(this.shape);
      this._offset = 0;
      this._whole = true;
      this.#dense = null;
    } else {
      this._strides = frozenCopy(layout.strides);
      this._offset = layout.offset;
      this._whole =
        this._offset === 0 &&
        isRowMajor(shape, this._strides) &&
        ref.storage !== null &&
        ref.storage.size === numelOf(shape);
      this.#dense = this._whole ? null : new DenseCopy();
    }
    ref.stats.tensors++;
    enroll(this);
    trackTensor(this);
    noteBirth(this);
  }

  /** @internal Registers a live tensor with the finalizer (the nursery's flush, see `enroll`). */
  _register(): void {
    const ref = this._ref;
    if (ref === null || this._finalizable) return;
    this._finalizable = true;
    finalizer.register(this, { ref, dense: this.#dense }, this);
  }

  /** The backend holding the storage. Throws on a disposed tensor, so every op checks its inputs before it allocates. */
  get backend(): Backend {
    this._liveRef();
    return this.#backend;
  }

  /** @internal A new tensor over a fresh zero-filled storage. */
  static empty(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
    const size = checkTensorSize(shape, dtype, backend, 'the result of an op');
    return new Tensor(new StorageRef(backend, backend.alloc(dtype, size)), shape, dtype);
  }

  /**
   * @internal A new tensor over a fresh storage whose contents are unspecified
   * (`Backend.empty`, where the backend has it): for results a kernel writes in full.
   */
  static uninit(shape: readonly number[], dtype: DType, backend: Backend): Tensor {
    const size = checkTensorSize(shape, dtype, backend, 'the result of an op');
    const storage = backend.empty ? backend.empty(dtype, size) : backend.alloc(dtype, size);
    return new Tensor(new StorageRef(backend, storage), shape, dtype);
  }

  /** @internal A new tensor over this one's storage with its own shape, strides and offset. */
  _asStrided(shape: readonly number[], strides: readonly number[], offset: number): Tensor {
    const ref = this._liveRef();
    ref.refs++;
    return new Tensor(ref, shape, this.dtype, { strides, offset });
  }

  /**
   * @internal This tensor's elements seen with another shape of the same numel: a view
   * where the strides allow one (PyTorch's `view` rule), else a view of a contiguous copy.
   */
  _view(shape: readonly number[]): Tensor {
    const strides = viewStrides(this.shape, this._strides, shape);
    if (strides) return this._asStrided(shape, strides, this._offset);
    const dense = Tensor.uninit(this.shape, this.dtype, this.backend);
    this.backend.copy(this._strided(), dense.storage);
    const out = dense._asStrided(shape, rowMajorStrides(shape), 0);
    dense.dispose();
    return out;
  }

  /** @internal The strided view of the shared storage that this tensor is. */
  _strided(): View {
    return {
      storage: this._liveRef().storage!,
      shape: this.shape,
      strides: this._strides,
      offset: this._offset,
    };
  }

  /**
   * @internal A contiguous storage of exactly this tensor's elements, row-major: its own
   * storage when it is whole, else the kept copy (refreshed after writes). For reading only:
   * write into a view with `copyToView` (ops/inplace.ts).
   */
  get storage(): Storage {
    const ref = this._liveRef();
    const dense = this.#dense;
    if (dense === null) return ref.storage!;
    if (!dense.ref?.storage) {
      const size = numelOf(this.shape);
      const b = this.#backend;
      dense.ref = new StorageRef(b, b.empty ? b.empty(this.dtype, size) : b.alloc(this.dtype, size));
      dense.version = -1;
    }
    if (dense.version !== ref.version) {
      this.#backend.copy(this._strided(), dense.ref.storage!);
      dense.version = ref.version;
    }
    return dense.ref.storage!;
  }

  /** Element strides of each dimension (PyTorch's `stride()`), or of dimension `d`. */
  stride(): readonly number[];
  stride(d: number): number;
  stride(d?: number): number | readonly number[] {
    if (d === undefined) return this._strides;
    return this._strides[sh.normDim(d, this.shape.length)]!;
  }

  /** Index of this tensor's first element in its storage (PyTorch's `storage_offset()`). */
  storageOffset(): number {
    return this._offset;
  }

  /** @internal */
  _liveRef(): StorageRef {
    const ref = this._ref;
    if (!ref?.storage) throw this._disposedError();
    this._touched = boundaryCount;
    return ref;
  }

  /** @internal The error for a use after dispose() or after the library released it. */
  _disposedError(): DisposedTensorError {
    return new DisposedTensorError(
      `Tensor of shape ${shapeStr(this.shape)} and dtype ${this.dtype} was used after ${this._goneWhy}`,
    );
  }

  /** @internal Why the storage is gone, for error messages: dispose() or a loop boundary. */
  get _goneWhy(): string {
    if (this._releasedBy === null) return 'dispose()';
    return (
      `stepwise ${this._releasedBy}. To keep a tensor across loop iterations, call t.keep() ` +
      '(or torch.keep(t)) when you make it.'
    );
  }

  /** @internal The version counter (bumped by every in-place write; shared with views). */
  get _version(): number {
    return this._liveRef().version;
  }

  /** @internal Called after an in-place write into this tensor's storage. */
  _bumpVersion(): void {
    this._liveRef().version++;
  }

  /** @internal */
  _setGradFn(node: GradNode | null): void {
    this.#gradFn = node;
    this.#requiresGrad = node !== null || this.#requiresGrad;
  }

  /** Whether the tensor was released (by `dispose`, `tidy` or a loop boundary). */
  get isDisposed(): boolean {
    return !this._ref?.storage;
  }

  // ---- properties ----

  /** Whether autograd records operations on this tensor (PyTorch's `requires_grad`). */
  get requiresGrad(): boolean {
    if (this._base !== null) this.gradFn; // a stale view's history first (see gradFn)
    return this.#requiresGrad;
  }
  /** Whether autograd records operations on this tensor (PyTorch's `requires_grad`). */
  set requiresGrad(v: boolean) {
    this.requiresGrad_(v);
  }

  /** The accumulated gradient (PyTorch's `.grad`); assignable, or null. */
  get grad(): Tensor | null {
    return this.#grad;
  }
  /** Sets the gradient (a tensor of the same shape, or `null`), as `w.grad = ...` in PyTorch. */
  set grad(g: Tensor | null) {
    if (g !== null) {
      if (!(g instanceof Tensor))
        throw new TypeError(`assigned grad must be a Tensor or null, got ${typeof g}`);
      if (g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) {
        throw new ShapeError(
          `assigned grad has data of a different size: grad shape ${shapeStr(g.shape)}, tensor shape ${shapeStr(this.shape)}`,
        );
      }
      if (g.dtype !== this.dtype) {
        throw new TypeError(`assigned grad has dtype ${g.dtype}, but the tensor has dtype ${this.dtype}`);
      }
      if (g.backend !== this.backend) {
        throw new TypeError(
          `assigned grad is on backend '${g.backend.name}', but the tensor is on '${this.backend.name}'`,
        );
      }
      // A `.grad` outlives tidy scopes and loop boundaries while it is one.
      escapeScopes(g);
      g._pins++;
    }
    if (this.#grad) this.#grad._pins--;
    // A gradient that backward created is freed when it is dropped (zeroGrad, `w.grad =
    // null`): wasm and GPU memory are not garbage-collected, and a training loop must stay
    // flat. Clone a gradient to keep it past zeroGrad.
    if (this.#gradOwned && this.#grad !== g) this.#grad?.dispose();
    this.#grad = g;
    this.#gradOwned = false;
  }

  /** @internal Called by the backward engine: stores a gradient it created. */
  _setOwnedGrad(g: Tensor): void {
    this.grad = g;
    this.#gradOwned = true;
  }

  /** The node that created this tensor (PyTorch's `grad_fn`), or null for leaves. */
  get gradFn(): GradNode | null {
    const base = this._base;
    if (base !== null && this._ref && this._viewVersion !== this._ref.version) {
      // The storage was written since this view's history was made: its values come from
      // the base's current history now (PyTorch regenerates a view's grad_fn the same way).
      this._viewVersion = this._ref.version;
      if (base.requiresGrad) this._setGradFn(inplace.viewHistory(this, base));
    }
    return this.#gradFn;
  }

  /** True for tensors not created by a recorded op (user-created, or requiresGrad false). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** Alias of `numel()` (PyTorch's `nelement()`). */
  nelement(): number {
    return this.numel();
  }

  /** The backend's name (PyTorch's `t.device`): 'cpu-js', 'wasm-simd', 'webgpu', ... */
  get device(): string {
    return this.backend.name;
  }

  /**
   * `Number(t)`, `+t`, `t * 2`: the value of a one-element tensor, as Python's `float(t)`
   * (any other size throws, never a silent NaN). `String(t)` and `` `${t}` `` print it;
   * `'loss ' + t` gives the number for a one-element tensor where it can be read at once.
   */
  [Symbol.toPrimitive](hint: 'number' | 'string' | 'default'): number | string {
    if (hint === 'number') return this.item();
    if (hint === 'default' && this.numel() === 1 && this.backend.syncReads) return this.item();
    return this.toString();
  }

  /** Number of elements: PyTorch's `numel`. */
  numel(): number {
    return numelOf(this.shape);
  }

  /** Number of dimensions: PyTorch's `dim`. */
  dim(): number {
    return this.shape.length;
  }

  /** Number of dimensions: PyTorch's `ndim`. */
  get ndim(): number {
    return this.shape.length;
  }

  /** The shape, or the size of dimension `d` (negative counts from the end). */
  size(): readonly number[];
  size(d: number): number;
  size(d?: number): number | readonly number[] {
    if (d === undefined) return this.shape;
    return this.shape[sh.normDim(d, this.shape.length)]!;
  }

  /** The transpose of a 2-D tensor (all dims reversed for other ranks), as PyTorch's `.T`. */
  get T(): Tensor {
    return sh.reverseDims(this);
  }

  // ---- reading ----

  /** All values, row-major, as a typed array of the dtype (bool: Uint8Array of 0/1). */
  get data(): () => Promise<TypedArray> {
    return readData;
  }
  /**
   * PyTorch's `p.data = ...` / `p.data += ...` has no meaning here (`data` is the async read),
   * and a silent replacement of the method would drop the update: an error that names the
   * stepwise spellings instead.
   */
  set data(_v: unknown) {
    throw new TypeError(
      "t.data is stepwise's asynchronous read (`await t.data()`), not PyTorch's `.data` tensor: " +
        'use t.detach() for the tensor without autograd history, and an in-place op to change ' +
        'it (`noGrad(() => p.sub_(p.grad.mul(lr)))`, `p.detach().copy_(value)`)',
    );
  }

  /** Synchronous `data()`; only on backends with synchronous reads (cpu-js, wasm-simd). */
  dataSync(): TypedArray {
    const read = this.backend.readSync;
    if (!this.backend.syncReads || !read) {
      throw new ValueError(
        `the '${this.backend.name}' backend cannot read synchronously (dataSync/item/tolist); use \`await t.data()\` instead`,
      );
    }
    return read.call(this.backend, this.storage);
  }

  /** The value of a one-element tensor (bool gives 0 or 1). */
  item(): number {
    if (this.numel() !== 1) {
      throw new ValueError(
        `a Tensor with ${this.numel()} elements cannot be converted to a number (item() needs exactly one; shape ${shapeStr(this.shape)})`,
      );
    }
    return this.dataSync()[0]!;
  }

  /** Nested arrays of numbers, as PyTorch's `tolist()` (a number for a 0-dim tensor). */
  tolist(): any {
    return nest(this.dataSync(), this.shape);
  }

  /** Async `tolist()`, for every backend. */
  async array(): Promise<any> {
    return nest(await this.data(), this.shape);
  }

  /**
   * PyTorch's `repr(t)`: `tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])` (see
   * formatTensor.ts). On a backend without synchronous reads (webgpu) the values are left
   * out: `await t.toStringAsync()` prints them. Never throws.
   */
  toString(): string {
    return formatTensor(this);
  }

  /** `toString()` with the values read asynchronously, on every backend. */
  toStringAsync(): Promise<string> {
    return formatTensorAsync(this);
  }

  /** `console.log(t)` in Node prints `toString()`. */
  [inspectCustom](): string {
    return this.toString();
  }

  // ---- autograd ----

  /** Computes gradients of this tensor with respect to graph leaves (PyTorch's `backward`). */
  backward(gradient?: Tensor | null, opts: { retainGraph?: boolean } = {}): void {
    runBackward([this], gradient ? [gradient] : undefined, opts.retainGraph ?? false);
  }

  /** A tensor sharing this storage, cut off from the graph (`requiresGrad` false). */
  detach(): Tensor {
    return this._asStrided(this.shape, this._strides, this._offset);
  }

  /** In place: makes this tensor a leaf that does not require grad. */
  detach_(): this {
    this.#gradFn = null;
    this.#requiresGrad = false;
    return this;
  }

  /** Sets `requiresGrad` on a leaf (PyTorch's `requires_grad_`). */
  requiresGrad_(requiresGrad = true): this {
    if (!this.isLeaf) {
      if (!requiresGrad) {
        throw new AutogradError(
          "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use varNoGrad = var.detach().",
        );
      }
      return this;
    }
    if (requiresGrad && this.dtype !== 'float32' && this.dtype !== 'float64') {
      throw new AutogradError(
        `only Tensors of floating point dtype can require gradients (got ${this.dtype})`,
      );
    }
    this.#requiresGrad = requiresGrad;
    return this;
  }

  // ---- memory ----

  /**
   * Exempts this tensor from `tidy` and from the release at loop boundaries (core README,
   * "Memory"); `dispose()` still frees it. Returns the tensor. `torch.keep(t)` does the same.
   */
  keep(): this {
    return keep(this);
  }

  /** Frees the storage (when no view shares it). Using the tensor afterwards throws. */
  dispose(): void {
    const ref = this._ref;
    if (!ref) return;
    this._ref = null;
    if (this._finalizable) finalizer.unregister(this);
    ref.stats.tensors--;
    this.#dense?.release();
    ref.release();
    this.#gradFn = null;
    this._base = null;
  }

  /** @internal Frees the storage at a loop boundary; later uses quote `reason`. */
  _release(reason: string): void {
    this._releasedBy = reason;
    this.dispose();
  }

  // ---- conversion ----

  /** Converts to a dtype, or moves to a backend (name or object). Returns `this` if nothing changes. */
  /** With a dtype: the tensor converted to it (PyTorch's `t.type(torch.float64)`); without: the dtype's name. */
  type(): string;
  type(dtype: DType): Tensor;
  type(dtype?: DType): Tensor | string {
    return dtype === undefined ? this.dtype : toDType(this, dtype);
  }

  /**
   * This tensor converted to a dtype, or moved to another backend (a name or a `Backend`): PyTorch's `to`.
   */
  to(target: DType | string | Backend): Tensor {
    if (typeof target === 'string' && ['float32', 'float64', 'int32', 'bool'].includes(target)) {
      return toDType(this, target as DType);
    }
    return toBackend(this, target as string | Backend);
  }
  /** `to(backend)` for every backend, webgpu (which cannot read synchronously) included. */
  toAsync(backend: string | Backend): Promise<Tensor> {
    return toBackendAsync(this, backend);
  }
  /** This tensor as float32 (itself when it already is): PyTorch's `float`. */
  float(): Tensor {
    return toDType(this, 'float32');
  }
  /** This tensor as float64 (itself when it already is): PyTorch's `double`. */
  double(): Tensor {
    return toDType(this, 'float64');
  }
  /** This tensor as int32 (PyTorch's `int`; stepwise has no int64, so also its `long`). */
  int(): Tensor {
    return toDType(this, 'int32');
  }
  /** This tensor as bool: PyTorch's `bool`. */
  bool(): Tensor {
    return toDType(this, 'bool');
  }

  // ---- elementwise ----
  /** Adds `other` (a tensor or number, broadcast), times `alpha`: PyTorch's `add`. */
  add(other: TensorOrScalar, opts?: { alpha?: number }): Tensor {
    return ew.add(this, other, opts);
  }
  /** Subtracts `other` (broadcast), times `alpha`: PyTorch's `sub`. */
  sub(other: TensorOrScalar, opts?: { alpha?: number }): Tensor {
    return ew.sub(this, other, opts);
  }
  /** Multiplies by `other` elementwise (broadcast): PyTorch's `mul`. */
  mul(other: TensorOrScalar): Tensor {
    return ew.mul(this, other);
  }
  /** `torch.div`; `{ roundingMode: 'trunc' | 'floor' }` rounds the quotient. */
  div(other: TensorOrScalar, opts?: ew.DivOptions): Tensor {
    return ew.div(this, other, opts);
  }
  /** Raises to the power `exponent` elementwise (broadcast): PyTorch's `pow`. */
  pow(exponent: TensorOrScalar): Tensor {
    return ew.pow(this, exponent);
  }
  /** Elementwise maximum with `other` (broadcast; NaN propagates): PyTorch's `maximum`. */
  maximum(other: TensorOrScalar): Tensor {
    return ew.maximum(this, other);
  }
  /** Elementwise minimum with `other` (broadcast; NaN propagates): PyTorch's `minimum`. */
  minimum(other: TensorOrScalar): Tensor {
    return ew.minimum(this, other);
  }
  /** Elementwise `==` (broadcast), a bool tensor: PyTorch's `eq`. */
  eq(other: TensorOrScalar): Tensor {
    return ew.compare('eq', this, other);
  }
  /** Elementwise `!=` (broadcast), a bool tensor: PyTorch's `ne`. */
  ne(other: TensorOrScalar): Tensor {
    return ew.compare('ne', this, other);
  }
  /** Elementwise `<` (broadcast), a bool tensor: PyTorch's `lt`. */
  lt(other: TensorOrScalar): Tensor {
    return ew.compare('lt', this, other);
  }
  /** Elementwise `<=` (broadcast), a bool tensor: PyTorch's `le`. */
  le(other: TensorOrScalar): Tensor {
    return ew.compare('le', this, other);
  }
  /** Elementwise `>` (broadcast), a bool tensor: PyTorch's `gt`. */
  gt(other: TensorOrScalar): Tensor {
    return ew.compare('gt', this, other);
  }
  /** Elementwise `>=` (broadcast), a bool tensor: PyTorch's `ge`. */
  ge(other: TensorOrScalar): Tensor {
    return ew.compare('ge', this, other);
  }
  /** Negation, `-x`: PyTorch's `neg`. */
  neg(): Tensor {
    return ew.neg(this);
  }
  /** Elementwise `e^x`: PyTorch's `exp`. */
  exp(): Tensor {
    return ew.exp(this);
  }
  /** Elementwise natural logarithm: PyTorch's `log`. */
  log(): Tensor {
    return ew.log(this);
  }
  /** Elementwise square root: PyTorch's `sqrt`. */
  sqrt(): Tensor {
    return ew.sqrt(this);
  }
  /** Elementwise reciprocal of the square root: PyTorch's `rsqrt`. */
  rsqrt(): Tensor {
    return ew.rsqrt(this);
  }
  /** Elementwise absolute value: PyTorch's `abs`. */
  abs(): Tensor {
    return ew.abs(this);
  }
  /** Elementwise sign (-1, 0 or 1): PyTorch's `sign`. */
  sign(): Tensor {
    return ew.sign(this);
  }
  /** Elementwise square: PyTorch's `square`. */
  square(): Tensor {
    return ew.square(this);
  }
  /** Elementwise `max(x, 0)`: PyTorch's `relu`. */
  relu(): Tensor {
    return ew.relu(this);
  }
  /** Elementwise logistic sigmoid `1 / (1 + e^-x)`: PyTorch's `sigmoid`. */
  sigmoid(): Tensor {
    return ew.sigmoid(this);
  }
  /** Elementwise hyperbolic tangent: PyTorch's `tanh`. */
  tanh(): Tensor {
    return ew.tanh(this);
  }
  /** Elementwise `log(1 + e^(beta x)) / beta`, linear above `threshold`: PyTorch's `softplus`. */
  softplus(opts?: ew.SoftplusOptions): Tensor {
    return ew.softplus(this, opts);
  }
  /** Elementwise `1 / x`: PyTorch's `reciprocal`. */
  reciprocal(): Tensor {
    return ew.reciprocal(this);
  }
  /** Elementwise logical NOT, a bool tensor: PyTorch's `logical_not`. */
  logicalNot(): Tensor {
    return ew.logicalNot(this);
  }
  /** Elementwise logical AND with `other`, a bool tensor: PyTorch's `logical_and`. */
  logicalAnd(other: Tensor): Tensor {
    return ew.logicalAnd(this, other);
  }
  /** Elementwise logical OR with `other`, a bool tensor: PyTorch's `logical_or`. */
  logicalOr(other: Tensor): Tensor {
    return ew.logicalOr(this, other);
  }
  /** Clamps every element into `[min, max]` (either bound may be omitted): PyTorch's `clamp`. */
  clamp(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  /** `torch.where(condition, this, other)`, as PyTorch's `Tensor.where`. */
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    return ew.where(condition, this, other);
  }

  // ---- elementwise math (ops/math.ts: each op one fused expression and its derivative) ----
  /** Elementwise sine: PyTorch's `sin`. */
  sin(): Tensor {
    return m.sin(this);
  }
  /** Elementwise cosine: PyTorch's `cos`. */
  cos(): Tensor {
    return m.cos(this);
  }
  /** Elementwise tangent: PyTorch's `tan`. */
  tan(): Tensor {
    return m.tan(this);
  }
  /** Elementwise arcsine: PyTorch's `asin`. */
  asin(): Tensor {
    return m.asin(this);
  }
  /** Elementwise arccosine: PyTorch's `acos`. */
  acos(): Tensor {
    return m.acos(this);
  }
  /** Elementwise arctangent: PyTorch's `atan`. */
  atan(): Tensor {
    return m.atan(this);
  }
  /** Elementwise hyperbolic sine: PyTorch's `sinh`. */
  sinh(): Tensor {
    return m.sinh(this);
  }
  /** Elementwise hyperbolic cosine: PyTorch's `cosh`. */
  cosh(): Tensor {
    return m.cosh(this);
  }
  /** Elementwise inverse hyperbolic sine: PyTorch's `asinh`. */
  asinh(): Tensor {
    return m.asinh(this);
  }
  /** Elementwise inverse hyperbolic cosine: PyTorch's `acosh`. */
  acosh(): Tensor {
    return m.acosh(this);
  }
  /** Elementwise inverse hyperbolic tangent: PyTorch's `atanh`. */
  atanh(): Tensor {
    return m.atanh(this);
  }
  /** Elementwise `atan2(self, other)`, the angle of the point `(other, self)`: PyTorch's `atan2`. */
  atan2(other: TensorOrScalar): Tensor {
    return m.atan2(this, other);
  }
  /** Elementwise `2^x`: PyTorch's `exp2`. */
  exp2(): Tensor {
    return m.exp2(this);
  }
  /** Elementwise `e^x - 1`, accurate near 0: PyTorch's `expm1`. */
  expm1(): Tensor {
    return m.expm1(this);
  }
  /** Elementwise base-2 logarithm: PyTorch's `log2`. */
  log2(): Tensor {
    return m.log2(this);
  }
  /** Elementwise base-10 logarithm: PyTorch's `log10`. */
  log10(): Tensor {
    return m.log10(this);
  }
  /** Elementwise `log(1 + x)`, accurate near 0: PyTorch's `log1p`. */
  log1p(): Tensor {
    return m.log1p(this);
  }
  /** Elementwise floor: PyTorch's `floor`. */
  floor(): Tensor {
    return m.floor(this);
  }
  /** Elementwise ceiling: PyTorch's `ceil`. */
  ceil(): Tensor {
    return m.ceil(this);
  }
  /** Half to even, as PyTorch; `{ decimals }` rounds to that many decimal places. */
  round(opts?: { decimals?: number }): Tensor {
    return m.round(this, opts);
  }
  /** Elementwise truncation toward zero: PyTorch's `trunc`. */
  trunc(): Tensor {
    return m.trunc(this);
  }
  /** Elementwise fractional part, `x - trunc(x)`: PyTorch's `frac`. */
  frac(): Tensor {
    return m.frac(this);
  }
  /** Elementwise remainder of division with the sign of the dividend (C `fmod`): PyTorch's `fmod`. */
  fmod(other: TensorOrScalar): Tensor {
    return m.fmod(this, other);
  }
  /** Elementwise remainder of division with the sign of the divisor (Python `%`): PyTorch's `remainder`. */
  remainder(other: TensorOrScalar): Tensor {
    return m.remainder(this, other);
  }
  /** Elementwise error function: PyTorch's `erf`. */
  erf(): Tensor {
    return m.erf(this);
  }
  /** Elementwise inverse error function: PyTorch's `erfinv`. */
  erfinv(): Tensor {
    return m.erfinv(this);
  }
  /**
   * Elementwise `log(p / (1 - p))`, with inputs clamped to `[eps, 1 - eps]` when `eps` is given: PyTorch's
   * `logit`.
   */
  logit(eps?: number | null): Tensor {
    return m.logit(this, eps);
  }
  /** Linear interpolation `self + weight * (end - self)`: PyTorch's `lerp`. */
  lerp(end: Tensor, weight: TensorOrScalar): Tensor {
    return m.lerp(this, end, weight);
  }
  /** `self + value * tensor1 * tensor2`: PyTorch's `addcmul`. */
  addcmul(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor {
    return m.addcmul(this, tensor1, tensor2, opts);
  }
  /** `self + value * tensor1 / tensor2`: PyTorch's `addcdiv`. */
  addcdiv(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): Tensor {
    return m.addcdiv(this, tensor1, tensor2, opts);
  }
  /** Elementwise `sqrt(self^2 + other^2)`: PyTorch's `hypot`. */
  hypot(other: TensorOrScalar): Tensor {
    return m.hypot(this, other);
  }
  /** Alias of `clamp`. */
  clip(min?: number | null, max?: number | null): Tensor {
    return ew.clamp(this, min, max);
  }
  /** Elementwise test for NaN, a bool tensor: PyTorch's `isnan`. */
  isnan(): Tensor {
    return m.isnan(this);
  }
  /** Elementwise test for ±infinity, a bool tensor: PyTorch's `isinf`. */
  isinf(): Tensor {
    return m.isinf(this);
  }
  /** Elementwise test for a finite value, a bool tensor: PyTorch's `isfinite`. */
  isfinite(): Tensor {
    return m.isfinite(this);
  }
  /** Replaces NaN, +inf and -inf with finite numbers (`{ nan, posinf, neginf }`): PyTorch's `nan_to_num`. */
  nanToNum(opts?: m.NanToNumOptions): Tensor {
    return m.nanToNum(this, opts);
  }

  // ---- reductions ----
  /** Sum of all elements, or over `dim` (one or several) keeping it with `keepdim`: PyTorch's `sum`. */
  sum(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.sum(this, dim, keepdim);
  }
  /** Mean of all elements, or over `dim` (one or several) keeping it with `keepdim`: PyTorch's `mean`. */
  mean(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.mean(this, dim, keepdim);
  }
  /**
   * No dim: the maximum (a 0-dim tensor). With a dim: `{ values, indices }`, as PyTorch.
   * With a tensor: the elementwise maximum (`torch.maximum`).
   */
  max(): Tensor;
  max(
    dim: number,
    keepdim?: boolean,
  ): {
    /** The maximum values. */
    values: Tensor;
    /** Their indices along `dim` (int32). */
    indices: Tensor;
  };
  max(other: Tensor): Tensor;
  max(dim?: number | Tensor, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim instanceof Tensor) return ew.maximum(this, dim);
    return dim === undefined ? red.maxAll(this, 'max') : red.maxDim(this, 'max', dim, keepdim);
  }
  /** No dim: the minimum. With a dim: `{ values, indices }`. With a tensor: `torch.minimum`. */
  min(): Tensor;
  min(
    dim: number,
    keepdim?: boolean,
  ): {
    /** The minimum values. */
    values: Tensor;
    /** Their indices along `dim` (int32). */
    indices: Tensor;
  };
  min(other: Tensor): Tensor;
  min(dim?: number | Tensor, keepdim = false): Tensor | { values: Tensor; indices: Tensor } {
    if (dim instanceof Tensor) return ew.minimum(this, dim);
    return dim === undefined ? red.maxAll(this, 'min') : red.maxDim(this, 'min', dim, keepdim);
  }
  /** Maximum over `dim` (one or several, all by default), values only: PyTorch's `amax`. */
  amax(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.amax(this, 'max', dim, keepdim);
  }
  /** Minimum over `dim` (one or several, all by default), values only: PyTorch's `amin`. */
  amin(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.amax(this, 'min', dim, keepdim);
  }
  /** Index of the maximum, of the flattened tensor or along `dim` (int32): PyTorch's `argmax`. */
  argmax(dim?: number | null, keepdim = false): Tensor {
    return red.argReduce(this, 'argmax', dim, keepdim);
  }
  /** Index of the minimum, of the flattened tensor or along `dim` (int32): PyTorch's `argmin`. */
  argmin(dim?: number | null, keepdim = false): Tensor {
    return red.argReduce(this, 'argmin', dim, keepdim);
  }
  /** `log(sum(exp(x)))` over `dim`, computed stably: PyTorch's `logsumexp`. */
  logsumexp(dim: number | readonly number[], keepdim = false): Tensor {
    return red.logsumexp(this, dim, keepdim);
  }
  /** Softmax along `dim`: PyTorch's `softmax`. */
  softmax(dim: number): Tensor {
    return red.softmax(this, dim);
  }
  /** Logarithm of the softmax along `dim`, computed stably: PyTorch's `log_softmax`. */
  logSoftmax(dim: number): Tensor {
    return red.logSoftmax(this, dim);
  }
  /**
   * The vector p-norm over `dim` (all elements when omitted): `norm()`, `norm(1)`,
   * `norm(2, 1)`, `norm(Infinity, [0, 1], true)`; `p` any number or 'fro' (PyTorch's `Tensor.norm`).
   */
  norm(p: red.NormOrd = 2, dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.norm(this, p, dim, keepdim);
  }
  /** The product of all elements, or over `dim` (integers give int32). */
  prod(dim?: number | null, keepdim = false): Tensor {
    return red.prod(this, dim, keepdim);
  }
  /** Standard deviation: `std()`, `std(unbiased)`, `std(dim, unbiased?, keepdim?)`, `std(dim, { correction, keepdim })`. */
  std(
    dim?: number | readonly number[] | null | boolean,
    opts?: boolean | red.VarianceOptions,
    keepdim?: boolean,
  ): Tensor {
    return red.std(this, dim, opts, keepdim);
  }
  /** Variance, with the argument forms of `std` (`correction` defaults to 1). */
  var(
    dim?: number | readonly number[] | null | boolean,
    opts?: boolean | red.VarianceOptions,
    keepdim?: boolean,
  ): Tensor {
    return red.varOf(this, dim, opts, keepdim);
  }
  /** Running sums along `dim`. */
  cumsum(dim: number): Tensor {
    return cum.cumsum(this, dim);
  }
  /** Running products along `dim`. */
  cumprod(dim: number): Tensor {
    return cum.cumprod(this, dim);
  }
  /** True when every element is nonzero (over `dim`, or everything): a bool tensor. */
  all(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.all(this, dim, keepdim);
  }
  /** True when some element is nonzero (over `dim`, or everything): a bool tensor. */
  any(dim?: number | readonly number[] | null, keepdim = false): Tensor {
    return red.any(this, dim, keepdim);
  }
  /** No dim: the lower median of all elements. With a dim: `{ values, indices }`. */
  median(): Tensor;
  median(dim: number, keepdim?: boolean): srt.ValuesIndices;
  median(dim?: number, keepdim = false): Tensor | srt.ValuesIndices {
    return dim === undefined ? srt.median(this) : srt.median(this, dim, keepdim);
  }
  /** The most frequent value along `dim` and where it last occurs: `{ values, indices }`. */
  mode(dim = -1, keepdim = false): srt.ValuesIndices {
    return srt.mode(this, dim, keepdim);
  }
  /** Sorted along `dim` (default -1): `{ values, indices }`; `sort(dim, descending)` or `sort({ dim, descending, stable })`. */
  sort(dim?: number | srt.SortOptions, descending?: boolean): srt.ValuesIndices {
    return srt.sort(this, dim, descending);
  }
  /** The positions that sort along `dim` (the `indices` of `sort`). */
  argsort(dim?: number | srt.SortOptions, descending?: boolean): Tensor {
    return srt.argsort(this, dim, descending);
  }
  /** The `k` largest (or smallest) along `dim`: `{ values, indices }`. */
  topk(k: number, dim: number | srt.TopkOptions = -1, largest = true, sorted = true): srt.ValuesIndices {
    return srt.topk(this, k, dim, largest, sorted);
  }
  /** The `k`-th smallest (1-based) along `dim`: `{ values, indices }`. */
  kthvalue(k: number, dim = -1, keepdim = false): srt.ValuesIndices {
    return srt.kthvalue(this, k, dim, keepdim);
  }

  // ---- linear algebra ----
  /**
   * Matrix product with PyTorch's rules for 1-D, 2-D and batched (broadcast) operands: PyTorch's `matmul`.
   */
  matmul(other: Tensor): Tensor {
    return la.matmul(this, other);
  }
  /** Product of two 2-D matrices: PyTorch's `mm`. */
  mm(other: Tensor): Tensor {
    return la.matmul(this, other);
  }
  /** Dot product of two 1-D tensors: PyTorch's `dot`. */
  dot(other: Tensor): Tensor {
    return la.matmul(this, other);
  }
  /** Batched matrix product of two 3-D tensors (no broadcasting). */
  bmm(other: Tensor): Tensor {
    return la.bmmOp(this, other);
  }
  /** Matrix @ vector. */
  mv(vec: Tensor): Tensor {
    return la.mv(this, vec);
  }
  /** Outer product of two vectors. */
  outer(other: Tensor): Tensor {
    return la.outer(this, other);
  }
  /** beta·this + alpha·(mat1 @ mat2). */
  addmm(mat1: Tensor, mat2: Tensor, opts?: la.AddmmOptions): Tensor {
    return la.addmm(this, mat1, mat2, opts);
  }
  /** beta·this + alpha·bmm(batch1, batch2). */
  baddbmm(batch1: Tensor, batch2: Tensor, opts?: la.AddmmOptions): Tensor {
    return la.baddbmm(this, batch1, batch2, opts);
  }
  /** The sum of the main diagonal of a matrix. */
  trace(): Tensor {
    return la.trace(this);
  }
  /** The lower triangle (on and below `diagonal`) of the last two dims; zeros elsewhere. */
  tril(diagonal = 0): Tensor {
    return tri.tril(this, diagonal);
  }
  /** The upper triangle (on and above `diagonal`) of the last two dims; zeros elsewhere. */
  triu(diagonal = 0): Tensor {
    return tri.triu(this, diagonal);
  }
  /** Vector → matrix with it on the `diagonal`-th diagonal; matrix → that diagonal (a copy). */
  diag(diagonal = 0): Tensor {
    return tri.diag(this, diagonal);
  }
  /** View with dimensions `dim0` and `dim1` swapped: PyTorch's `transpose`. */
  transpose(dim0: number, dim1: number): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  /** `t()`: transpose of a tensor of at most 2 dims. */
  t(): Tensor {
    if (this.dim() > 2)
      throw new ShapeError(`t() expects a tensor with <= 2 dimensions, but self is ${this.dim()}D`);
    return this.dim() < 2 ? this.transpose(0, 0) : this.transpose(0, 1);
  }

  // ---- shape ----
  /** The order reversed along `dims` (a copy): `flip(0)`, `flip(0, 1)`, `flip([0, 1])`. */
  flip(...dims: readonly (number | readonly number[])[]): Tensor {
    return rea.flip(this, ...dims);
  }
  /** Shifted along `dims`, wrapping around (flattened when `dims` is omitted). */
  roll(shifts: number | readonly number[], dims?: number | readonly number[] | null): Tensor {
    return rea.roll(this, shifts, dims);
  }
  /** Tiled `sizes[i]` times along each dim: `repeat(2, 1)`, `repeat([2, 1])` (a copy). */
  repeat(...sizes: readonly (number | readonly number[])[]): Tensor {
    return rea.repeat(this, ...sizes);
  }
  /** `repeat` with leading 1s added to `sizes` as needed (PyTorch's `tile`). */
  tile(...sizes: readonly (number | readonly number[])[]): Tensor {
    return rea.tile(this, ...sizes);
  }
  /** Dim `dim` split into `sizes` (one may be -1); a view. */
  unflatten(dim: number, sizes: readonly number[]): Tensor {
    return rea.unflatten(this, dim, sizes);
  }
  /**
   * The same elements in a new shape (a view when the strides allow, else a copy; one size may be -1):
   * PyTorch's `reshape`.
   */
  reshape(...shape: readonly (number | readonly number[])[]): Tensor {
    return sh.reshape(this, sh.flatArgs(shape), 'reshape');
  }
  /**
   * A view with a new shape over the same storage (one size may be -1); errors when the strides allow no
   * view: PyTorch's `view`.
   */
  view(...shape: readonly (number | readonly number[])[]): Tensor {
    return sh.reshape(this, sh.flatArgs(shape), 'view');
  }
  /** Flattens dimensions `startDim`..`endDim` into one: PyTorch's `flatten`. */
  flatten(startDim = 0, endDim = -1): Tensor {
    return sh.flatten(this, startDim, endDim);
  }
  /** Removes dimensions of size 1 (all, or only `dim`), as a view: PyTorch's `squeeze`. */
  squeeze(dim?: number): Tensor {
    return sh.squeeze(this, dim);
  }
  /** Inserts a dimension of size 1 at `dim`, as a view: PyTorch's `unsqueeze`. */
  unsqueeze(dim: number): Tensor {
    return sh.unsqueeze(this, dim);
  }
  /** View with the dimensions reordered as `dims`: PyTorch's `permute`. */
  permute(...dims: readonly (number | readonly number[])[]): Tensor {
    return sh.permute(this, sh.flatArgs(dims));
  }
  /**
   * View broadcasting size-1 dimensions to `shape` (-1 keeps a size), without copying: PyTorch's `expand`.
   */
  expand(...shape: readonly (number | readonly number[])[]): Tensor {
    return sh.expand(this, sh.flatArgs(shape));
  }
  /** `expand` to the shape of `other`: PyTorch's `expand_as`. */
  expandAs(other: Tensor): Tensor {
    return sh.expand(this, other.shape);
  }
  /** View of `length` elements of dimension `dim` starting at `start`: PyTorch's `narrow`. */
  narrow(dim: number, start: number, length: number): Tensor {
    return sh.narrow(this, dim, start, length);
  }
  /** The view at `index` of `dim`, without that dim (`x[i]` along `dim`). */
  select(dim: number, index: number): Tensor {
    return sh.select(this, dim, index);
  }
  /** Every index of `dim`, each a view without that dim. */
  unbind(dim = 0): Tensor[] {
    return sh.unbind(this, dim);
  }
  /** `chunks` views along `dim`, each ceil(size / chunks) long (the last may be shorter, or fewer pieces). */
  chunk(chunks: number, dim = 0): Tensor[] {
    return sh.chunk(this, chunks, dim);
  }
  /** Views along `dim` of `splitSize` each (the last may be shorter), or of the listed sizes. */
  split(splitSize: number | readonly number[], dim = 0): Tensor[] {
    return sh.split(this, splitSize, dim);
  }
  /** A view of the diagonal of dims `dim1`, `dim2` (above it for `offset` > 0), as the last dim. */
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    return sh.diagonal(this, offset, dim1, dim2);
  }
  /** A view of every window of `size` along `dim`, `step` apart, as a new last dim. */
  unfold(dim: number, size: number, step: number): Tensor {
    return sh.unfold(this, dim, size, step);
  }
  /** Moves dims `source` to positions `destination` (a view); the other dims keep their order. */
  movedim(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    const list = (v: number | readonly number[]) => (typeof v === 'number' ? [v] : [...v]);
    return sh.movedim(this, list(source), list(destination));
  }
  /** Alias of `movedim`. */
  moveaxis(source: number | readonly number[], destination: number | readonly number[]): Tensor {
    return this.movedim(source, destination);
  }
  /** Swaps two dims (alias of `transpose`). */
  swapaxes(dim0: number, dim1: number): Tensor {
    return sh.transpose(this, dim0, dim1);
  }
  /**
   * PyTorch's `x[...]`: each item an integer, a slice string (`'1:3'`, `'::2'`, `':'`),
   * `'...'`, `null` (new axis), an int32 tensor or number array, or a bool mask. Basic items
   * give a view, advanced ones a copy (core README, "Views and indexing").
   */
  index(...items: readonly IndexItem[]): Tensor {
    return sub.index(this, items);
  }
  /** PyTorch's `x[items] = value` (`+=` with `accumulate`: repeated indices add up). */
  indexPut_(items: readonly IndexItem[], value: TensorOrScalar, opts: { accumulate?: boolean } = {}): this {
    return sub.indexPut_(this, items, value, opts.accumulate ?? false);
  }
  /** `value` where `mask` is true. */
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return sc.maskedFill(this, mask, value);
  }
  /** Writes `value` where `mask` (bool, broadcast) is true, in place: PyTorch's `masked_fill_`. */
  maskedFill_(mask: Tensor, value: TensorOrScalar): this {
    return sc.maskedFill_(this, mask, value);
  }
  /** The elements where `mask` is true, 1-D. */
  maskedSelect(mask: Tensor): Tensor {
    return sc.maskedSelect(this, mask);
  }
  /** Elements at flat positions, shaped like `index`. */
  take(index: Tensor): Tensor {
    return sc.take(this, index);
  }
  /** `src` (a tensor, or a number everywhere) written at `index` along `dim`. */
  scatter(dim: number, index: Tensor, src: TensorOrScalar): Tensor {
    return sc.scatter(this, dim, index, src);
  }
  /**
   * Writes `src` into this tensor at the positions `index` gives along `dim`, in place: PyTorch's `scatter_`.
   */
  scatter_(dim: number, index: Tensor, src: TensorOrScalar): this {
    return sc.scatter_(this, dim, index, src);
  }
  /** `src` added at `index` along `dim` (repeats add up). */
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return sc.scatterAdd(this, dim, index, src);
  }
  /**
   * Adds `src` into this tensor at the positions `index` gives along `dim` (repeats add up), in place:
   * PyTorch's `scatter_add_`.
   */
  scatterAdd_(dim: number, index: Tensor, src: Tensor): this {
    return sc.scatterAdd_(this, dim, index, src);
  }
  /** Every entry of the 1-D `index` along `dim` set to `value`. */
  indexFill_(dim: number, index: Tensor, value: TensorOrScalar): this {
    return sc.indexFill_(this, dim, index, value);
  }
  /** `source`'s slices along `dim` written at `index`. */
  indexCopy_(dim: number, index: Tensor, source: Tensor): this {
    return sc.indexCopy_(this, dim, index, source);
  }
  /** `alpha · source`'s slices along `dim` added at `index`. */
  indexAdd_(dim: number, index: Tensor, source: Tensor, opts: { alpha?: number } = {}): this {
    return sc.indexAdd_(this, dim, index, source, opts);
  }
  /** The entries of `index` (int32, 1-D) along `dim`, as a copy: PyTorch's `index_select`. */
  indexSelect(dim: number, index: Tensor): Tensor {
    return idx.indexSelect(this, dim, index);
  }
  /** Gathers values along `dim` at the positions of `index` (int32): PyTorch's `gather`. */
  gather(dim: number, index: Tensor): Tensor {
    return idx.gather(this, dim, index);
  }
  /** A copy with its own storage, recorded by autograd: PyTorch's `clone`. */
  clone(): Tensor {
    return sh.clone(this);
  }
  /** This tensor when its strides are row-major (as PyTorch, whatever its offset), else a contiguous copy. */
  contiguous(): Tensor {
    return this.isContiguous() ? this : sh.clone(this);
  }
  /** True when the strides walk the shape row-major (PyTorch's `is_contiguous()`). */
  isContiguous(): boolean {
    return isRowMajor(this.shape, this._strides);
  }

  // ---- in place ----
  /**
   * In-place `add`: adds `other` (a tensor or number, broadcast), times `alpha`, written into this tensor.
   * PyTorch's `add_`.
   */
  add_(other: TensorOrScalar, opts?: { alpha?: number }): this {
    return inplace.apply(this, 'add_', (t) => ew.add(t, other, opts), other);
  }
  /**
   * In-place `sub`: subtracts `other` (broadcast), times `alpha`, written into this tensor. PyTorch's `sub_`.
   */
  sub_(other: TensorOrScalar, opts?: { alpha?: number }): this {
    return inplace.apply(this, 'sub_', (t) => ew.sub(t, other, opts), other);
  }
  /**
   * In-place `mul`: multiplies by `other` elementwise (broadcast), written into this tensor. PyTorch's
   * `mul_`.
   */
  mul_(other: TensorOrScalar): this {
    return inplace.apply(this, 'mul_', (t) => ew.mul(t, other), other);
  }
  /**
   * In-place `div`: divides by `other` elementwise (broadcast), with an optional `roundingMode`, written into
   * this tensor. PyTorch's `div_`.
   */
  div_(other: TensorOrScalar, opts?: ew.DivOptions): this {
    return inplace.apply(this, 'div_', (t) => ew.div(t, other, opts), other);
  }
  /**
   * In-place `clamp`: clamps every element into `[min, max]` (either bound may be omitted), written into this
   * tensor. PyTorch's `clamp_`.
   */
  clamp_(min?: number | null, max?: number | null): this {
    return inplace.apply(this, 'clamp_', (t) => ew.clamp(t, min, max));
  }
  /** Alias of `clamp_`: PyTorch's `clip_`. */
  clip_(min?: number | null, max?: number | null): this {
    return inplace.apply(this, 'clip_', (t) => ew.clamp(t, min, max));
  }
  /** In-place `sin`: elementwise sine, written into this tensor. PyTorch's `sin_`. */
  sin_(): this {
    return inplace.apply(this, 'sin_', m.sin);
  }
  /** In-place `cos`: elementwise cosine, written into this tensor. PyTorch's `cos_`. */
  cos_(): this {
    return inplace.apply(this, 'cos_', m.cos);
  }
  /** In-place `tan`: elementwise tangent, written into this tensor. PyTorch's `tan_`. */
  tan_(): this {
    return inplace.apply(this, 'tan_', m.tan);
  }
  /** In-place `asin`: elementwise arcsine, written into this tensor. PyTorch's `asin_`. */
  asin_(): this {
    return inplace.apply(this, 'asin_', m.asin);
  }
  /** In-place `acos`: elementwise arccosine, written into this tensor. PyTorch's `acos_`. */
  acos_(): this {
    return inplace.apply(this, 'acos_', m.acos);
  }
  /** In-place `atan`: elementwise arctangent, written into this tensor. PyTorch's `atan_`. */
  atan_(): this {
    return inplace.apply(this, 'atan_', m.atan);
  }
  /** In-place `sinh`: elementwise hyperbolic sine, written into this tensor. PyTorch's `sinh_`. */
  sinh_(): this {
    return inplace.apply(this, 'sinh_', m.sinh);
  }
  /** In-place `cosh`: elementwise hyperbolic cosine, written into this tensor. PyTorch's `cosh_`. */
  cosh_(): this {
    return inplace.apply(this, 'cosh_', m.cosh);
  }
  /** In-place `tanh`: elementwise hyperbolic tangent, written into this tensor. PyTorch's `tanh_`. */
  tanh_(): this {
    return inplace.apply(this, 'tanh_', ew.tanh);
  }
  /** In-place `asinh`: elementwise inverse hyperbolic sine, written into this tensor. PyTorch's `asinh_`. */
  asinh_(): this {
    return inplace.apply(this, 'asinh_', m.asinh);
  }
  /**
   * In-place `acosh`: elementwise inverse hyperbolic cosine, written into this tensor. PyTorch's `acosh_`.
   */
  acosh_(): this {
    return inplace.apply(this, 'acosh_', m.acosh);
  }
  /**
   * In-place `atanh`: elementwise inverse hyperbolic tangent, written into this tensor. PyTorch's `atanh_`.
   */
  atanh_(): this {
    return inplace.apply(this, 'atanh_', m.atanh);
  }
  /**
   * In-place `atan2`: elementwise `atan2(self, other)`, the angle of the point `(other, self)`, written into
   * this tensor. PyTorch's `atan2_`.
   */
  atan2_(other: TensorOrScalar): this {
    return inplace.apply(this, 'atan2_', (t) => m.atan2(t, other), other);
  }
  /** In-place `exp`: elementwise `e^x`, written into this tensor. PyTorch's `exp_`. */
  exp_(): this {
    return inplace.apply(this, 'exp_', ew.exp);
  }
  /** In-place `exp2`: elementwise `2^x`, written into this tensor. PyTorch's `exp2_`. */
  exp2_(): this {
    return inplace.apply(this, 'exp2_', m.exp2);
  }
  /**
   * In-place `expm1`: elementwise `e^x - 1`, accurate near 0, written into this tensor. PyTorch's `expm1_`.
   */
  expm1_(): this {
    return inplace.apply(this, 'expm1_', m.expm1);
  }
  /** In-place `log`: elementwise natural logarithm, written into this tensor. PyTorch's `log_`. */
  log_(): this {
    return inplace.apply(this, 'log_', ew.log);
  }
  /** In-place `log2`: elementwise base-2 logarithm, written into this tensor. PyTorch's `log2_`. */
  log2_(): this {
    return inplace.apply(this, 'log2_', m.log2);
  }
  /** In-place `log10`: elementwise base-10 logarithm, written into this tensor. PyTorch's `log10_`. */
  log10_(): this {
    return inplace.apply(this, 'log10_', m.log10);
  }
  /**
   * In-place `log1p`: elementwise `log(1 + x)`, accurate near 0, written into this tensor. PyTorch's
   * `log1p_`.
   */
  log1p_(): this {
    return inplace.apply(this, 'log1p_', m.log1p);
  }
  /** In-place `sqrt`: elementwise square root, written into this tensor. PyTorch's `sqrt_`. */
  sqrt_(): this {
    return inplace.apply(this, 'sqrt_', ew.sqrt);
  }
  /** In-place `floor`: elementwise floor, written into this tensor. PyTorch's `floor_`. */
  floor_(): this {
    return inplace.apply(this, 'floor_', m.floor);
  }
  /** In-place `ceil`: elementwise ceiling, written into this tensor. PyTorch's `ceil_`. */
  ceil_(): this {
    return inplace.apply(this, 'ceil_', m.ceil);
  }
  /** In-place `round` (half to even, optionally to `decimals` places): PyTorch's `round_`. */
  round_(opts?: { decimals?: number }): this {
    return inplace.apply(this, 'round_', (t) => m.round(t, opts));
  }
  /** In-place `trunc`: elementwise truncation toward zero, written into this tensor. PyTorch's `trunc_`. */
  trunc_(): this {
    return inplace.apply(this, 'trunc_', m.trunc);
  }
  /**
   * In-place `frac`: elementwise fractional part, `x - trunc(x)`, written into this tensor. PyTorch's
   * `frac_`.
   */
  frac_(): this {
    return inplace.apply(this, 'frac_', m.frac);
  }
  /**
   * In-place `fmod`: elementwise remainder of division with the sign of the dividend (C `fmod`), written into
   * this tensor. PyTorch's `fmod_`.
   */
  fmod_(other: TensorOrScalar): this {
    return inplace.apply(this, 'fmod_', (t) => m.fmod(t, other), other);
  }
  /**
   * In-place `remainder`: elementwise remainder of division with the sign of the divisor (Python `%`),
   * written into this tensor. PyTorch's `remainder_`.
   */
  remainder_(other: TensorOrScalar): this {
    return inplace.apply(this, 'remainder_', (t) => m.remainder(t, other), other);
  }
  /** In-place `erf`: elementwise error function, written into this tensor. PyTorch's `erf_`. */
  erf_(): this {
    return inplace.apply(this, 'erf_', m.erf);
  }
  /** In-place `erfinv`: elementwise inverse error function, written into this tensor. PyTorch's `erfinv_`. */
  erfinv_(): this {
    return inplace.apply(this, 'erfinv_', m.erfinv);
  }
  /**
   * In-place `logit`: elementwise `log(p / (1 - p))`, with inputs clamped to `[eps, 1 - eps]` when `eps` is
   * given, written into this tensor. PyTorch's `logit_`.
   */
  logit_(eps?: number | null): this {
    return inplace.apply(this, 'logit_', (t) => m.logit(t, eps));
  }
  /**
   * In-place `lerp`: linear interpolation `self + weight * (end - self)`, written into this tensor. PyTorch's
   * `lerp_`.
   */
  lerp_(end: Tensor, weight: TensorOrScalar): this {
    return inplace.apply(this, 'lerp_', (t) => m.lerp(t, end, weight), m.gradOperand(end, weight));
  }
  /**
   * In-place `addcmul`: `self + value * tensor1 * tensor2`, written into this tensor. PyTorch's `addcmul_`.
   */
  addcmul_(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): this {
    return inplace.apply(
      this,
      'addcmul_',
      (t) => m.addcmul(t, tensor1, tensor2, opts),
      m.gradOperand(tensor1, tensor2),
    );
  }
  /**
   * In-place `addcdiv`: `self + value * tensor1 / tensor2`, written into this tensor. PyTorch's `addcdiv_`.
   */
  addcdiv_(tensor1: Tensor, tensor2: Tensor, opts?: { value?: number }): this {
    return inplace.apply(
      this,
      'addcdiv_',
      (t) => m.addcdiv(t, tensor1, tensor2, opts),
      m.gradOperand(tensor1, tensor2),
    );
  }
  /** In-place `hypot`: elementwise `sqrt(self^2 + other^2)`, written into this tensor. PyTorch's `hypot_`. */
  hypot_(other: TensorOrScalar): this {
    return inplace.apply(this, 'hypot_', (t) => m.hypot(t, other), other);
  }
  /**
   * In-place `nanToNum`: replaces NaN, +inf and -inf with finite numbers (`{ nan, posinf, neginf }`), written
   * into this tensor. PyTorch's `nan_to_num_`.
   */
  nanToNum_(opts?: m.NanToNumOptions): this {
    return inplace.apply(this, 'nanToNum_', (t) => m.nanToNum(t, opts));
  }
  /** Fills with zeros, in place: PyTorch's `zero_`. */
  zero_(): this {
    return inplace.fill(this, 0, 'ZeroBackward0');
  }
  /** Fills with `value`, in place: PyTorch's `fill_`. */
  fill_(value: number): this {
    return inplace.fill(this, value, 'FillBackward0');
  }
  /** Copies `src` (broadcast to this shape, cast to this dtype, moved from its backend) into this tensor. */
  copy_(src: Tensor): this {
    return inplace.copyFrom(this, src);
  }

  // ---- random (ops/random.ts): PyTorch's CPU samplers, `{ generator }` to draw from one ----

  /** `uniform_(from=0, to=1)`: uniform in [from, to). */
  uniform_(from = 0, to = 1, opts?: rnd.GeneratorOptions): this {
    return rnd.uniform_(this, from, to, opts);
  }
  /** `normal_(mean=0, std=1)`. */
  normal_(mean = 0, std = 1, opts?: rnd.GeneratorOptions): this {
    return rnd.normal_(this, mean, std, opts);
  }
  /** `bernoulli_(p=0.5)`: 0/1 with probability p (a number, or a tensor broadcast to this one). */
  bernoulli_(p: number | Tensor = 0.5, opts?: rnd.GeneratorOptions): this {
    return rnd.bernoulli_(this, p, opts);
  }
  /** `random_()`, `random_(to)`, `random_(from, to)`: integers in [from, to). */
  random_(
    from?: number | rnd.GeneratorOptions,
    to?: number | rnd.GeneratorOptions | null,
    opts?: rnd.GeneratorOptions,
  ): this {
    return rnd.random_(this, from, to, opts);
  }
  /** `exponential_(lambd=1)`. */
  exponential_(lambd = 1, opts?: rnd.GeneratorOptions): this {
    return rnd.exponential_(this, lambd, opts);
  }
  /** `cauchy_(median=0, sigma=1)`. */
  cauchy_(median = 0, sigma = 1, opts?: rnd.GeneratorOptions): this {
    return rnd.cauchy_(this, median, sigma, opts);
  }
  /** `log_normal_(mean=1, std=2)`. */
  logNormal_(mean = 1, std = 2, opts?: rnd.GeneratorOptions): this {
    return rnd.logNormal_(this, mean, std, opts);
  }
  /** `geometric_(p)`. */
  geometric_(p: number, opts?: rnd.GeneratorOptions): this {
    return rnd.geometric_(this, p, opts);
  }
  /** `bernoulli()`: 0/1 draws with this tensor's probabilities (`torch.bernoulli(t)`). */
  bernoulli(p?: number | rnd.GeneratorOptions, opts?: rnd.GeneratorOptions): Tensor {
    return rnd.bernoulli(this, p, opts);
  }
  /** `multinomial(numSamples, { replacement, generator })` (`torch.multinomial(t, ...)`). */
  multinomial(numSamples: number, opts?: rnd.MultinomialOptions): Tensor {
    return rnd.multinomial(this, numSamples, opts);
  }
}

function nest(flat: ArrayLike<number>, shape: readonly number[]): any {
  if (shape.length === 0) return flat[0];
  let pos = 0;
  const build = (d: number): any[] => {
    const n = shape[d]!;
    const out = new Array(n);
    if (d === shape.length - 1) {
      for (let i = 0; i < n; i++) out[i] = flat[pos++];
    } else {
      for (let i = 0; i < n; i++) out[i] = build(d + 1);
    }
    return out;
  };
  return build(0);
}

/** Bytes held by live storages, per backend (what `torch.memory()` reports). */
export function liveStorageBytes(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, s] of statsByName) out.set(name, s.bytes);
  return out;
}

/** Elements of a tensor of `shape`. */
function numelOf(shape: readonly number[]): number {
  let n = 1;
  for (let i = 0; i < shape.length; i++) n *= shape[i]!;
  return n;
}

Object.defineProperty(Tensor.prototype, brand, { value: true });
