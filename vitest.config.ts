import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 300_000,
    pool: 'forks',
    // Server suites share one InfluxDB and one OpenSearch node: one file at a time.
    fileParallelism: false,
  },
});
