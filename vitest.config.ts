import { defineConfig } from 'vitest/config';

/** The test that starts three server processes and their load: it runs alone, after the rest. */
const REPLICAS = 'tests/replicas.postgres.test.ts';

export default defineConfig({
  test: {
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores here: the crash and browser tests start processes of their own.
    maxWorkers: 2,
    // The replica test keeps both cores busy for minutes (three servers, PostgreSQL, six load
    // generators); beside it the CPU-bound tests (the 10,000-request fuzzing) ran past their
    // timeouts. So it has its own group, started when the others are done.
    projects: [
      { extends: true, test: { name: 'suite', include: ['tests/**/*.test.ts'], exclude: [REPLICAS], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'replicas', include: [REPLICAS], sequence: { groupOrder: 1 } } },
    ],
  },
});
