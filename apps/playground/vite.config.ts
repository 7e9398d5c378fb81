import { defaultClientConditions, defineConfig } from 'vite';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

// Workspace packages are read from their TypeScript sources (the `@stepwise/source`
// export condition), so the page runs without building the packages first. The
// backends' register modules use top-level await, hence the es2022 target.
export default defineConfig({
  resolve: { conditions: ['@stepwise/source', ...defaultClientConditions] },
  // vega and vega-lite (the chart) are about 0.8 MB of the page's 1.1 MB script, minified.
  build: { target: 'es2022', chunkSizeWarningLimit: 1300 },
  esbuild: { target: 'es2022' },
  // Cross-origin isolation (COOP/COEP) gives the page SharedArrayBuffer, which wasm-simd's
  // threads need; a host without these headers gets the threaded backend disabled, with why.
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  // Nothing here needs pre-bundling (the workspace packages are ESM sources), and a
  // dependency discovered at run time would make the dev server reload the page mid-run.
  optimizeDeps: { noDiscovery: true, include: [], esbuildOptions: { target: 'es2022' } },
});
