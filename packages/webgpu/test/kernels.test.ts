/**
 * webgpu's kernels: the conformance package's kernel layer against cpu-js in float64 (every
 * kernel of the Backend interface; float64 reported skipped: webgpu stores none), once with
 * this adapter's kernels and once more, for the float32 kernels that have them, with the
 * variants meant for real GPUs (workgroup-memory tiles and trees), even on a CPU-backed
 * adapter.
 */

import { runKernelConformance } from '@stepwise/conformance';
import { cpu, gpu, gpuVariant } from './helpers.js';

runKernelConformance('webgpu', () => gpu(), { reference: () => cpu });
runKernelConformance('webgpu, the kernels for real GPUs', () => gpuVariant(), {
  reference: () => cpu,
  only: ['reduce', 'matmul', 'conv'],
  dtypes: ['float32'],
});
