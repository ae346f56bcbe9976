import { defineConfig } from 'vitest/config';

// Root tier: real veth, bridges and namespaces on the host kernel. Run with `npm run test:netns`.
export default defineConfig({
  test: {
    include: ['test/netns/**/*.test.ts'],
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
