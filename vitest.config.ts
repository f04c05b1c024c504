import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const src = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources, so `npm test` needs no build first.
    alias: {
      // Subpaths first: the first matching entry wins.
      '@tokenward/core/duration': src('./packages/core/src/duration.ts'),
      '@tokenward/core/oauth': src('./packages/core/src/oauth.ts'),
      '@tokenward/core': src('./packages/core/src/index.ts'),
      '@tokenward/store': src('./packages/store/src/index.ts'),
      '@tokenward/server': src('./apps/server/src/app.ts'),
      // Subpaths first: the first matching entry wins.
      '@tokenward/client/fastify': src('./packages/client/src/fastify.ts'),
      '@tokenward/client/express': src('./packages/client/src/express.ts'),
      '@tokenward/client/api': src('./packages/client/src/api.ts'),
      '@tokenward/client': src('./packages/client/src/index.ts'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      // The console: unit and component tests beside the code (DOM ones pick happy-dom per
      // file), and browser tests in real Chromium.
      'apps/console/src/**/*.test.tsx',
      'apps/console/e2e/**/*.test.ts',
      // The SDK, the CLI (runs the built binary) and the examples (run in CI as tests).
      'packages/client/src/**/*.test.ts',
      'apps/cli/test/**/*.test.ts',
      'examples/**/*.test.ts',
      // The bench's options and its judging of the targets (not its measurements).
      'bench/test/**/*.test.ts',
      // Repository-wide checks (the layer rule).
      'test/**/*.test.ts',
    ],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    reporters: ['default'],
    globalSetup: ['./test/global-setup.ts', './apps/console/e2e/global-setup.ts'],
  },
});
