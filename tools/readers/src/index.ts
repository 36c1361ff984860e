/**
 * Independent Delta readers for tests: delta-rs (Python `deltalake`) and Spark + Delta, driven from
 * TypeScript. Every result is parsed JSON in the DW value encoding (README.md), so rows from these
 * engines and from our own reader compare with deep equality. Needs `bash tools/readers/setup.sh`.
 */
import { type RunOptions, runScript } from './process.js';
import type { ReadResult, WriteResult, WriteSpec } from './types.js';

export { ReadersNotSetUpError, readersEnv } from './env.js';
export { ReaderError, type RunOptions } from './process.js';
export { canonicalJson, sortRows } from './rows.js';
export { type SparkOptions, type SparkSession, startSpark } from './spark.js';
export type * from './types.js';

export interface ReadOptions extends RunOptions {
  /** Time travel to this table version; default the latest. */
  version?: number;
  /** Only the rows matching this SQL predicate (`SELECT * FROM t WHERE …`): delta-rs skips files by stats. */
  where?: string;
}

/** Reads a table (local path or s3://bucket/prefix) with delta-rs; about half a second for a small table. */
export function readWithDeltaRs(uri: string, opts: ReadOptions = {}): Promise<ReadResult> {
  const args = ['--engine', 'delta-rs', uri];
  if (opts.version !== undefined) args.push('--version', String(opts.version));
  if (opts.where !== undefined) args.push('--where', opts.where);
  return runScript<ReadResult>('read_table.py', args, undefined, opts);
}

/** Creates or changes a table with delta-rs, following a write spec (README.md "Write specs"). */
export function writeWithDeltaRs(uri: string, spec: WriteSpec, opts: RunOptions = {}): Promise<WriteResult> {
  return runScript<WriteResult>(
    'write_table.py',
    ['--engine', 'delta-rs', uri, '--spec', '-'],
    JSON.stringify(spec),
    opts,
  );
}
