// Shared vitest settings: tests import workspace packages from their TypeScript
// sources (the "@stepwise/source" export condition), so no build is needed to test.
export const preset = {
  resolve: { conditions: ['@stepwise/source'] },
  ssr: { resolve: { conditions: ['@stepwise/source'] } },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
};
