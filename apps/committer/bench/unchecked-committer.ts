/**
 * Bench only: the real committer process with its data-file checks (a HEAD per added file) switched off, so the
 * committer bench can measure, in the same run, what those checks cost. Never a deployment entry point: the real
 * process has no setting that turns them off.
 */
import { exitOnFailure, runCommitterProcess } from '../src/process.js';

const checks = process.env.BENCH_FILE_CHECKS !== 'off';
runCommitterProcess({
  wrapStorageChecks: (c) => (checks ? c : { ...c, verifyFiles: async () => undefined }),
}).catch(exitOnFailure);
