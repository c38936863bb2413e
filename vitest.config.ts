import { defineConfig } from 'vitest/config';
import { TierSequencer } from './test/support/sequencer.js';

// Two tiers: `unit` (pure code, no services: `vitest run --project unit`) and `services` (real
// Postgres, Redis, HTTP and SMTP servers; one migrated template database per run).
export default defineConfig({
  test: {
    pool: 'forks',
    // A busy 2-core machine: generous limits, no timing assertions.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 4,
    restoreMocks: true,
    sequence: { sequencer: TierSequencer },
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'services',
          include: ['test/integration/**/*.test.ts', 'test/faults/**/*.test.ts', 'test/e2e/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/no-leaks.ts'],
        },
      },
    ],
  },
});
