import { runConformance } from '@stepwise/conformance';
import { wasmSimd } from '../src/index.js';

runConformance('wasm-simd', () => wasmSimd(), { only: (process.env.SUITES ?? 'optim').split(',') });
