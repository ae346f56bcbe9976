import { defineConfig } from 'vitest/config';

// The default tier: pure and component tests, no root, no kernel. See README "Test tiers".
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/component/**/*.test.ts', 'test/contract/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 20_000,
  },
});
