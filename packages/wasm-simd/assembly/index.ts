// @stepwise/wasm-simd kernels (AssemblyScript, compiled to build/kernels.wasm).
// No AssemblyScript heap is used: every buffer lives in the JS-managed heap above
// `heapBase()`, and kernels only see raw pointers.

export {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  convScratchBytes,
  maxPool2d,
  maxPool2dBackward,
} from './conv';
export { binary, cast, copy, fill, unary, where } from './elementwise';
export {
  mathAcos,
  mathAcosh,
  mathAsin,
  mathAsinh,
  mathAtan,
  mathAtan2,
  mathAtanh,
  mathCos,
  mathCosh,
  mathErf,
  mathErfinv,
  mathExp,
  mathExpm1,
  mathFmod,
  mathHypot,
  mathLog,
  mathLog1p,
  mathSin,
  mathSinh,
  mathTan,
  mathTanh,
} from './fusedMath';
export { gather, indexAdd, indexSelect, scatterAdd } from './indexing';
export { gemm, gemmScratchBytes } from './matmul';
export { reduce, reduceScratchBytes } from './reduce';

export function heapBase(): usize {
  return __heap_base;
}
