/**
 * The stepwise call for every `op` key of fixtures/ops.json. The keys and argument order
 * are shared with tooling/golden/ops.py (`OPS`), which holds the matching PyTorch call.
 */

import type { Tensor } from '@stepwise/core';
import * as torch from '@stepwise/core';

export type OpCall = (xs: Tensor[], args: any[]) => Tensor;

/** `max(dim)`/`min(dim)` return `{ values, indices }`, as PyTorch; the fixtures hold the values. */
function valuesOf(r: Tensor | { values: Tensor }): Tensor {
  return 'values' in r && !(r instanceof torch.Tensor) ? r.values : (r as Tensor);
}

const orUndefined = (v: number | null): number | undefined => (v === null ? undefined : v);

export const opTable: Record<string, OpCall> = {
  neg: ([x]) => x!.neg(),
  exp: ([x]) => x!.exp(),
  log: ([x]) => x!.log(),
  sqrt: ([x]) => x!.sqrt(),
  rsqrt: ([x]) => x!.rsqrt(),
  abs: ([x]) => x!.abs(),
  sign: ([x]) => x!.sign(),
  square: ([x]) => x!.square(),
  relu: ([x]) => x!.relu(),
  sigmoid: ([x]) => x!.sigmoid(),
  tanh: ([x]) => x!.tanh(),
  softplus: ([x]) => x!.softplus(),

  add: ([a, b]) => a!.add(b!),
  sub: ([a, b]) => a!.sub(b!),
  mul: ([a, b]) => a!.mul(b!),
  div: ([a, b]) => a!.div(b!),
  pow: ([a, b]) => a!.pow(b!),
  maximum: ([a, b]) => a!.maximum(b!),
  minimum: ([a, b]) => a!.minimum(b!),

  addScalar: ([x], [v]) => x!.add(v),
  subScalar: ([x], [v]) => x!.sub(v),
  mulScalar: ([x], [v]) => x!.mul(v),
  divScalar: ([x], [v]) => x!.div(v),
  powScalar: ([x], [v]) => x!.pow(v),
  powScalarBase: ([x], [v]) => torch.pow(v, x!),

  'fn.add': ([a, b]) => torch.add(a!, b!),
  'fn.mul': ([a, b]) => torch.mul(a!, b!),
  'fn.exp': ([x]) => torch.exp(x!),
  'fn.log': ([x]) => torch.log(x!),
  'fn.sigmoid': ([x]) => torch.sigmoid(x!),
  'fn.matmul': ([a, b]) => torch.matmul(a!, b!),

  clamp: ([x], [lo, hi]) => x!.clamp(orUndefined(lo), orUndefined(hi)),
  where: ([c, a, b]) => torch.where(c!, a!, b!),
  eq: ([a, b]) => a!.eq(b!),
  ne: ([a, b]) => a!.ne(b!),
  lt: ([a, b]) => a!.lt(b!),
  le: ([a, b]) => a!.le(b!),
  gt: ([a, b]) => a!.gt(b!),
  ge: ([a, b]) => a!.ge(b!),
  eqScalar: ([x], [v]) => x!.eq(v),
  ltScalar: ([x], [v]) => x!.lt(v),
  geScalar: ([x], [v]) => x!.ge(v),

  sum: ([x], a) => (a.length ? x!.sum(a[0], a[1]) : x!.sum()),
  mean: ([x], a) => (a.length ? x!.mean(a[0], a[1]) : x!.mean()),
  max: ([x], a) => (a.length ? valuesOf(x!.max(a[0], a[1])) : x!.max()),
  min: ([x], a) => (a.length ? valuesOf(x!.min(a[0], a[1])) : x!.min()),
  argmax: ([x], a) => (a.length ? x!.argmax(a[0], a[1]) : x!.argmax()),
  logsumexp: ([x], [d, k]) => x!.logsumexp(d, k),
  softmax: ([x], [d]) => x!.softmax(d),
  logSoftmax: ([x], [d]) => x!.logSoftmax(d),
  matmul: ([a, b]) => a!.matmul(b!),

  reshape: ([x], [s]) => x!.reshape(s),
  view: ([x], [s]) => x!.view(s),
  flatten: ([x], a) => x!.flatten(...(a as [number?, number?])),
  squeeze: ([x], a) => (a.length ? x!.squeeze(a[0]) : x!.squeeze()),
  unsqueeze: ([x], [d]) => x!.unsqueeze(d),
  permute: ([x], [dims]) => x!.permute(dims),
  transpose: ([x], [d0, d1]) => x!.transpose(d0, d1),
  T: ([x]) => x!.T,
  expand: ([x], [s]) => x!.expand(s),
  cat: (xs, [d]) => torch.cat(xs, d),
  stack: (xs, [d]) => torch.stack(xs, d),
  narrow: ([x], [d, start, len]) => x!.narrow(d, start, len),
  indexSelect: ([x, i], [d]) => x!.indexSelect(d, i!),
  gather: ([x, i], [d]) => x!.gather(d, i!),
  clone: ([x]) => x!.clone(),
  contiguous: ([x]) => x!.contiguous(),
  transposeContiguous: ([x]) => x!.transpose(0, 1).contiguous(),

  // In place on a clone of input 0: a non-leaf, so autograd records the in-place op.
  add_: ([x, y]) => x!.clone().add_(y!),
  sub_: ([x, y]) => x!.clone().sub_(y!),
  mul_: ([x, y]) => x!.clone().mul_(y!),
  div_: ([x, y]) => x!.clone().div_(y!),
  addScalar_: ([x], [v]) => x!.clone().add_(v),
  mulScalar_: ([x], [v]) => x!.clone().mul_(v),
  clamp_: ([x], [lo, hi]) => x!.clone().clamp_(orUndefined(lo), orUndefined(hi)),
  zero_: ([x]) => x!.clone().zero_(),
  fill_: ([x], [v]) => x!.clone().fill_(v),
  copy_: ([x, y]) => x!.clone().copy_(y!),
};

/** Ops whose results accumulate over many terms: compared with the 'loose' tolerance. */
export const looseOps = new Set(['sum', 'mean', 'logsumexp', 'softmax', 'logSoftmax', 'matmul', 'fn.matmul']);
