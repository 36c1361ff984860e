import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunkOf, unpackRecord } from '../../src/encoder/slab.js';
import { chunkRecords } from '../../src/encoder/worker-builder.js';
import { RECORD_OVERHEAD_BYTES, RecordSlabWriter, sealedRecordsOf } from '../../src/pipeline/records.js';

const bytes = fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null });
const records = fc.array(
  fc.record({
    key: bytes,
    value: bytes,
    offset: fc.bigInt({ min: 0n, max: 2n ** 62n }),
    timestampMs: fc.nat(),
    header: fc.option(fc.string({ maxLength: 5 }), { nil: null }),
  }),
  { maxLength: 40 },
);

describe('record slabs', () => {
  it('keep every key, value, offset, timestamp and header as given, readable by index and by chunk (property)', () => {
    fc.assert(
      fc.property(records, fc.nat({ max: 200 }), (rs, chunkBytes) => {
        const given = rs.map((r) => ({
          offset: r.offset,
          timestampMs: r.timestampMs,
          key: r.key ? Buffer.from(r.key) : null,
          value: r.value ? Buffer.from(r.value) : null,
          headers: r.header === null ? {} : { h: r.header },
          bytes: 0,
        }));
        const sealed = sealedRecordsOf(given);
        expect(sealed.count).toBe(given.length);
        expect(sealed.bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(sealed.newestTimestampMs).toBe(Math.max(0, ...given.map((r) => r.timestampMs)));
        rs.forEach((raw, i) => {
          const r = given[i] as (typeof given)[number];
          const back = sealed.record(i);
          expect([back.offset, back.timestampMs, back.headers]).toEqual([r.offset, r.timestampMs, r.headers]);
          expect(back.key === null ? null : Buffer.from(back.key)).toEqual(r.key);
          expect(back.value === null ? null : Buffer.from(back.value)).toEqual(r.value);
          const headerBytes = raw.header === null ? 0 : 1 + raw.header.length;
          expect(sealed.sizeOf(i)).toBe(
            (r.key?.length ?? 0) + (r.value?.length ?? 0) + headerBytes + RECORD_OVERHEAD_BYTES,
          );
        });
        // Chunks cover every record once, in order, each within the size unless it is a single record.
        const chunks = chunkRecords(sealed, chunkBytes);
        let next = 0;
        for (const { start, end } of chunks) {
          expect(start).toBe(next);
          next = end;
          const task = chunkOf('t', 3, sealed, start, end);
          for (let i = start; i < end; i++) {
            const u = unpackRecord(task, i - start);
            expect([u.topic, u.partition, u.offset, u.timestamp]).toEqual([
              't',
              3,
              given[i]?.offset,
              given[i]?.timestampMs,
            ]);
            expect(u.value === null ? null : Buffer.from(u.value)).toEqual(given[i]?.value);
          }
          let size = 0;
          for (let i = start; i < end; i++) size += sealed.sizeOf(i);
          if (end - start > 1) expect(size).toBeLessThanOrEqual(chunkBytes);
        }
        expect(next).toBe(given.length);
      }),
      { numRuns: 200 },
    );
  });

  it('grow in place past their first size, and start afresh when sealed', () => {
    const writer = new RecordSlabWriter({ maxBytes: 4 * 2 ** 20, maxRecords: 10_000 });
    const value = Buffer.alloc(1000, 7);
    for (let i = 0; i < 2000; i++) writer.append(null, value, BigInt(i), i);
    const sealed = writer.seal();
    expect(sealed.count).toBe(2000);
    expect(sealed.bytes.length).toBe(2_000_000);
    expect(sealed.record(1999).value?.[999]).toBe(7);
    expect(writer.count).toBe(0);
    writer.append(Buffer.from('k'), null, 5n, 1);
    expect(writer.seal().record(0)).toMatchObject({ offset: 5n, value: null });
    // the first slab is untouched by the second
    expect(sealed.record(0).offset).toBe(0n);
  });

  it('say when a record does not fit their reservation, so the buffer is sealed first', () => {
    const writer = new RecordSlabWriter({ maxBytes: 100, maxRecords: 2 });
    expect(writer.fits(100)).toBe(true);
    expect(writer.fits(101)).toBe(false);
    writer.append(null, Buffer.alloc(60), 0n, 0);
    expect(writer.fits(40)).toBe(true);
    expect(writer.fits(41)).toBe(false);
    writer.append(null, Buffer.alloc(10), 1n, 0);
    expect(writer.fits(0)).toBe(false); // two records is the most
    expect(() => writer.append(null, Buffer.alloc(31), 2n, 0)).toThrow(RangeError);
  });
});
