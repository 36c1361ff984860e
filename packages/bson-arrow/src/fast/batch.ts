/**
 * A batch of Kafka records (one partition's, packed in one byte slab) into one Arrow record batch with its Delta
 * statistics: each record goes through the one-pass decoder (`record.ts`) and, when that steps aside, through the
 * reference `Decoder` and `BatchBuilder.append` — per record, into the same columns, so both paths follow one set of
 * schema rules. The reference decoder alone decides failures and their reasons.
 *
 * A record the fast path abandons after it already changed the schema (a widened column, a new column) cannot be
 * taken back; the batch is then built again from its first record with that record on the reference path. Building
 * is deterministic, so the rebuilt rows are the same. After a few such restarts (hostile input) the rest of the work
 * goes the reference way: at worst a batch costs what it did before this path existed.
 */
import { BatchBuilder, type BatchOptions, type BatchResult } from '../arrow/batch.js';
import { Decoder, type DecoderOptions } from '../debezium/record.js';
import type { KafkaRecord } from '../debezium/types.js';
import { DEFAULT_LIMITS, DecodeError, type DecodeLimits, type FailureReason } from '../errors.js';
import { FastRecordWriter, type RecordBytes } from './record.js';

/** The records of one topic-partition, packed: every key and value in one byte array, with index arrays. */
export interface RecordSlab {
  topic: string;
  partition: number;
  count: number;
  bytes: Uint8Array;
  /** `[keyStart, keyEnd, valueStart, valueEnd]` per record into `bytes`; a start of -1 means null. */
  bounds: Int32Array;
  offsets: BigInt64Array;
  /** Record timestamps, epoch ms. */
  timestamps: Float64Array;
}

export interface DecodeBatchOptions extends BatchOptions, Omit<DecoderOptions, 'fastPath'> {
  /** Records before this index are decoded for their failures only (their rows are already in the table). */
  from?: number;
  /** `false`: every record on the reference path (for comparison and debugging). */
  fastPath?: boolean;
}

export interface DecodedBatch extends BatchResult {
  /** Records that could not be decoded, by index into the slab, with the reference decoder's reason. */
  failures: { index: number; reason: FailureReason; message: string }[];
  /** Records decoded on the fast path (rows, and tombstones it can tell), and on the reference path. */
  fastRecords: number;
  referenceRecords: number;
  /** Times the batch was rebuilt because the fast path abandoned a row that had changed the schema. */
  restarts: number;
}

const MAX_RESTARTS = 3;

/** Decodes `slab` into one batch (rows for records from `options.from` on). `decoder` is reused across batches. */
export function decodeBatch(
  slab: RecordSlab,
  options: DecodeBatchOptions = {},
  decoder = new Decoder(options),
): DecodedBatch {
  const limits: DecodeLimits = {
    maxDepth: options.maxDepth ?? DEFAULT_LIMITS.maxDepth,
    maxBytes: options.maxBytes ?? DEFAULT_LIMITS.maxBytes,
    maxFields: options.maxFields ?? DEFAULT_LIMITS.maxFields,
    maxDocumentFields: options.maxDocumentFields ?? DEFAULT_LIMITS.maxDocumentFields,
  };
  const writer = new FastRecordWriter(limits);
  const from = options.from ?? 0;
  const reference = new Set<number>();
  let allReference = options.fastPath === false;
  let restarts = 0;
  // The decoder learns each topic's connector as it goes; a rebuilt batch must meet it as the first pass did.
  const known = decoder.connectorOf(slab.topic);
  for (;;) {
    decoder.restoreConnector(slab.topic, known);
    const builder = new BatchBuilder(options);
    const failures: DecodedBatch['failures'] = [];
    let fast = 0;
    let slow = 0;
    let restart = false;
    const r: RecordBytes = {
      bytes: slab.bytes,
      keyStart: -1,
      keyEnd: -1,
      valueStart: -1,
      valueEnd: -1,
      offset: 0n,
    };
    for (let i = 0; i < slab.count; i++) {
      if (i >= from && !allReference && !reference.has(i)) {
        r.keyStart = slab.bounds[i * 4] as number;
        r.keyEnd = slab.bounds[i * 4 + 1] as number;
        r.valueStart = slab.bounds[i * 4 + 2] as number;
        r.valueEnd = slab.bounds[i * 4 + 3] as number;
        r.offset = slab.offsets[i] as bigint;
        const outcome = writer.write(builder, slab.topic, slab.partition, r);
        if (outcome === 'row') {
          fast++;
          decoder.learn(slab.topic, 'mongodb');
          continue;
        }
        if (outcome === 'skip') {
          fast++;
          continue;
        }
        if (outcome === 'restart') {
          reference.add(i);
          restart = true;
          break;
        }
      }
      slow++;
      const decoded = decoder.decode(kafkaRecord(slab, i));
      if (decoded.kind === 'failure')
        failures.push({ index: i, reason: decoded.reason, message: decoded.message });
      else if (decoded.kind === 'change' && i >= from) {
        try {
          builder.append(decoded);
        } catch (e) {
          // A row the batch refuses on its own (too many columns): that record fails, the batch goes on.
          if (!(e instanceof DecodeError)) throw e;
          failures.push({ index: i, reason: e.reason, message: e.message });
        }
      }
    }
    if (restart) {
      restarts++;
      if (restarts >= MAX_RESTARTS) allReference = true;
      continue;
    }
    return { ...builder.finish(), failures, fastRecords: fast, referenceRecords: slow, restarts };
  }
}

/** Record `i` of the slab as the reference decoder takes it. */
export function kafkaRecord(slab: RecordSlab, i: number): KafkaRecord {
  const part = (at: number) => {
    const start = slab.bounds[i * 4 + at] as number;
    return start < 0 ? null : slab.bytes.subarray(start, slab.bounds[i * 4 + at + 1]);
  };
  return {
    topic: slab.topic,
    partition: slab.partition,
    offset: slab.offsets[i] as bigint,
    timestamp: slab.timestamps[i] as number,
    key: part(0),
    value: part(2),
  };
}
