/**
 * `import '@stepwise/cpu-js/register'`: creates the cpu-js backend, registers it under
 * 'cpu-js' and makes it the default — the one line an app needs, like picking
 * `torch.device('cpu')` once for a whole program.
 *
 * @module @stepwise/cpu-js/register
 */
import { registerBackend, setBackend } from '@stepwise/core';
import { cpuJs } from './index.js';

const backend = cpuJs();
registerBackend(backend);
setBackend(backend);
