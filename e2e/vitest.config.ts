import { mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.js';

export default mergeConfig(shared, {
  test: {
    // Spark (one session per file) and the service processes want both cores: one file at a time
    fileParallelism: false,
    globalSetup: ['./src/results/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 600_000,
  },
});
