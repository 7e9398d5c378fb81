/**
 * Views against PyTorch 1.13 (fixtures/views.json, tooling/golden/views.py): narrow, select,
 * T, t, transpose, permute, expand, view, reshape, flatten, squeeze, unsqueeze, unbind,
 * chunk, split, diagonal, unfold, movedim, detach, contiguous: values, strides, storage
 * offset, sharing, write-through, CopySlices gradients and PyTorch's errors. The cases are
 * programs replayed by programs.ts.
 */
import type { ConformanceContext } from '../context.js';
import { registerProgramCases } from './programs.js';

export function registerViewsTests(ctx: ConformanceContext): void {
  registerProgramCases(ctx, 'views');
}
