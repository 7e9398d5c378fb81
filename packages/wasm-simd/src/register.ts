/**
 * `import '@stepwise/wasm-simd/register'`: creates the wasm-simd backend (top-level await),
 * registers it as 'wasm-simd' and makes it the default.
 *
 * @module @stepwise/wasm-simd/register
 */
import { registerBackend, setBackend } from '@stepwise/core';
import { wasmSimd } from './index.js';

const backend = await wasmSimd();
registerBackend(backend);
setBackend(backend);
