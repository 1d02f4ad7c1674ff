import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

/**
 * The load and fault suites: minutes of many clients at once, and timing bounds to check. They
 * run after the other suites, one file at a time, so that they neither slow the others down
 * nor are slowed by them.
 */
const LOAD_SUITES = ['test/soak.e2e-spec.ts', 'test/faults.e2e-spec.ts', 'test/slow-database.e2e-spec.ts'];

// SWC compiles the TypeScript the way tsc does for the build: legacy decorators with
// emitted metadata, which Nest's DI and TypeORM's entities read.
export default defineConfig({
  plugins: [
    swc.vite({
      jsc: {
        target: 'es2022',
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      },
    }),
  ],
  resolve: {
    // The examples import the package by its name: in this repository, its sources.
    alias: [
      { find: /^nestjs-user-sessions\/testing$/, replacement: fileURLToPath(new URL('lib/testing/index.ts', import.meta.url)) },
      { find: /^nestjs-user-sessions$/, replacement: fileURLToPath(new URL('lib/index.ts', import.meta.url)) },
    ],
  },
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'suites',
          include: ['lib/**/*.spec.ts', 'sample-app/**/*.spec.ts', 'test/**/*.e2e-spec.ts'],
          exclude: LOAD_SUITES,
        },
      },
      {
        extends: true,
        test: {
          name: 'load',
          include: LOAD_SUITES,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
          benchmark: { include: [] },
        },
      },
    ],
  },
});
