import { mergeConfig } from 'vitest/config';
import { shared } from '../vitest.shared.js';

// Only the pure pieces (percentiles, report formatting) are tested: the runs themselves need the stack.
export default mergeConfig(shared, {});
