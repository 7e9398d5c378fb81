/**
 * The optimizer suites; their pieces live in `optim/`, one concept a file: the
 * `OptimizerInfo` table (`info.ts`) and the generator's parameters (`params.ts`);
 * trajectories against PyTorch and the generic checks per dense optimizer; the base class;
 * constructor refusals; LBFGS and SparseAdam, which are driven differently, in suites of
 * their own.
 */

import { describe } from 'vitest';
import type { ConformanceContext } from '../context.js';
import { registerBaseClassTests } from './optim/baseClass.js';
import { registerConstructorErrorTests } from './optim/constructorErrors.js';
import { registerGenericTests } from './optim/generic.js';
import { denseOptimizers } from './optim/info.js';
import { registerTrajectoryTests } from './optim/trajectories.js';

export { registerLbfgsTests } from './optim/lbfgs.js';
export { registerSparseAdamTests } from './optim/sparseAdam.js';

export function registerOptimTests(ctx: ConformanceContext): void {
  for (const info of denseOptimizers) {
    describe(info.name, () => {
      registerTrajectoryTests(ctx, info);
      registerGenericTests(ctx, info);
    });
  }
  registerBaseClassTests();
  registerConstructorErrorTests();
}
