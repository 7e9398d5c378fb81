/// <reference types="@webgpu/types" preserve="true" />
/**
 * @stepwise/webgpu: the stepwise backend in WGSL compute shaders, for browsers
 * (`navigator.gpu`) and Node (the `webgpu` package, Dawn).
 *
 * @module @stepwise/webgpu
 */

export {
  WebGPUDeviceLostError,
  WebGPUInternalError,
  WebGPUOutOfMemoryError,
  WebGPUUnavailableError,
} from './errors.js';
export { type WebGPUOptions, webgpu } from './webgpu.js';
export { WebGPUBackend, type WebGPUResources } from './webgpuBackend.js';
