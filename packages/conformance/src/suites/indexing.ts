/**
 * Indexing and assignment against PyTorch 1.13 (fixtures/indexing.json,
 * tooling/golden/views.py): `x.index(...)` with integers, slices, '...', null, index
 * tensors, number arrays and masks (basic indexing gives a view, advanced a copy; PyTorch's
 * broadcasting and placement of advanced dims), `indexPut_` (with and without accumulate),
 * maskedFill(_), maskedSelect, indexFill_, indexCopy_, indexAdd_, scatter(_),
 * scatterAdd(_), take: values, views and write-through, gradients, and PyTorch's errors.
 * The cases are programs replayed by programs.ts.
 */
import type { ConformanceContext } from '../context.js';
import { registerProgramCases } from './programs.js';

export function registerIndexingTests(ctx: ConformanceContext): void {
  registerProgramCases(ctx, 'indexing');
}
