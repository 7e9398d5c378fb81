import { runConformance } from '@stepwise/conformance';
import { cpuJs } from '@stepwise/cpu-js';
import { wasmSimd } from '../src/index.js';

runConformance('wasm-simd', () => wasmSimd(), { reference: () => cpuJs() });
