import { defineConfig } from 'vitest/config';

// Unit tests sit next to the code (src/**/*.test.ts); tests against real peers (moto, registry, git,
// PostgreSQL, age, Chromium) live in test/. Two cores: peers are processes, so keep workers few.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
