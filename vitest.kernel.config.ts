import { defineConfig } from 'vitest/config';

// Guest-kernel tier: real IPVS inside a user-mode-linux guest, driven from the host.
// Run with `npm run test:kernel` (root). One guest per test file and one file at a time:
// the machine has few cores and each guest is a whole kernel. Boots take seconds.
export default defineConfig({
  test: {
    include: ['test/kernel/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
