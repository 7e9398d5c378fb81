/**
 * `import '@stepwise/webgpu/register'`: creates the WebGPU backend, registers it as
 * 'webgpu' and makes it the default (PyTorch analogue: `torch.set_default_device('cuda')`).
 *
 * @module @stepwise/webgpu/register
 */
import { registerBackend, setBackend } from '@stepwise/core';
import { webgpu } from './webgpu.js';

const backend = await webgpu();
registerBackend(backend);
setBackend(backend);
