/**
 * Follows tables' Delta logs while a test runs: new commits are listed and read as they land (only the new JSON
 * files), so the test knows each partition's committed offset (its txn version) and when it got there — to wait
 * until everything produced is in, and to time how long the pipeline took to recover from a fault.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { eventually } from './wait.js';

export function txnAppId(group: string, topic: string, partition: number): string {
  return `dw1/${encodeURIComponent(group)}/${encodeURIComponent(topic)}/${partition}`;
}

export class TableWatcher {
  version = -1;
  readonly txns = new Map<string, bigint>();
  /** When this watcher first saw each txn reach each version: appId → [[version, ms]]. */
  readonly history = new Map<string, [bigint, number][]>();

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    readonly path: string,
  ) {}

  private polling: Promise<void> | undefined;

  /** Reads the commits that landed since the last poll (concurrent callers share one poll). */
  poll(): Promise<void> {
    this.polling ??= this.readNew().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  private async readNew(): Promise<void> {
    const prefix = `${this.path}/_delta_log/`;
    const startAfter =
      this.version < 0 ? undefined : `${prefix}${String(this.version).padStart(20, '0')}.json`;
    let token: string | undefined;
    const versions: number[] = [];
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          StartAfter: startAfter,
          ContinuationToken: token,
        }),
      );
      for (const o of page.Contents ?? []) {
        const name = o.Key?.slice(prefix.length) ?? '';
        if (/^\d{20}\.json$/.test(name)) versions.push(Number(name.slice(0, 20)));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    for (const v of versions.sort((a, b) => a - b)) {
      if (v !== this.version + 1) break; // a gap is a listing race; the next poll fills it
      const out = await this.s3.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: `${prefix}${String(v).padStart(20, '0')}.json` }),
      );
      const text = (await out.Body?.transformToString()) ?? '';
      const now = Date.now();
      for (const line of text.split('\n')) {
        if (!line.includes('"txn"')) continue;
        const txn = (JSON.parse(line) as { txn?: { appId: string; version: number } }).txn;
        if (!txn) continue;
        const version = BigInt(txn.version);
        this.txns.set(txn.appId, version);
        const h = this.history.get(txn.appId) ?? [];
        h.push([version, now]);
        this.history.set(txn.appId, h);
      }
      this.version = v;
    }
  }

  /** When the txn of `appId` first reached `offset` (as seen by this watcher), if it has. */
  reachedAt(appId: string, offset: bigint): number | undefined {
    return this.history.get(appId)?.find(([v]) => v >= offset)?.[1];
  }
}

/** Target committed offsets: table path → appId → last offset that must be in. */
export type OffsetTargets = Map<string, Map<string, bigint>>;

/** Polls the watchers until every target offset is committed; returns the time it happened. */
export async function waitForOffsets(
  watchers: Map<string, TableWatcher>,
  targets: OffsetTargets,
  { timeoutMs = 180_000, diagnose }: { timeoutMs?: number; diagnose?: () => string } = {},
): Promise<number> {
  return eventually(
    'every produced offset to be committed',
    async () => {
      const behind: string[] = [];
      for (const [path, want] of targets) {
        const w = watchers.get(path);
        if (!w) throw new Error(`no watcher for ${path}`);
        await w.poll();
        for (const [appId, offset] of want) {
          const have = w.txns.get(appId);
          if (have === undefined || have < offset) behind.push(`${appId} at ${have ?? 'none'} < ${offset}`);
        }
      }
      if (behind.length > 0)
        throw new Error(`${behind.length} partitions behind, e.g. ${behind.slice(0, 3).join('; ')}`);
      return Date.now();
    },
    { timeoutMs, intervalMs: 500 },
  ).catch((err: Error) => {
    throw diagnose ? new Error(`${err.message}\n${diagnose()}`) : err;
  });
}
