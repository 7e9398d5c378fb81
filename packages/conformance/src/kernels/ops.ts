/**
 * The elementwise ops of the Backend interface as tables: which dtypes each takes, and
 * whether its float result is exact (the correctly rounded result every IEEE backend must
 * give, so it is compared exactly) or a transcendental compared within tolerance. The
 * kernel layer reads these, and cpu-js's own reference-formula tests read the same lists.
 */

import type { BinaryOp, DType, UnaryOp } from '@stepwise/core';

/** A unary kernel op the suite checks. */
export interface UnaryInfo {
  /** The op, as the `Backend` interface names it. */
  readonly op: UnaryOp;
  /** Also defined on int32 (wrapping as int32 arithmetic). */
  readonly int32: boolean;
  /** Exact on floats: sign manipulation, comparisons, or one correctly rounded multiply. */
  readonly exact: boolean;
  /** A range its float inputs also cover densely (the roots' and logs' domain). */
  readonly dense?: readonly [number, number];
}

/** Every unary kernel op, with the inputs it is checked on. */
export const unaryOps: readonly UnaryInfo[] = [
  { op: 'neg', int32: true, exact: true },
  { op: 'exp', int32: false, exact: false },
  { op: 'log', int32: false, exact: false, dense: [0, 3] },
  { op: 'sqrt', int32: false, exact: false, dense: [0, 3] },
  { op: 'rsqrt', int32: false, exact: false, dense: [0, 3] },
  { op: 'abs', int32: true, exact: true },
  { op: 'sign', int32: true, exact: true },
  { op: 'square', int32: true, exact: true },
  { op: 'relu', int32: true, exact: true },
  { op: 'sigmoid', int32: false, exact: false },
  { op: 'tanh', int32: false, exact: false },
  { op: 'softplus', int32: false, exact: false },
  { op: 'reciprocal', int32: false, exact: false },
  // `not` writes bool whatever its input.
  { op: 'not', int32: true, exact: true },
];

/** A binary kernel op the suite checks, and the dtypes it takes. */
export interface BinaryInfo {
  /** The op, as the `Backend` interface names it. */
  readonly op: BinaryOp;
  /** The dtypes the op is checked on. */
  readonly dtypes: readonly DType[];
  /** Comparisons and logic write bool; arithmetic writes the inputs' dtype. */
  readonly writesBool: boolean;
  /** Exact on floats (one correctly rounded operation, or a comparison). */
  readonly exact: boolean;
  /** Where its random int32 operands are drawn (default: [-100000, 100000], so mul wraps). */
  readonly int32Domain?: readonly [a: readonly [number, number], b: readonly [number, number]];
  /** Fixed int32 operand pairs checked besides the random ones (which stay in the op's safe domain). */
  readonly int32Pairs?: readonly [a: readonly number[], b: readonly number[]];
}

const floats: DType[] = ['float32', 'float64'];
const numeric: DType[] = ['float32', 'float64', 'int32'];
const all: DType[] = ['float32', 'float64', 'int32', 'bool'];

/** Every binary kernel op, with the dtypes it is checked on. */
export const binaryOps: readonly BinaryInfo[] = [
  { op: 'add', dtypes: all, writesBool: false, exact: true },
  { op: 'sub', dtypes: numeric, writesBool: false, exact: true },
  { op: 'mul', dtypes: all, writesBool: false, exact: true },
  // Core casts integers to float before a division: a backend never sees an int32 div.
  { op: 'div', dtypes: floats, writesBool: false, exact: false },
  {
    op: 'pow',
    dtypes: numeric,
    writesBool: false,
    exact: false,
    // Small bases, exponents up to 40: products past 2^31 wrap, as PyTorch's do.
    int32Domain: [
      [-7, 7],
      [0, 40],
    ],
    // Negative exponents come as fixed pairs (PyTorch: 1 for 1, ±1 for -1, else 0, 0 to a
    // negative power included), with powers that wrap.
    int32Pairs: [
      [3, -1, -1, 1, 2, -2, 5, 2147483647, 2, -7, 0, 0, 3, -3, 7],
      [-7, -3, -2, -2, -1, -1, 0, 1, 30, 2, -1, -4, 40, 21, 11],
    ],
  },
  { op: 'maximum', dtypes: all, writesBool: false, exact: true },
  { op: 'minimum', dtypes: numeric, writesBool: false, exact: true },
  { op: 'eq', dtypes: all, writesBool: true, exact: true },
  { op: 'ne', dtypes: all, writesBool: true, exact: true },
  { op: 'lt', dtypes: numeric, writesBool: true, exact: true },
  { op: 'le', dtypes: numeric, writesBool: true, exact: true },
  { op: 'gt', dtypes: numeric, writesBool: true, exact: true },
  { op: 'ge', dtypes: numeric, writesBool: true, exact: true },
  { op: 'and', dtypes: ['bool'], writesBool: true, exact: true },
  { op: 'or', dtypes: ['bool'], writesBool: true, exact: true },
];
