import type { TableStateOutcome } from '@delta-writer/proto';
import { describe, expect, it } from 'vitest';
import type { BuildRequest, FileBuilder } from '../../src/pipeline/builder.js';
import { conformToTable } from '../../src/pipeline/conform.js';
import type { ReadyBatch } from '../../src/pipeline/manifest.js';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import { SchemaCache } from '../../src/pipeline/schema-cache.js';
import type { SealedBatch, Target } from '../../src/pipeline/types.js';

const route = { routingKey: 'db.c', tablePath: 'delta/db/c', tableUri: 's3://b/delta/db/c' };
const target: Target = { key: route.tableUri, kind: 'changelog', route };
const other: Target = {
  key: 's3://b/delta/db/c_mirror',
  kind: 'mirror',
  route: { ...route, tableUri: 's3://b/delta/db/c_mirror' },
};

function sealed(): SealedBatch {
  const range = { first: 0n, last: 1n };
  return {
    topic: 't',
    partition: 0,
    route,
    epoch: 1,
    range,
    records: sealedRecordsOf(
      [0n, 1n].map((offset) => ({
        offset,
        timestampMs: 0,
        key: null,
        value: Buffer.from('{}'),
        headers: {},
        bytes: 2,
      })),
    ),
    rejected: [
      {
        record: { offset: 9n, timestampMs: 0, key: null, value: null, headers: {}, bytes: 0 },
        reason: 'too_large',
        message: 'x',
      },
    ],
    bytes: 4,
    sealedAt: 0,
    targets: [
      { target, range, fromIndex: 0 },
      { target: other, range, fromIndex: 0 },
    ],
  };
}

function built(batch: SealedBatch, builtAgainst: string): ReadyBatch {
  const file = {
    path: 'old.parquet',
    sizeBytes: 1,
    recordCount: 2,
    partitionValues: [],
    statsJson: '',
    modificationTimeMs: 0,
  };
  return { batch, target, range: batch.range, files: [file], deltaSchemaJson: 'long', builtAgainst };
}

function setup(state: TableStateOutcome) {
  const requests: BuildRequest[] = [];
  const deadLettered: unknown[] = [];
  const builder: FileBuilder = {
    async build(request) {
      requests.push(request);
      return {
        outputs: request.outputs.map((o) => ({
          kind: o.kind,
          deltaSchemaJson: o.tableSchemaJson ?? 'long',
          files: [{ parquet: new Uint8Array(3), statsJson: '{}', numRecords: 2, partitionValues: {} }],
        })),
        failures: [{ index: 0, reason: 'invalid_json', message: 'bad' }],
      };
    },
    close: async () => {},
  };
  const schemas = new SchemaCache(60_000, Date.now);
  const deps = {
    consumerGroup: 'g',
    committer: { getTableState: async () => state },
    schemas,
    flush: {
      builder,
      uploader: { put: async () => {} },
      deadLetters: { send: async (_: unknown, rs: readonly unknown[]) => void deadLettered.push(...rs) },
      partitionBy: [],
      compression: 'zstd' as const,
    },
  };
  return { deps, requests, deadLettered, schemas };
}

const exists = (schema: string): TableStateOutcome => ({
  $case: 'state',
  value: {
    exists: true,
    tableVersion: 3,
    deltaSchemaJson: schema,
    partitionColumns: [],
    committedOffsets: [],
    statsConfiguration: {},
  },
});

describe('conformToTable', () => {
  it('builds stale batches again against the table schema, for their own table only, without new dead letters', async () => {
    const s = setup(exists('double'));
    const batch = sealed();
    const again = await conformToTable([built(batch, '')], s.deps, new AbortController().signal);
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.outputs).toEqual([{ kind: 'changelog', fromIndex: 0, tableSchemaJson: 'double' }]);
    expect(again?.[0]).toMatchObject({
      deltaSchemaJson: 'double',
      builtAgainst: 'double',
      range: batch.range,
    });
    expect(again?.[0]?.batch).toBe(batch); // the owner tracks batches by identity
    expect(again?.[0]?.files[0]?.path).not.toBe('old.parquet');
    expect(s.deadLettered).toEqual([]); // the first build sent them already
    expect(s.schemas.get(route.tableUri)).toBe('double');
  });

  it('gives up (undefined) when the files already follow the table schema or the table does not exist', async () => {
    const current = setup(exists('double'));
    expect(
      await conformToTable([built(sealed(), 'double')], current.deps, new AbortController().signal),
    ).toBeUndefined();
    const none = setup({
      $case: 'state',
      value: {
        exists: false,
        tableVersion: -1,
        deltaSchemaJson: '',
        partitionColumns: [],
        committedOffsets: [],
        statsConfiguration: {},
      },
    });
    expect(
      await conformToTable([built(sealed(), '')], none.deps, new AbortController().signal),
    ).toBeUndefined();
    expect([...current.requests, ...none.requests]).toEqual([]);
  });
});
