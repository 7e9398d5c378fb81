import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages are read from their TypeScript sources (the `@stepwise/source`
// export condition), so the page runs without building the packages first. The
// backends' register modules use top-level await, hence the es2022 target.
export default defineConfig({
  resolve: { conditions: ['@stepwise/source', ...defaultClientConditions] },
  build: { target: 'es2022' },
  esbuild: { target: 'es2022' },
  // Nothing here needs pre-bundling (the workspace packages are ESM sources), and a
  // dependency discovered at run time would make the dev server reload the page mid-run.
  optimizeDeps: { noDiscovery: true, include: [], esbuildOptions: { target: 'es2022' } },
});
