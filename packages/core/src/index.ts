/**
 * @stepwise/core — PyTorch's `torch` for TypeScript: tensors, autograd, `nn`, `optim`.
 *
 *   import * as torch from '@stepwise/core';
 *   import '@stepwise/cpu-js/register';
 *
 * Names are PyTorch's in camelCase; keyword arguments become one options object.
 *
 * @module @stepwise/core
 */

import type { Backend } from './backend.js';
import { toBackendAsync } from './ops/convert.js';
import * as ew from './ops/elementwise.js';
import * as red from './ops/reduce.js';
import * as sh from './ops/shape.js';
import { liveStorageBytes, liveTensorCounts, type Tensor } from './tensor.js';

export * as autograd from './autograd/index.js';
export type {
  Backend,
  BinaryOp,
  Conv2dGeometry,
  FusedTensorArgs,
  MatmulOptions,
  Pool2dGeometry,
  ReduceOp,
  Storage,
  UnaryOp,
  View,
} from './backend.js';
export { conv2dGeometryValues, pool2dGeometryValues, rowSumsGeometry } from './backend.js';
export { DataLoader, TensorDataset } from './data/index.js';
export {
  bytesPerElement,
  DTYPES,
  type DType,
  getDefaultDtype,
  isFloat,
  promoteTypes,
  setDefaultDtype,
  type TypedArray,
  typedArrayFor,
} from './dtype.js';
export {
  enableGrad,
  isGradEnabled,
  keep,
  noGrad,
  /** @internal For test harnesses (conformance's memory check): sees every new tensor. */
  observeTensorBirths as _observeTensorBirths,
  setGradEnabled,
  tidy,
} from './engine.js';
export * from './errors.js';
export {
  getPrintOptions,
  type PrintOptions,
  type SetPrintOptions,
  setPrintOptions,
} from './formatTensor.js';
export { runFusedComposed } from './fused/composed.js';
export { applyFusedBinary, applyFusedUnary, evalFusedExpr } from './fused/evaluate.js';
export { interpretFused } from './fused/interpret.js';
export { fusedScalars, type LoweredFused, type LoweredStatement, lowerFused } from './fused/lower.js';
export {
  defineFused,
  Ex,
  FUSED_BINARY_OPS,
  FUSED_UNARY_OPS,
  type FusedBinaryOp,
  type FusedBuilder,
  type FusedExpr,
  type FusedProgram,
  type FusedStatement,
  type FusedUnaryOp,
} from './fused/program.js';
export { type FusedEntry, type FusedEntryOf, type RunFusedOptions, runFused } from './fused/run.js';
export * as fusedSpecial from './fused/special.js';
export * as nn from './nn/index.js';
export {
  arange,
  eye,
  full,
  fullLike,
  linspace,
  type NestedArray,
  ones,
  onesLike,
  type RandomOptions,
  rand,
  randint,
  randintLike,
  randLike,
  randn,
  randnLike,
  randperm,
  type ShapeLike,
  type TensorData,
  type TensorOptions,
  tensor,
  zeros,
  zerosLike,
} from './ops/creation.js';
export { cumprod, cumsum } from './ops/cumulative.js';
export { einsum } from './ops/einsum.js';
export {
  abs,
  add,
  clamp,
  clamp as clip,
  type DivOptions,
  div,
  exp,
  log,
  logicalAnd,
  logicalNot,
  logicalOr,
  maximum,
  minimum,
  mul,
  neg,
  reciprocal,
  relu,
  rsqrt,
  type SoftplusOptions,
  sigmoid,
  sign,
  softplus,
  sqrt,
  square,
  sub,
  tanh,
  where,
} from './ops/elementwise.js';
export { gather, indexSelect } from './ops/indexing.js';
export {
  type AddmmOptions,
  addmm,
  baddbmm,
  bmmOp as bmm,
  matmul,
  mv,
  outer,
  trace,
} from './ops/linalg.js';
export * as linalg from './ops/linalgNamespace.js';
export {
  acos,
  acosh,
  addcdiv,
  addcmul,
  asin,
  asinh,
  atan,
  atan2,
  atanh,
  ceil,
  cos,
  cosh,
  erf,
  erfinv,
  exp2,
  expm1,
  floor,
  fmod,
  frac,
  hypot,
  isfinite,
  isinf,
  isnan,
  lerp,
  log1p,
  log2,
  log10,
  logit,
  type NanToNumOptions,
  nanToNum,
  type RoundingMode,
  reluBackwardProgram,
  remainder,
  round,
  sin,
  sinh,
  tan,
  trunc,
} from './ops/math.js';
export {
  bernoulli,
  type GeneratorOptions,
  type MultinomialOptions,
  multinomial,
  normal,
} from './ops/random.js';
export { flip, roll, tile, unflatten } from './ops/rearrange.js';
export {
  all,
  any,
  type NormOrd,
  norm,
  prod,
  std,
  stdMean,
  type VarianceOptions,
  varMean,
  varOf as var,
} from './ops/reduce.js';
export { maskedFill, maskedSelect, scatter, scatterAdd, take } from './ops/scatter.js';
export { cat, stack } from './ops/shape.js';
export {
  argsort,
  kthvalue,
  median,
  mode,
  type SortOptions,
  sort,
  type TopkOptions,
  topk,
  type ValuesIndices,
} from './ops/sort.js';
export type { IndexItem, NestedIndexArray } from './ops/subscript.js';
export { diag, tril, triu } from './ops/triangular.js';
export * as optim from './optim/index.js';
export {
  defaultGenerator,
  Generator,
  getRngState,
  initialSeed,
  manualSeed,
  mulberry32,
  seed,
  setRngState,
} from './random.js';
export { getBackend, listBackends, registerBackend, setBackend } from './registry.js';
export {
  CheckpointError,
  type CheckpointFormat,
  detectFormat,
  load,
  loadSafetensors,
  type SaveOptions,
  save,
  saveAsync,
} from './serialize/index.js';
export { Tensor, type TensorOrScalar } from './tensor.js';
export { MAX_TENSOR_ELEMENTS, TensorSizeError } from './tensorSize.js';
export * as utils from './utilsNamespace.js';

/** `torch.pow(base, exponent)`; the base may be a number. */
export function pow(base: Tensor | number, exponent: Tensor | number): Tensor {
  if (typeof base === 'number') {
    if (typeof exponent === 'number') throw new TypeError('pow(): at least one argument must be a Tensor');
    return ew.powScalarBase(base, exponent);
  }
  return ew.pow(base, exponent);
}

/** Elementwise `a == b` (broadcast), bool: `torch.eq`. */
export const eq = (a: Tensor, b: Tensor | number) => ew.compare('eq', a, b);
/** Elementwise `a != b`, bool: `torch.ne`. */
export const ne = (a: Tensor, b: Tensor | number) => ew.compare('ne', a, b);
/** Elementwise `a < b`, bool: `torch.lt`. */
export const lt = (a: Tensor, b: Tensor | number) => ew.compare('lt', a, b);
/** Elementwise `a <= b`, bool: `torch.le`. */
export const le = (a: Tensor, b: Tensor | number) => ew.compare('le', a, b);
/** Elementwise `a > b`, bool: `torch.gt`. */
export const gt = (a: Tensor, b: Tensor | number) => ew.compare('gt', a, b);
/** Elementwise `a >= b`, bool: `torch.ge`. */
export const ge = (a: Tensor, b: Tensor | number) => ew.compare('ge', a, b);

type Dims = number | readonly number[] | null;
/** Sum of all elements, or over `dim` (one or several), keeping it with `keepdim`: `torch.sum`. */
export const sum = (t: Tensor, dim?: Dims, keepdim = false) => red.sum(t, dim, keepdim);
/** Mean of all elements, or over `dim`: `torch.mean`. */
export const mean = (t: Tensor, dim?: Dims, keepdim = false) => red.mean(t, dim, keepdim);
/** `log(sum(exp(t)))` over `dim`, computed stably: `torch.logsumexp`. */
export const logsumexp = (t: Tensor, dim: number | readonly number[], keepdim = false) =>
  red.logsumexp(t, dim, keepdim);
/** Softmax along `dim`: `torch.softmax`. */
export const softmax = (t: Tensor, dim: number) => red.softmax(t, dim);
/** Log of the softmax along `dim`: `torch.log_softmax`. */
export const logSoftmax = (t: Tensor, dim: number) => red.logSoftmax(t, dim);
/** Index of the maximum (flattened, or along `dim`), int32: `torch.argmax`. */
export const argmax = (t: Tensor, dim?: number | null, keepdim = false) =>
  red.argReduce(t, 'argmax', dim, keepdim);
/** Index of the minimum (flattened, or along `dim`), int32: `torch.argmin`. */
export const argmin = (t: Tensor, dim?: number | null, keepdim = false) =>
  red.argReduce(t, 'argmin', dim, keepdim);
/** Maximum over `dim` (one or several), values only: `torch.amax`. */
export const amax = (t: Tensor, dim?: Dims, keepdim = false) => red.amax(t, 'max', dim, keepdim);
/** Minimum over `dim` (one or several), values only: `torch.amin`. */
export const amin = (t: Tensor, dim?: Dims, keepdim = false) => red.amax(t, 'min', dim, keepdim);

/**
 * `torch.max(t)`, `torch.max(t, dim, keepdim)` (values and indices), or `torch.max(a, b)`
 * with a tensor `b`: the elementwise maximum (`torch.maximum`).
 */
export function max(t: Tensor): Tensor;
export function max(
  t: Tensor,
  dim: number,
  keepdim?: boolean,
): {
  /** The maximum values. */
  values: Tensor;
  /** Their indices along `dim` (int32). */
  indices: Tensor;
};
export function max(t: Tensor, other: Tensor): Tensor;
export function max(t: Tensor, dim?: number | Tensor, keepdim = false) {
  if (typeof dim === 'object' && dim !== null) return ew.maximum(t, dim);
  return dim === undefined ? t.max() : t.max(dim, keepdim);
}
/** `torch.min(t)`, `torch.min(t, dim, keepdim)`, or `torch.min(a, b)`: the elementwise minimum. */
export function min(t: Tensor): Tensor;
export function min(
  t: Tensor,
  dim: number,
  keepdim?: boolean,
): {
  /** The minimum values. */
  values: Tensor;
  /** Their indices along `dim` (int32). */
  indices: Tensor;
};
export function min(t: Tensor, other: Tensor): Tensor;
export function min(t: Tensor, dim?: number | Tensor, keepdim = false) {
  if (typeof dim === 'object' && dim !== null) return ew.minimum(t, dim);
  return dim === undefined ? t.min() : t.min(dim, keepdim);
}

/** View with `dim0` and `dim1` swapped: `torch.transpose`. */
export const transpose = (t: Tensor, dim0: number, dim1: number) => sh.transpose(t, dim0, dim1);
/** The elements of `t` in a new shape (a view when possible): `torch.reshape`. */
export const reshape = (t: Tensor, shape: readonly number[]) => sh.reshape(t, shape, 'reshape');
/** Flattens dims `startDim`..`endDim`: `torch.flatten`. */
export const flatten = (t: Tensor, startDim = 0, endDim = -1) => sh.flatten(t, startDim, endDim);
/** Removes size-1 dims (all, or `dim`): `torch.squeeze`. */
export const squeeze = (t: Tensor, dim?: number) => sh.squeeze(t, dim);
/** Inserts a size-1 dim at `dim`: `torch.unsqueeze`. */
export const unsqueeze = (t: Tensor, dim: number) => sh.unsqueeze(t, dim);
/** View with dims reordered: `torch.permute`. */
export const permute = (t: Tensor, dims: readonly number[]) => sh.permute(t, dims);
/** View of `length` elements of `dim` from `start`: `torch.narrow`. */
export const narrow = (t: Tensor, dim: number, start: number, length: number) =>
  sh.narrow(t, dim, start, length);
/** A copy with its own storage: `torch.clone`. */
export const clone = (t: Tensor) => sh.clone(t);
/** A view cut from the autograd graph: `torch.detach`. */
export const detach = (t: Tensor) => t.detach();

/** Moves a tensor to another backend from any backend, webgpu included. */
export const toAsync = (t: Tensor, backend: string | Backend) => toBackendAsync(t, backend);

/** Disposes every tensor in a tensor, array or plain object (as `tf.dispose`). */
export function dispose(x: Tensor | readonly Tensor[] | Record<string, Tensor>): void {
  const list = Array.isArray(x) ? x : 'dispose' in (x as object) ? [x as Tensor] : Object.values(x);
  for (const t of list as Tensor[]) t.dispose();
}

/** Live tensors and bytes, in total and per backend (`tf.memory()` for stepwise). */
export interface MemoryInfo {
  /** Live tensors. */
  tensors: number;
  /** Bytes of live storage. */
  bytes: number;
  /** Live tensors and bytes per backend name. */
  backends: Record<
    string,
    {
      /** Live tensors on this backend. */
      tensors: number;
      /** Bytes of live storage on this backend. */
      bytes: number;
    }
  >;
}

/** `torch.memory()`: what is allocated now. A training loop should keep this flat. */
export function memory(): MemoryInfo {
  const bytes = liveStorageBytes();
  const counts = liveTensorCounts();
  const backends: MemoryInfo['backends'] = {};
  for (const name of new Set([...bytes.keys(), ...counts.keys()])) {
    backends[name] = { tensors: counts.get(name) ?? 0, bytes: bytes.get(name) ?? 0 };
  }
  const all = Object.values(backends);
  return {
    tensors: all.reduce((a, b) => a + b.tensors, 0),
    bytes: all.reduce((a, b) => a + b.bytes, 0),
    backends,
  };
}
