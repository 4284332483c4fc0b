import { defineConfig } from 'vitest/config';

// Four projects: the browser apps' components (web/), the pure core (milliseconds, no database); everything that needs a database or a server,
// which runs once per dialect through test/support/dialects.ts; and the browser suite (test/e2e).
export default defineConfig({
  test: {
    projects: [
      // The browser apps' component tests (jsdom), configured beside them.
      'web/vitest.config.ts',
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        // Real browser against a real `trouw serve` (test/e2e/support): slow, so its own project, run last.
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.test.ts'],
          // Builds dist/web when it is missing or older than web/src.
          globalSetup: ['test/e2e/support/build-web.ts'],
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
