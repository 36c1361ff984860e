import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CommitRequest,
  CommitResponse,
  GetTableStateResponse,
  PartialUpdates,
  RefusalReason,
  WriteMode,
} from '../src/index.js';

// Valid Unicode only: protobuf strings are UTF-8, so lone surrogates cannot round-trip by design.
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const int64 = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
const offset = fc.maxSafeInteger().map((n) => n);
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

const sourceRange = fc.record({
  consumerGroup: text,
  topic: text,
  partition: int32,
  firstOffset: offset,
  lastOffset: offset,
  gapAcknowledged: fc.boolean(),
});
const dataFile = fc.record({
  path: text,
  sizeBytes: int64,
  recordCount: int64,
  partitionValues: fc.array(fc.record({ column: text, value: fc.option(text, { nil: undefined }) }), {
    maxLength: 3,
  }),
  statsJson: text,
  modificationTimeMs: int64,
});
const committedOffset = fc.record({ consumerGroup: text, topic: text, partition: int32, lastOffset: offset });
const mirrorRows = fc.record({
  path: text,
  rows: fc.oneof(
    fc.record({
      $case: fc.constant('arrowIpc' as const),
      value: fc.uint8Array({ maxLength: 16 }).map(Buffer.from),
    }),
    fc.record({ $case: fc.constant('sidecarPath' as const), value: text }),
    fc.constant(undefined),
  ),
});
const mirrorManifest = fc.record({
  formatVersion: fc.nat({ max: 2 ** 32 - 1 }),
  files: fc.array(mirrorRows, { maxLength: 3 }),
  partialUpdates: fc.constantFrom(PartialUpdates.UNSPECIFIED, PartialUpdates.SKIP, PartialUpdates.APPLY),
});
const commitRequest = fc.record({
  protocolVersion: fc.nat({ max: 2 ** 32 - 1 }),
  table: fc.option(fc.record({ routingKey: text, tableUri: text }), { nil: undefined }),
  ingestorId: text,
  idempotencyId: text,
  writeMode: fc.constantFrom(WriteMode.UNSPECIFIED, WriteMode.APPEND, WriteMode.UPSERT),
  mirror: fc.option(mirrorManifest, { nil: undefined }),
  deltaSchemaJson: text,
  partitionColumns: fc.array(text, { maxLength: 3 }),
  files: fc.array(dataFile, { maxLength: 4 }),
  sourceRanges: fc.array(sourceRange, { maxLength: 4 }),
});
const reasons = Object.values(RefusalReason).filter((v): v is RefusalReason => typeof v === 'number');
const refusal = fc.record({
  reason: fc.constantFrom(...reasons),
  message: text,
  leaderAddress: text,
  minProtocolVersion: fc.nat({ max: 2 ** 32 - 1 }),
  maxProtocolVersion: fc.nat({ max: 2 ** 32 - 1 }),
  committedOffsets: fc.array(committedOffset, { maxLength: 3 }),
  schemaConflicts: fc.array(
    fc.record({ columnPath: text, tableTypeJson: text, fileTypeJson: text, reason: text }),
    { maxLength: 2 },
  ),
  retryAfterMs: fc.nat({ max: 2 ** 32 - 1 }),
});
const commitResponse = fc.record({
  outcome: fc.oneof(
    fc.record({
      $case: fc.constant('ack' as const),
      value: fc.record({
        tableVersion: int64,
        duplicate: fc.boolean(),
        committedOffsets: fc.array(committedOffset, { maxLength: 3 }),
      }),
    }),
    fc.record({ $case: fc.constant('refusal' as const), value: refusal }),
    fc.constant(undefined),
  ),
});
const tableStateResponse = fc.record({
  outcome: fc.oneof(
    fc.record({
      $case: fc.constant('state' as const),
      value: fc.record({
        exists: fc.boolean(),
        tableVersion: int64,
        deltaSchemaJson: text,
        partitionColumns: fc.array(text, { maxLength: 3 }),
        committedOffsets: fc.array(committedOffset, { maxLength: 3 }),
        statsConfiguration: fc.dictionary(text, text, { maxKeys: 3 }),
      }),
    }),
    fc.record({ $case: fc.constant('refusal' as const), value: refusal }),
  ),
});

describe('wire round trip', () => {
  it('CommitRequest survives binary encoding', () => {
    fc.assert(
      fc.property(commitRequest, (request) => {
        expect(CommitRequest.decode(CommitRequest.encode(request).finish())).toEqual(request);
      }),
    );
  });

  it('CommitRequest survives proto3 JSON', () => {
    fc.assert(
      fc.property(commitRequest, (request) => {
        const json = JSON.parse(JSON.stringify(CommitRequest.toJSON(request)));
        expect(CommitRequest.fromJSON(json)).toEqual(request);
      }),
    );
  });

  it('CommitResponse (ack or refusal) survives binary encoding', () => {
    fc.assert(
      fc.property(commitResponse, (response) => {
        expect(CommitResponse.decode(CommitResponse.encode(response).finish())).toEqual(response);
      }),
    );
  });

  it('GetTableStateResponse survives binary encoding', () => {
    fc.assert(
      fc.property(tableStateResponse, (response) => {
        expect(GetTableStateResponse.decode(GetTableStateResponse.encode(response).finish())).toEqual(
          response,
        );
      }),
    );
  });

  it('keeps a null partition value apart from an empty string', () => {
    const file = {
      path: 'a.parquet',
      sizeBytes: 1,
      recordCount: 1,
      statsJson: '',
      modificationTimeMs: 0,
      partitionValues: [
        { column: 'p', value: undefined },
        { column: 'q', value: '' },
      ],
    };
    const request = CommitRequest.create({ files: [file] });
    const decoded = CommitRequest.decode(CommitRequest.encode(request).finish());
    expect(decoded.files[0]?.partitionValues).toEqual([
      { column: 'p', value: undefined },
      { column: 'q', value: '' },
    ]);
  });

  it('a revision-1 reader skips the mirror block and reads the rest of the request', () => {
    // Revision 1's CommitRequest had no field 16: decoding must ignore it (unknown fields are skipped).
    const request = CommitRequest.create({
      idempotencyId: 'x',
      writeMode: WriteMode.UPSERT,
      mirror: {
        formatVersion: 1,
        files: [{ path: 'a', rows: { $case: 'arrowIpc', value: Buffer.from([1]) } }],
        partialUpdates: PartialUpdates.SKIP,
      },
    });
    const bytes = CommitRequest.encode(request).finish();
    const withoutMirror = CommitRequest.encode({ ...request, mirror: undefined }).finish();
    expect(bytes.length).toBeGreaterThan(withoutMirror.length);
    expect(Buffer.from(bytes.subarray(0, withoutMirror.length))).toEqual(Buffer.from(withoutMirror));
  });

  it('refuses to decode an offset JavaScript numbers cannot hold exactly', () => {
    // 2^53 + 1 written as a raw varint in SourceRange.first_offset (field 4) inside CommitRequest.source_ranges (9).
    const range = Buffer.from([0x20, ...varint(2n ** 53n + 1n)]);
    const bytes = Buffer.from([0x4a, range.length, ...range]);
    expect(() => CommitRequest.decode(bytes)).toThrow(/MAX_SAFE_INTEGER/);
  });
});

function varint(value: bigint): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80n) {
    out.push(Number((v & 0x7fn) | 0x80n));
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
