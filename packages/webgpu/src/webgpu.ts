/// <reference types="@webgpu/types" preserve="true" />
/**
 * `webgpu()`: creates the WebGPU backend. Browsers (and Deno) provide `navigator.gpu`; in
 * Node the optional `webgpu` package (Dawn) supplies it.
 */
import type { Backend } from '@stepwise/core';
import { WebGPUUnavailableError } from './errors.js';
import { WebGPUBackend } from './webgpuBackend.js';

/** Options of `webgpu()`. */
export interface WebGPUOptions {
  /** A device the app already has; the backend shares it and never destroys it. */
  readonly device?: GPUDevice;
  /** Adapter power preference when the backend requests its own device. */
  readonly powerPreference?: GPUPowerPreference;
  /**
   * Caps the bytes of one storage binding below the device's limit. Larger tensors are
   * processed in ranges by the elementwise and optimizer kernels. Mainly for tests.
   */
  readonly maxBindingBytes?: number;
}

/**
 * Dawn's GPU object for Node. Kept here for the process's life: Node crashes if it is
 * garbage-collected while a device it made is alive.
 */
let nodeGpu: GPU | undefined;

interface DawnModule {
  create: (flags: string[]) => GPU;
  globals: Record<string, unknown>;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Imports the `webgpu` package and installs its globals (GPUBufferUsage, ...) if missing. */
async function dawn(): Promise<DawnModule> {
  // A variable specifier keeps bundlers from pulling the Node-only package into web builds.
  const specifier = 'webgpu';
  let mod: DawnModule;
  try {
    mod = await import(/* @vite-ignore */ specifier);
  } catch (e) {
    throw new WebGPUUnavailableError(
      `webgpu: in Node the 'webgpu' package (Dawn) is needed; install it with \`npm install webgpu\` (${String(e)})`,
    );
  }
  if (typeof (globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage === 'undefined') {
    Object.assign(globalThis, mod.globals);
  }
  return mod;
}

async function gpuObject(): Promise<GPU> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return nav.gpu;
  if (nodeGpu) return nodeGpu;
  if (!isNode) {
    throw new WebGPUUnavailableError(
      'webgpu: navigator.gpu is not available in this browser (WebGPU disabled?)',
    );
  }
  nodeGpu = (await dawn()).create([]);
  return nodeGpu;
}

/**
 * Creates the WebGPU backend (PyTorch analogue: selecting a GPU device). Requests the
 * adapter's highest storage-buffer limits so large tensors and many-tensor fused
 * optimizer steps fit in one binding set.
 */
export async function webgpu(opts: WebGPUOptions = {}): Promise<Backend> {
  if (opts.device) {
    // A device made with Dawn in Node by the app: the usage-flag globals may still be missing.
    if (isNode && typeof (globalThis as { GPUBufferUsage?: unknown }).GPUBufferUsage === 'undefined')
      await dawn();
    return new WebGPUBackend(opts.device, false, { maxBindingBytes: opts.maxBindingBytes });
  }
  const gpu = await gpuObject();
  const adapter = await gpu.requestAdapter(
    opts.powerPreference ? { powerPreference: opts.powerPreference } : undefined,
  );
  if (!adapter)
    throw new WebGPUUnavailableError('webgpu: no GPU adapter is available (requestAdapter returned null)');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
    },
  });
  return new WebGPUBackend(device, true, {
    maxBindingBytes: opts.maxBindingBytes,
    adapterInfo: adapter.info,
  });
}
