import { runConformance } from '@stepwise/conformance';
import type { Backend } from '@stepwise/core';
import { cpuJs } from '@stepwise/cpu-js';
import { afterAll } from 'vitest';
import { webgpu } from '../src/index.js';

let backend: Backend | undefined;
// cpu-js in float64 is the reference of the cross-backend suite.
runConformance('webgpu', async () => (backend = await webgpu()), { reference: () => cpuJs() });
// The suite's device goes when the suite ends, with all it holds: the files after it in
// this process do not inherit its resources.
afterAll(() => backend?.destroy?.());
