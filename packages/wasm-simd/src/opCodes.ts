/** Core's dtype and op names as the kernels' numeric codes (the numbers live in `codes.ts`). */
import type { BinaryOp, DType, ReduceOp, UnaryOp } from '@stepwise/core';
import * as c from './codes.js';

export const dtypeCode: Record<DType, number> = { float32: c.F32, float64: c.F64, int32: c.I32, bool: c.U8 };

export const unaryCode: Record<UnaryOp, number> = {
  neg: c.U_NEG,
  exp: c.U_EXP,
  log: c.U_LOG,
  sqrt: c.U_SQRT,
  rsqrt: c.U_RSQRT,
  abs: c.U_ABS,
  sign: c.U_SIGN,
  square: c.U_SQUARE,
  relu: c.U_RELU,
  sigmoid: c.U_SIGMOID,
  tanh: c.U_TANH,
  softplus: c.U_SOFTPLUS,
  reciprocal: c.U_RECIPROCAL,
  not: c.U_NOT,
};

export const binaryCode: Record<BinaryOp, number> = {
  add: c.B_ADD,
  sub: c.B_SUB,
  mul: c.B_MUL,
  div: c.B_DIV,
  pow: c.B_POW,
  maximum: c.B_MAX,
  minimum: c.B_MIN,
  eq: c.B_EQ,
  ne: c.B_NE,
  lt: c.B_LT,
  le: c.B_LE,
  gt: c.B_GT,
  ge: c.B_GE,
  and: c.B_AND,
  or: c.B_OR,
};

export const reduceCode: Record<ReduceOp, number> = {
  sum: c.R_SUM,
  prod: c.R_PROD,
  max: c.R_MAX,
  min: c.R_MIN,
  argmax: c.R_ARGMAX,
  argmin: c.R_ARGMIN,
};
