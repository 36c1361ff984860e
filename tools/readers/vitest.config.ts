import { mergeConfig } from 'vitest/config';
import { shared } from '../../vitest.shared.js';

// One Spark session per test file, and a Spark session wants both cores: run files one at a time.
export default mergeConfig(shared, {
  test: { fileParallelism: false, testTimeout: 120_000, hookTimeout: 300_000 },
});
