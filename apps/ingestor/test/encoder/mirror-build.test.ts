/**
 * Mirror outputs of the worker builder (real encoder threads, real bson-arrow): one row per key in its final state,
 * deletes as key-only rows, the row block matching each file's rows, both outputs from one decode, and partial
 * updates applied when the batch holds their base — refused with the Debezium setting to change when it does not.
 */

import { decodeMirrorRows } from '@delta-writer/proto/mirror';
import { type Table, tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { createEncoderPool } from '../../src/encoder/pool.js';
import { createWorkerBuilder } from '../../src/encoder/worker-builder.js';
import type { BuildOutputRequest, BuiltFile } from '../../src/pipeline/builder.js';
import { sealedRecordsOf } from '../../src/pipeline/records.js';
import type { BufferedRecord } from '../../src/pipeline/types.js';
import { mongoRecord, orderDocument, orderId } from '../support/mongo-events.js';

const pool = createEncoderPool({ threads: 1 });
const builder = createWorkerBuilder({ pool, maxRecordBytes: 1 << 20 });
afterAll(() => builder.close());

type Spec = Parameters<typeof mongoRecord>[1] & { key: number };

/** Record `i` of the batch is an event about document `key` at sequence `i` (offset = i). */
function records(specs: Spec[]): BufferedRecord[] {
  return specs.map(({ key, ...options }, i) => {
    const doc = options.doc ?? orderDocument(key);
    const r = mongoRecord(i, { ...options, doc });
    return {
      offset: BigInt(i),
      timestampMs: 1_700_000_000_000 + i,
      key: Buffer.from(r.key),
      value: Buffer.from(r.value),
      headers: {},
      bytes: r.key.length + r.value.length,
    };
  });
}

function withN(key: number, n: number) {
  const d = orderDocument(key);
  d.set('n', n);
  return d;
}

const table = (f: BuiltFile | undefined): Table =>
  tableFromIPC(readParquet(f?.parquet as Uint8Array).intoIPCStream());
const keyOf = (k: number) => JSON.stringify({ $oid: orderId(k).hex });

async function build(
  recs: BufferedRecord[],
  outputs: BuildOutputRequest[],
  partialUpdates: 'skip' | 'apply' = 'skip',
  partitionBy: string[] = [],
) {
  return builder.build({
    topic: 'db.shop.orders',
    partition: 0,
    records: sealedRecordsOf(recs),
    partitionBy,
    compression: 'zstd',
    outputs,
    partialUpdates,
  });
}

describe('mirror outputs', () => {
  it('writes one row per key in its final state, deletes as key-only rows, and the row block of the file', async () => {
    const recs = records([
      { key: 1, doc: withN(1, 10) },
      { key: 2, doc: withN(2, 20) },
      { key: 1, op: 'u', doc: withN(1, 11) },
      { key: 2, op: 'd' },
      { key: 3, doc: withN(3, 30) },
      {
        key: 3,
        op: 'u',
        noAfter: true,
        patch: { set: new Map([['n', 31]]), unset: [], truncatedArrays: [] },
      },
    ]);
    const result = await build(recs, [{ kind: 'mirror', fromIndex: 0 }]);
    const [out] = result.outputs;
    expect(result.failures).toEqual([]);
    expect(out?.unsafe).toBeUndefined();
    expect(out?.mirror).toEqual({ duplicates: 0, folded: 3, skipped: 1 });
    expect(out?.files).toHaveLength(1);
    const t = table(out?.files[0]);
    expect(t.getChild('_cdc_key')?.toArray()).toEqual([keyOf(1), keyOf(2), keyOf(3)]);
    expect(t.getChild('_cdc_op')?.toArray()).toEqual(['u', 'd', 'c']);
    // Iterate the vector (toArray() returns the raw values, nulls included as whatever the slot holds).
    expect([...(t.getChild('n') ?? [])].map((v) => (v === null ? null : Number(v)))).toEqual([11, null, 30]);
    expect(t.getChild('_kafka_offset')?.toArray()).toEqual(BigInt64Array.from([2n, 3n, 4n]));
    const block = decodeMirrorRows(out?.files[0]?.mirrorRows as Uint8Array);
    expect(block.map((r) => [r.key, r.op, r.version.offset])).toEqual([
      [keyOf(1), 'upsert', 2],
      [keyOf(2), 'delete', 3],
      [keyOf(3), 'upsert', 4],
    ]);
    expect(block[0]?.version.seq).toMatch(/^\d+(\.\d+)*$/);
  });

  it('builds the mirror and the changelog from one decode, each from where its table starts', async () => {
    const recs = records([{ key: 1 }, { key: 2 }, { key: 1, op: 'd' }, { key: 4 }]);
    const result = await build(recs, [
      { kind: 'mirror', fromIndex: 0 },
      { kind: 'changelog', fromIndex: 2 },
    ]);
    const [mirror, changelog] = result.outputs;
    expect(table(mirror?.files[0]).numRows).toBe(3);
    expect(table(changelog?.files[0]).getChild('_kafka_offset')?.toArray()).toEqual(
      BigInt64Array.from([2n, 3n]),
    );
    expect(changelog?.files[0]?.mirrorRows).toBeUndefined();
  });

  it('keeps each partition file and its row block in step', async () => {
    const recs = records([0, 1, 2, 3, 4, 5].map((k) => ({ key: k })));
    const result = await build(recs, [{ kind: 'mirror', fromIndex: 0 }], 'skip', ['status']);
    const files = result.outputs[0]?.files ?? [];
    expect(files.length).toBeGreaterThan(1);
    for (const f of files) {
      const keys = table(f).getChild('_cdc_key')?.toArray();
      expect(decodeMirrorRows(f.mirrorRows as Uint8Array).map((r) => r.key)).toEqual([...(keys ?? [])]);
    }
  });

  it('applies partial updates onto a document or pre-image of the batch, and refuses one without a base', async () => {
    const set = (n: number) => ({ set: new Map([['n', n]]), unset: [], truncatedArrays: [] });
    const applied = await build(
      records([
        { key: 1, doc: withN(1, 1) },
        { key: 1, op: 'u', noAfter: true, patch: set(2) },
        { key: 2, op: 'u', noAfter: true, patch: set(7), before: withN(2, 6) },
      ]),
      [{ kind: 'mirror', fromIndex: 0 }],
      'apply',
    );
    const out = applied.outputs[0];
    expect(out?.unsafe).toBeUndefined();
    const t = table(out?.files[0]);
    expect([...(t.getChild('n')?.toArray() ?? [])].map(Number)).toEqual([2, 7]);
    const block = decodeMirrorRows(out?.files[0]?.mirrorRows as Uint8Array);
    expect(block[0]?.from?.offset).toBe(0); // patched onto the batch's document at offset 0
    expect(block[1]?.from).toBeUndefined(); // the pre-image is exact

    const refused = await build(
      records([
        { key: 1, doc: withN(1, 1) },
        { key: 5, op: 'u', noAfter: true, patch: set(2) },
      ]),
      [
        { kind: 'mirror', fromIndex: 0 },
        { kind: 'changelog', fromIndex: 0 },
      ],
      'apply',
    );
    expect(refused.outputs[0]?.files).toEqual([]);
    expect(refused.outputs[0]?.unsafe).toMatch(
      new RegExp(`key ${keyOf(5).replace(/[{}$]/g, '\\$&')}.*capture\\.mode`),
    );
    expect(refused.outputs[1]?.files).toHaveLength(1); // the changelog does not need a base
  });
});
