import { preset } from '@stepwise/vitest-preset';
import { defineConfig } from 'vitest/config';

// Dawn (the `webgpu` package) must stay in one process for the whole run: a worker thread
// that exits while a device is alive can crash the process. One forked worker, no isolation.
export default defineConfig({
  ...preset,
  test: {
    ...preset.test,
    pool: 'forks',
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
  },
});
