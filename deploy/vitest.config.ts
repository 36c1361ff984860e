import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.js';

/** The deploy checks that need no tools beyond Node (run by deploy/check.sh; the Go suite covers the rest). */
export default mergeConfig(shared, { root: fileURLToPath(new URL('.', import.meta.url)) });
