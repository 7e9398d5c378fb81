/**
 * The numbers the kernels and the JS side agree on: dtype, unary, binary and reduce codes.
 * Both compilers read this one file (tsc as part of src/, asc because assembly/*.ts import
 * it), so it holds only integer constants, the part of TypeScript that AssemblyScript reads
 * the same way. `opCodes.ts` maps core's names onto them.
 */

// ---- dtypes ----
export const F32 = 0;
export const F64 = 1;
export const I32 = 2;
/** bool, one byte an element. */
export const U8 = 3;

// ---- UnaryOp ----
export const U_NEG = 0;
export const U_EXP = 1;
export const U_LOG = 2;
export const U_SQRT = 3;
export const U_RSQRT = 4;
export const U_ABS = 5;
export const U_SIGN = 6;
export const U_SQUARE = 7;
export const U_RELU = 8;
export const U_SIGMOID = 9;
export const U_TANH = 10;
export const U_SOFTPLUS = 11;
export const U_RECIPROCAL = 12;
export const U_NOT = 13;

// ---- BinaryOp: arithmetic first, then comparisons and logic (kernels test `op >= B_EQ`) ----
export const B_ADD = 0;
export const B_SUB = 1;
export const B_MUL = 2;
export const B_DIV = 3;
export const B_POW = 4;
export const B_MAX = 5;
export const B_MIN = 6;
export const B_EQ = 7;
export const B_NE = 8;
export const B_LT = 9;
export const B_LE = 10;
export const B_GT = 11;
export const B_GE = 12;
export const B_AND = 13;
export const B_OR = 14;

// ---- ReduceOp: the arg reductions last (kernels test `op >= R_ARGMAX`) ----
export const R_SUM = 0;
export const R_PROD = 1;
export const R_MAX = 2;
export const R_MIN = 3;
export const R_ARGMAX = 4;
export const R_ARGMIN = 5;
