export { BatchBuilder, type BatchOptions, type BatchResult, CDC_COLUMNS } from './arrow/batch.js';
export type { ConvertOptions, Kind } from './arrow/kinds.js';
export { sanitizeName } from './arrow/names.js';
export { type ReadOptions, rowsFromTable } from './arrow/read.js';
export { META as FIELD_METADATA, type SchemaResolution } from './arrow/schema.js';
export type { LeafStatistics } from './arrow/statistics.js';
export { decodeBson, encodeBson } from './bson/codec.js';
export * from './bson/values.js';
export {
  encodeMongoEvent,
  encodeMongoKey,
  type MongoEncodeOptions,
  type MongoEventInput,
} from './debezium/encoder.js';
export { canonicalKey } from './debezium/key.js';
export { Decoder, type DecoderOptions, decodeRecord } from './debezium/record.js';
export { compareSequence } from './debezium/sequence.js';
export type {
  ChangeEvent,
  DecodeFailure,
  DecodeResult,
  Ignored,
  KafkaRecord,
  MongoPatch,
  Op,
  RecordPosition,
  SourceInfo,
  SourceSequence,
  Tombstone,
} from './debezium/types.js';
export { type ParseOptions, parseExtendedJson } from './ejson/parse.js';
export {
  type EjsonMode,
  type EjsonStyle,
  type StringifyOptions,
  stringifyExtendedJson,
} from './ejson/stringify.js';
export { DEFAULT_LIMITS, DecodeError, type DecodeLimits, type FailureReason } from './errors.js';
export {
  type DecodeBatchOptions,
  type DecodedBatch,
  decodeBatch,
  kafkaRecord,
  type RecordSlab,
} from './fast/batch.js';
export {
  type BatchLimits,
  checkDocumentFields,
  DEFAULT_BATCH_LIMITS,
  documentFields,
  recordText,
} from './limits.js';
