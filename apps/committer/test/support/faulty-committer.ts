/**
 * The real committer process with one fault injected around its Tables (commit/tables.ts), for failover tests. With
 * TEST_FAULT=before-commit|after-commit, the TEST_FAULT_AT-th Delta commit (1-based) logs `test: paused` and then
 * waits TEST_FAULT_PAUSE_MS before (nothing written yet) or after (written, not acknowledged) the Delta write, so a
 * test can kill -9 the process at exactly that point.
 */
import type { Tables } from '../../src/commit/tables.js';
import { exitOnFailure, runCommitterProcess } from '../../src/process.js';

const fault = process.env.TEST_FAULT;
const at = Number(process.env.TEST_FAULT_AT ?? 1);
const pauseMs = Number(process.env.TEST_FAULT_PAUSE_MS ?? 60_000);
let commits = 0;

const pause = (version: number | undefined) => {
  process.stdout.write(`${JSON.stringify({ msg: 'test: paused', fault, version })}\n`);
  return new Promise((resolve) => setTimeout(resolve, pauseMs));
};

function faulty(inner: Tables): Tables {
  return {
    load: (table, options) => inner.load(table, options),
    schemaAdmission: (snapshot) => inner.schemaAdmission(snapshot),
    forget: () => inner.forget?.(),
    async commit(prepared, signal) {
      const n = ++commits;
      if (fault === 'before-commit' && n === at) await pause(undefined);
      const attempt = await inner.commit(prepared, signal);
      if (fault === 'after-commit' && n === at && attempt.kind === 'committed') await pause(attempt.version);
      return attempt;
    },
  };
}

runCommitterProcess({ wrapTables: faulty }).catch(exitOnFailure);
