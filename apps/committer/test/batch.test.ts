import { RefusalReason, refuse } from '@delta-writer/proto';
import { describe, expect, it } from 'vitest';
import { commitBatch } from '../src/commit/batch.js';
import type { CommitAttempt, PreparedCommit } from '../src/commit/tables.js';
import { MemoryTables, manifest } from './memory-table.js';

const uri = 's3://lake/delta/shop/orders';
const run = (
  tables: MemoryTables,
  ms: ReturnType<typeof manifest>[],
  signal = new AbortController().signal,
) => commitBatch(ms, { tables, term: 7, signal });

describe('commitBatch', () => {
  it('commits a batch as one version with one txn per partition, and acks with the committed offsets', async () => {
    const tables = new MemoryTables();
    const result = await run(tables, [manifest(0, 0, 9), manifest(0, 10, 19), manifest(1, 0, 4)]);
    expect(result.committedVersion).toBe(0);
    expect(tables.tables.get(uri)?.commits).toMatchObject([
      { version: 0, term: 7, txns: [{ version: 19 }, { version: 4 }] },
    ]);
    expect(
      result.outcomes.map((o) => o.$case === 'ack' && o.value.committedOffsets.map((c) => c.lastOffset)),
    ).toEqual([[19], [19], [4]]);
  });

  it('acknowledges a re-sent manifest as a duplicate without adding its files', async () => {
    const tables = new MemoryTables();
    await run(tables, [manifest(0, 0, 9)]);
    const retry = manifest(0, 0, 9); // same range, new files (the ingestor rewrote them)
    const result = await run(tables, [retry]);
    expect(result.committedVersion).toBeUndefined();
    expect(result.outcomes[0]).toMatchObject({ $case: 'ack', value: { duplicate: true, tableVersion: 0 } });
    expect(tables.files(uri)).toHaveLength(1);
  });

  it('re-plans after losing to a concurrent writer that committed the same ranges: no double commit', async () => {
    const tables = new MemoryTables();
    const mine = manifest(0, 0, 9);
    // Another leader commits the same range between our snapshot and our commit.
    let raced = false;
    tables.beforeCommit = async () => {
      if (raced) return;
      raced = true;
      tables.beforeCommit = undefined;
      await run(tables, [manifest(0, 0, 9)]);
    };
    const result = await run(tables, [mine]);
    expect(result.conflicts).toBe(1);
    expect(result.outcomes[0]).toMatchObject({ $case: 'ack', value: { duplicate: true } });
    expect(tables.tables.get(uri)?.commits).toHaveLength(1);
  });

  it('refuses gaps, overlaps, schema and partitioning problems per manifest and commits the rest', async () => {
    const tables = new MemoryTables();
    await run(tables, [manifest(0, 0, 9)]);
    const result = await run(tables, [
      manifest(0, 12, 19),
      manifest(0, 5, 14),
      manifest(1, 0, 9, { deltaSchemaJson: '{"type":"struct","fields":[],"incompatible":1}' }),
      manifest(2, 0, 9, { partitionColumns: ['day'] }),
      manifest(0, 10, 19),
    ]);
    const reasons = result.outcomes.map((o) =>
      o.$case === 'refusal' ? RefusalReason[o.value.reason] : 'ack',
    );
    expect(reasons).toEqual([
      'OFFSET_GAP',
      'OFFSET_OVERLAP',
      'SCHEMA_INCOMPATIBLE',
      'PARTITIONING_MISMATCH',
      'ack',
    ]);
    // Refusals state the offsets as of the answer, i.e. including this batch's commit (10..19).
    const gap = result.outcomes[0];
    expect(gap?.$case === 'refusal' && gap.value.committedOffsets).toEqual([
      { consumerGroup: 'dw', topic: 'mongodb.shop.orders', partition: 0, lastOffset: 19 },
    ]);
    expect(result.committedVersion).toBe(1);
  });

  it('stops before writing when leadership is lost', async () => {
    const tables = new MemoryTables();
    const controller = new AbortController();
    tables.beforeCommit = () => controller.abort(new Error('leadership lost'));
    await expect(run(tables, [manifest(0, 0, 9)], controller.signal)).rejects.toThrow('leadership lost');
    expect(tables.tables.size).toBe(0);
  });

  it('answers the manifests an attempt refused with their refusals and commits the others in the next attempt', async () => {
    const stale = manifest(1, 0, 4);
    const attempts: number[] = [];
    const tables = new (class extends MemoryTables {
      override async commit(prepared: PreparedCommit, signal: AbortSignal): Promise<CommitAttempt> {
        attempts.push(prepared.manifests.length);
        if (prepared.manifests.includes(stale)) {
          return {
            kind: 'refused',
            refusals: new Map([[stale, refuse.mirrorStaleBase('key 7: stale base')]]),
          };
        }
        return super.commit(prepared, signal);
      }
    })();
    const result = await run(tables, [manifest(0, 0, 9), stale, manifest(2, 0, 3)]);
    expect(attempts).toEqual([3, 2]);
    expect(
      result.outcomes.map((o) => (o.$case === 'refusal' ? RefusalReason[o.value.reason] : 'ack')),
    ).toEqual(['ack', 'MIRROR_STALE_BASE', 'ack']);
    expect(result).toMatchObject({ committedVersion: 0, conflicts: 0 });
    expect(tables.tables.get(uri)?.commits[0]?.txns.map((t) => t.version)).toEqual([9, 3]);
  });

  it('refuses every manifest INVALID_REQUEST when the table may not be created where it was asked for', async () => {
    const tables = new (class extends MemoryTables {
      override async commit(): Promise<CommitAttempt> {
        return { kind: 'misplaced', problem: 'a table already exists at s3://lake/delta/shop' };
      }
    })();
    const result = await run(tables, [manifest(0, 0, 9), manifest(1, 0, 9)]);
    expect(result.outcomes).toEqual(
      [0, 1].map(() => ({
        $case: 'refusal',
        value: expect.objectContaining({
          reason: RefusalReason.INVALID_REQUEST,
          message: 'table.table_uri: a table already exists at s3://lake/delta/shop',
        }),
      })),
    );
    expect(result.committedVersion).toBeUndefined();
  });

  it('answers RETRY_LATER when the table keeps changing', async () => {
    const tables = new MemoryTables();
    const other = manifest(9, 0, 0);
    let rivalCommits = 0;
    // Before each of our attempts, another writer commits an empty version.
    const rival = async () => {
      tables.beforeCommit = undefined;
      const snapshot = await tables.load(other.table as never);
      await tables.commit(
        {
          table: other.table as never,
          snapshot,
          manifests: [],
          txns: [],
          schemaJson: '',
          schemaChanged: false,
          partitionColumns: [],
          term: 1,
        },
        new AbortController().signal,
      );
      rivalCommits++;
      tables.beforeCommit = rival;
    };
    tables.beforeCommit = rival;
    const result = await run(tables, [manifest(0, 0, 9)]);
    expect(result.outcomes[0]).toMatchObject({
      $case: 'refusal',
      value: { reason: RefusalReason.RETRY_LATER },
    });
    expect(result.conflicts).toBe(rivalCommits);
  });
});
