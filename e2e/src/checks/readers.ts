/**
 * The independent readers every content assertion goes through: delta-rs (Python `deltalake`) and Spark + Delta
 * (tools/readers). A table is read by delta-rs, then by Spark at the same version; both must return the same rows,
 * which are then what the checks look at. One Spark session per test file, started early because it takes
 * 30–60 s on two busy cores, and awaited only when the first table is read. A caller that knows the version to
 * read (it checked the log) has both engines read at once; the time each engine took is summed in `spentMs`.
 */
import {
  type EncodedRow,
  type ReadResult,
  readWithDeltaRs,
  type SparkSession,
  startSpark,
} from '@delta-writer/test-readers';
import type { Endpoints } from '../harness/services.js';

export interface TableRead {
  version: number;
  rows: EncodedRow[];
  /** Set when the engines disagree: what differs. */
  disagreement: string | undefined;
}

export class Readers {
  private spark: Promise<SparkSession> | undefined;

  constructor(private readonly endpoints: Endpoints) {}

  /** The environment both engines read S3 with (the stack's variable names, tools/readers/README.md). */
  private get env(): NodeJS.ProcessEnv {
    const { s3 } = this.endpoints;
    return {
      DW_S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      AWS_REGION: s3.region,
    };
  }

  /** Starts the file's Spark session in the background; reads wait for it. */
  startSpark(): void {
    this.spark ??= startSpark({ env: this.env, startTimeoutMs: 400_000 });
    this.spark.catch(() => undefined); // surfaced by the read that awaits it
  }

  /** Milliseconds spent waiting on each engine (a Spark read includes its wait in the session's queue). */
  readonly spentMs = { deltaRs: 0, spark: 0 };

  /**
   * The table at `version` (default: the latest delta-rs sees, which Spark then reads too), by both engines —
   * at the same time when the version is given.
   */
  async read(uri: string, { version }: { version?: number } = {}): Promise<TableRead> {
    this.startSpark();
    const byDeltaRs = this.timed('deltaRs', () =>
      readWithDeltaRs(uri, { env: this.env, timeoutMs: 300_000, ...(version !== undefined && { version }) }),
    );
    const bySpark = (at: number) =>
      this.timed('spark', async () =>
        (await (this.spark as Promise<SparkSession>)).read(uri, { version: at }),
      );
    if (version === undefined) {
      const rs = await byDeltaRs;
      const sp = await bySpark(rs.version);
      return { version: rs.version, rows: rs.rows, disagreement: disagreement(rs, sp) };
    }
    const sp = bySpark(version);
    sp.catch(() => undefined); // awaited below, after delta-rs; a failure surfaces there
    const rs = await byDeltaRs;
    return { version: rs.version, rows: rs.rows, disagreement: disagreement(rs, await sp) };
  }

  private async timed<T>(engine: keyof Readers['spentMs'], read: () => Promise<T>): Promise<T> {
    const t0 = Date.now();
    try {
      return await read();
    } finally {
      this.spentMs[engine] += Date.now() - t0;
    }
  }

  async close(): Promise<void> {
    const spark = await this.spark?.catch(() => undefined);
    await spark?.close();
  }
}

function disagreement(rs: ReadResult, sp: ReadResult): string | undefined {
  if (rs.numRows !== sp.numRows) return `delta-rs read ${rs.numRows} rows, Spark ${sp.numRows}`;
  // field metadata differs between engines (tools/readers/README.md): compare names and types only
  const names = (r: ReadResult) => JSON.stringify(r.schema, (k, v) => (k === 'metadata' ? undefined : v));
  if (names(rs) !== names(sp)) return `schemas differ: delta-rs ${names(rs)} / Spark ${names(sp)}`;
  for (let i = 0; i < rs.rows.length; i++) {
    const a = JSON.stringify(rs.rows[i]);
    const b = JSON.stringify(sp.rows[i]);
    if (a !== b) return `row ${i} differs: delta-rs ${a.slice(0, 300)} / Spark ${b.slice(0, 300)}`;
  }
  return undefined;
}
