import { spawnSync } from 'node:child_process';
import { preset } from '@stepwise/vitest-preset';
import { defineConfig } from 'vitest/config';

/**
 * Whether Node's `webgpu` package finds an adapter here, probed in a child process (a
 * machine without a Vulkan driver must not take the test process down with it).
 */
function adapterAvailable(): boolean {
  const probe = [
    "const { create, globals } = await import('webgpu');",
    'Object.assign(globalThis, globals);',
    'const gpu = create([]);',
    'const adapter = await gpu.requestAdapter();',
    'process.exit(adapter ? 0 : 1);',
  ].join('\n');
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], {
    timeout: 60_000,
    stdio: 'ignore',
  });
  return r.status === 0;
}

// Without an adapter (no Mesa 25 lavapipe, no GPU) the tests are skipped with this reason on
// a developer's machine; in CI (CI=true) they always run, so a missing driver fails there.
const runnable = process.env.CI ? true : adapterAvailable();
if (!runnable) {
  console.warn(
    '\n@stepwise/webgpu: no WebGPU adapter on this machine, so its Node tests are skipped.\n' +
      'Install one with `bash .ci/install-webgpu-deps.sh` (Mesa 25 lavapipe); CI never skips them.\n',
  );
}

// Dawn (the `webgpu` package) must stay in one process for the whole run: a worker thread
// that exits while a device is alive can crash the process. One forked worker, no isolation
// (a process per file would start Dawn and lavapipe again for each). Files do not add up all
// the same: the backend bounds what it holds, and a file that makes its own device destroys
// it at the end (README, "Memory").
export default defineConfig({
  ...preset,
  test: {
    ...preset.test,
    // The browser test needs Chromium's own WebGPU (SwiftShader), not Dawn: it still runs.
    ...(runnable ? {} : { include: ['test/browser.test.ts'], passWithNoTests: true }),
    pool: 'forks',
    maxWorkers: 1,
    isolate: false,
    fileParallelism: false,
  },
});
