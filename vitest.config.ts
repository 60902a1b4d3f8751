import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { __FLEET_VERSION__: JSON.stringify('0.0.0-test') },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests each run their own private tmux server; two cores keep this modest.
    maxWorkers: 2,
  },
});
