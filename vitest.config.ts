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
    // Files spend much of their time waiting on the processes and servers they start: five at
    // once keep the two cores busy (a fresh clone's run, measured back to back: 149 s with 4, 129 s with 5).
    maxWorkers: 5,
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
