import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PartitionBuffer } from '../../src/pipeline/partition-buffer.js';
import type { BufferedRecord } from '../../src/pipeline/types.js';

const route = { routingKey: 'db.c', tablePath: 'delta/db/c', tableUri: 's3://b/delta/db/c' };
const rec = (offset: number, bytes = 10): BufferedRecord => ({
  offset: BigInt(offset),
  timestampMs: 0,
  key: null,
  value: Buffer.alloc(bytes),
  headers: {},
  bytes,
});
const thresholds = { maxBytes: 100, maxRows: 5, maxAgeMs: 1000 };
/** Appends a record object the way the ingestor appends a fetched message. */
const add = (
  b: PartitionBuffer,
  r: BufferedRecord,
  now: number,
  rejection?: { reason: string; message: string },
) => b.append(r, r.offset, r.timestampMs, r.bytes, now, rejection);

describe('PartitionBuffer', () => {
  it('starts its first range at the committed position, even past holes', () => {
    const b = new PartitionBuffer('t', 0, route, 1, { offset: 10n });
    add(b, rec(12), 0); // 10 and 11 were transaction markers
    add(b, rec(13), 0);
    const batch = b.seal(5);
    expect(batch?.range).toEqual({ first: 10n, last: 13n });
    expect([...(batch?.records.offsets ?? [])]).toEqual([12n, 13n]);
    expect(b.position).toBe(14n);
  });

  it('starts at the first record when the table has no position', () => {
    const b = new PartitionBuffer('t', 0, route, 1);
    expect(b.position).toBeUndefined();
    add(b, rec(7), 0);
    expect(b.seal(0)?.range).toEqual({ first: 7n, last: 7n });
  });

  it('drops records below its position (refetch after a retry)', () => {
    const b = new PartitionBuffer('t', 0, route, 1, { offset: 5n });
    expect(add(b, rec(4), 0)).toBe('duplicate');
    expect(add(b, rec(5), 0)).toBe('appended');
    expect(add(b, rec(5), 0)).toBe('duplicate');
    expect(b.size.rows).toBe(1);
  });

  it('keeps rejected records in the range but out of the records to write', () => {
    const b = new PartitionBuffer('t', 0, route, 1, { offset: 0n });
    add(b, rec(0), 0);
    add(b, rec(1, 50), 0, { reason: 'too_large', message: 'x' });
    const batch = b.seal(0);
    expect(batch?.records.count).toBe(1);
    expect(batch?.rejected.map((r) => [r.record.offset, r.reason])).toEqual([[1n, 'too_large']]);
    expect(batch?.range).toEqual({ first: 0n, last: 1n });
    expect(batch?.bytes).toBe(60);
  });

  it('is due by bytes, rows or age', () => {
    const b = new PartitionBuffer('t', 0, route, 1);
    expect(b.due(0, thresholds)).toBeUndefined();
    add(b, rec(0), 100);
    expect(b.due(1099, thresholds)).toBeUndefined();
    expect(b.due(1100, thresholds)).toBe('age');
    for (let i = 1; i < 5; i++) add(b, rec(i), 100);
    expect(b.due(100, thresholds)).toBe('rows');
    const big = new PartitionBuffer('t', 0, route, 1);
    add(big, rec(0, 100), 0);
    expect(big.due(0, thresholds)).toBe('bytes');
  });

  it('is due by backlog only while more records wait in Kafka', () => {
    const t = { ...thresholds, backlogBytes: 30 };
    const b = new PartitionBuffer('t', 0, route, 1);
    add(b, rec(0), 0);
    add(b, rec(1), 0);
    expect(b.due(0, t, 100n)).toBeUndefined(); // 20 bytes
    add(b, rec(2), 0);
    expect(b.due(0, t, 100n)).toBe('backlog');
    expect(b.due(0, t, 3n)).toBeUndefined(); // caught up: 2 is the last record
    expect(b.due(0, t)).toBeUndefined(); // end offset unknown
    expect(b.due(0, { ...t, backlogBytes: 0 }, 100n)).toBeUndefined(); // off
    expect(b.due(1000, t, 3n)).toBe('age');
  });

  it('is full before a record that would carry a catching-up buffer past the backlog size', () => {
    const t = { ...thresholds, backlogBytes: 30 };
    const b = new PartitionBuffer('t', 0, route, 1);
    expect(b.fullBeforeAppend(40, 0n, t, 100n)).toBe(false); // empty: a record larger than the size goes alone
    add(b, rec(0, 20), 0);
    expect(b.fullBeforeAppend(10, 1n, t, 100n)).toBe(false); // exactly 30
    expect(b.fullBeforeAppend(11, 1n, t, 100n)).toBe(true);
    expect(b.fullBeforeAppend(11, 1n, t, 2n)).toBe(false); // offset 1 is the last one: caught up
    expect(b.fullBeforeAppend(11, 1n, t)).toBe(false); // end offset unknown
    expect(b.fullBeforeAppend(11, 1n, { ...t, backlogBytes: 0 }, 100n)).toBe(false); // off
  });

  it('seals backlog batches no larger than the backlog size unless one record is (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 50 }), { maxLength: 60 }),
        fc.integer({ min: 1, max: 80 }),
        (sizes, limit) => {
          const t = { maxBytes: 1 << 30, maxRows: 1 << 30, maxAgeMs: 1 << 30, backlogBytes: limit };
          const end = BigInt(sizes.length + 1); // one more record waits in Kafka: always behind
          const b = new PartitionBuffer('t', 0, route, 1);
          const batches: number[][] = [];
          const seal = () => {
            const batch = b.seal(0);
            if (batch)
              batches.push(
                Array.from(
                  { length: batch.records.count },
                  (_, k) => batch.records.record(k).value?.length ?? 0,
                ),
              );
          };
          sizes.forEach((size, i) => {
            if (b.fullBeforeAppend(size, BigInt(i), t, end)) seal();
            add(b, rec(i, size), 0);
            if (b.due(0, t, end) === 'backlog') seal();
          });
          seal();
          expect(batches.flat()).toEqual(sizes);
          for (const batch of batches) {
            const total = batch.reduce((n, x) => n + x, 0);
            expect(total <= limit || batch.length === 1).toBe(true);
          }
        },
      ),
    );
  });

  it('carries the gap acknowledgement into the first range only', () => {
    const b = new PartitionBuffer('t', 0, route, 1, { offset: 100n, gapAcknowledged: true });
    add(b, rec(100), 0);
    expect(b.seal(0)?.range.gapAcknowledged).toBe(true);
    add(b, rec(101), 0);
    expect(b.seal(0)?.range.gapAcknowledged).toBeUndefined();
  });

  it('seals contiguous ranges that cover every appended offset exactly once (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(1000),
        fc.array(fc.record({ gap: fc.nat(3), sealAfter: fc.boolean() }), { minLength: 1, maxLength: 60 }),
        (start, steps) => {
          const b = new PartitionBuffer('t', 0, route, 1, { offset: BigInt(start) });
          const ranges: { first: bigint; last: bigint }[] = [];
          let offset = start;
          for (const s of steps) {
            offset += s.gap;
            add(b, rec(offset), 0);
            offset += 1;
            if (s.sealAfter) ranges.push((b.seal(0) as { range: { first: bigint; last: bigint } }).range);
          }
          const tail = b.seal(0);
          if (tail) ranges.push(tail.range);
          expect(ranges[0]?.first).toBe(BigInt(start));
          for (let i = 1; i < ranges.length; i++) {
            expect(ranges[i]?.first).toBe((ranges[i - 1]?.last as bigint) + 1n);
          }
          expect(ranges.at(-1)?.last).toBe(BigInt(offset - 1));
        },
      ),
    );
  });
});
