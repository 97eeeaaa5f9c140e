import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The JSON report feeds .ci/run's closing `N passed, N failed` line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
    testTimeout: 120_000,
    // Suite setups start anvil and send real load; on a busy 2-core machine that can take minutes.
    hookTimeout: 300_000,
    // Two cores: anvil-backed suites run beside at most one other file.
    maxWorkers: 2,
    pool: 'forks',
  },
});
