/** Numeric codes shared with the AssemblyScript kernels (assembly/*.ts). */
import type { BinaryOp, DType, ReduceOp, UnaryOp } from '@stepwise/core';

export const dtypeCode: Record<DType, number> = { float32: 0, float64: 1, int32: 2, bool: 3 };

export const unaryCode: Record<UnaryOp, number> = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4,
  abs: 5,
  sign: 6,
  square: 7,
  relu: 8,
  sigmoid: 9,
  tanh: 10,
  softplus: 11,
  reciprocal: 12,
  not: 13,
};

export const binaryCode: Record<BinaryOp, number> = {
  add: 0,
  sub: 1,
  mul: 2,
  div: 3,
  pow: 4,
  maximum: 5,
  minimum: 6,
  eq: 7,
  ne: 8,
  lt: 9,
  le: 10,
  gt: 11,
  ge: 12,
  and: 13,
  or: 14,
};

export const reduceCode: Record<ReduceOp, number> = { sum: 0, prod: 1, max: 2, min: 3, argmax: 4, argmin: 5 };
