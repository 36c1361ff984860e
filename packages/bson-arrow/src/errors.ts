/**
 * Stable machine reason codes for records that cannot be decoded. The ingestor sends such records to
 * a dead-letter topic keyed by this code, so codes are part of the public contract: add, never rename.
 */
export type FailureReason =
  | 'invalid_json'
  | 'invalid_extended_json'
  | 'invalid_value'
  | 'not_debezium'
  | 'unsupported_op'
  | 'unsupported_type'
  | 'nesting_too_deep'
  | 'too_large'
  | 'too_many_fields'
  /** The record's key or value bytes are not UTF-8 (never replaced by U+FFFD: the value would change). */
  | 'invalid_utf8'
  /** The row would take its batch past `BatchOptions.maxColumns` distinct columns. */
  | 'too_many_columns';

/** Thrown inside the decoder; `decodeRecord` turns it into a `DecodeFailure` value. */
export class DecodeError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
    this.name = 'DecodeError';
  }
}

export interface DecodeLimits {
  /** Maximum nesting of documents/arrays inside one document (Spark/Parquet struct depth matters too). */
  maxDepth: number;
  /** Maximum size of a Kafka record value, in bytes. */
  maxBytes: number;
  /** Maximum number of values (fields + array elements, all levels) in one decoded document. */
  maxFields: number;
  /**
   * Maximum number of named fields (all levels, documents in arrays included) in the document that becomes a row:
   * each can become a column. Counted after parsing, in one linear pass over the document.
   */
  maxDocumentFields: number;
}

/**
 * Defaults: MongoDB itself caps documents at 16 MiB and nesting at 100 levels; Debezium's JSON text of a
 * 16 MiB document can be ~2× larger, so 32 MiB lets every legal document through.
 */
export const DEFAULT_LIMITS: DecodeLimits = {
  maxDepth: 100,
  maxBytes: 32 * 1024 * 1024,
  maxFields: 100_000,
  maxDocumentFields: 10_000,
};
