import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration suites share one Temporal server, Postgres cluster and S3: run files one at a time.
    fileParallelism: false,
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/browser/**/*.test.ts'],
          setupFiles: ['test/setup.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
