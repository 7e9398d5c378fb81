import { runConformance } from '@stepwise/conformance';
import { wasmSimd } from '../src/index.js';

runConformance('wasm-simd', () => wasmSimd());
