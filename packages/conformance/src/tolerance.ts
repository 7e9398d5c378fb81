/**
 * The one place tolerances live. Compared against PyTorch 1.13 CPU fixtures.
 * float64: PyTorch and stepwise run the same formulas in double precision; only operation
 * order differs, so agreement is near machine epsilon.
 * float32: a relative 1e-5 elementwise (a few ulps of accumulated rounding); long
 * reductions and trajectories that compound rounding over many steps get `loose`.
 */
import type { DType } from '@stepwise/core';

/** Tolerance of a comparison, as `torch.allclose`: `|a - b| <= atol + rtol * |b|`. */
export interface Tolerance {
  /** Relative tolerance. */
  readonly rtol: number;
  /** Absolute tolerance. */
  readonly atol: number;
}

const tight: Record<string, Tolerance> = {
  float64: { rtol: 1e-10, atol: 1e-12 },
  float32: { rtol: 1e-5, atol: 1e-6 },
  int32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

const loose: Record<string, Tolerance> = {
  float64: { rtol: 1e-8, atol: 1e-10 },
  float32: { rtol: 1e-4, atol: 1e-5 },
  int32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

/**
 * The seed programs' acceptance bound, from the issue: relative error <= 1e-9 in float64
 * (no absolute slack: every value checked is far from zero). float32 gets `loose`.
 */
const seed: Record<string, Tolerance> = {
  ...loose,
  float64: { rtol: 1e-9, atol: 0 },
};

/**
 * Cross-backend agreement of random op chains against cpu-js float64: a chain compounds a
 * few roundings per op, and includes reductions and matmuls, so the loose bounds apply.
 */
const crossBackend: Record<string, Tolerance> = loose;

/**
 * A kernel that sums many terms (matmul, conv, a sum, indexAdd): cancellation can bring
 * the result near zero while each partial sum carries the rounding of its largest terms,
 * so the bound is relative to the terms' magnitudes, Σ|termᵢ| (as `rtol · Σ|termᵢ| + atol`),
 * not to the result: float32, a few ulps of the magnitudes; float64, a few hundred.
 */
const accumulated: Record<string, Tolerance> = {
  float64: { rtol: 1e-13, atol: 1e-15 },
  float32: { rtol: 1e-6, atol: 1e-7 },
  int32: { rtol: 0, atol: 0 },
  bool: { rtol: 0, atol: 0 },
};

export type ToleranceKind = 'elementwise' | 'loose' | 'seed' | 'crossBackend' | 'accumulated';

const byKind: Record<ToleranceKind, Record<string, Tolerance>> = {
  elementwise: tight,
  loose,
  seed,
  crossBackend,
  accumulated,
};

/**
 * `kind`: 'elementwise' for single ops; 'loose' for long reductions, matmuls and
 * trajectories; 'seed' for the seed programs' end-to-end results; 'crossBackend' for the
 * random programs compared across backends; 'accumulated' for kernels that sum many terms,
 * relative to the terms' magnitudes (the kernel layer).
 */
export function tolerance(dtype: DType, kind: ToleranceKind = 'elementwise'): Tolerance {
  return byKind[kind][dtype]!;
}
