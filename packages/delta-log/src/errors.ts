/**
 * Every error this library throws on purpose is a `DeltaError` with a stable `code`, so callers can branch
 * on `err instanceof X` or on `err.code` (useful across package copies / serialization boundaries).
 */
export class DeltaError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** No `_delta_log` (or an empty one) at the table location. */
export class TableNotFoundError extends DeltaError {
  constructor(location: string) {
    super('DELTA_TABLE_NOT_FOUND', `no Delta table at ${location}: _delta_log has no commits or checkpoints`);
  }
}

/** The log is structurally broken: missing protocol/metaData, gaps between versions, unparsable actions. */
export class InvalidTableError extends DeltaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DELTA_INVALID_TABLE', message, options);
  }
}

/** A requested version or timestamp cannot be reconstructed from the files present. */
export class VersionNotFoundError extends DeltaError {
  constructor(message: string) {
    super('DELTA_VERSION_NOT_FOUND', message);
  }
}

/** The table needs a reader/writer version or feature this library does not implement. */
export class UnsupportedFeatureError extends DeltaError {
  readonly features: readonly string[];
  constructor(message: string, features: readonly string[] = []) {
    super('DELTA_UNSUPPORTED_FEATURE', message);
    this.features = features;
  }
}

/** A commit request that is invalid on its own (before any concurrency is involved). */
export class InvalidCommitError extends DeltaError {
  constructor(message: string) {
    super('DELTA_INVALID_COMMIT', message);
  }
}

/** A schema change that Delta does not allow (dropping, renaming, narrowing, NOT NULL additions, ...). */
export class SchemaEvolutionError extends DeltaError {
  constructor(message: string) {
    super('DELTA_SCHEMA_EVOLUTION', message);
  }
}

/**
 * A concurrent writer committed something this commit conflicts with. The subclasses name the conflict
 * the same way Delta/Spark does, so operators can look them up.
 */
export class ConcurrentModificationError extends DeltaError {
  /** The version the losing commit tried to write. */
  readonly attemptedVersion: number;
  /** The winning commit that caused the conflict. */
  readonly winningVersion: number;
  constructor(code: string, message: string, attemptedVersion: number, winningVersion: number) {
    super(code, message);
    this.attemptedVersion = attemptedVersion;
    this.winningVersion = winningVersion;
  }
}

/** A winner changed the protocol (reader/writer versions or features). */
export class ProtocolChangedError extends ConcurrentModificationError {
  constructor(attempted: number, winner: number) {
    super(
      'DELTA_PROTOCOL_CHANGED',
      `the protocol was changed by a concurrent commit (version ${winner}); re-read the table and retry`,
      attempted,
      winner,
    );
  }
}

/** A winner changed the table metadata (schema, partitioning, configuration). */
export class MetadataChangedError extends ConcurrentModificationError {
  constructor(attempted: number, winner: number) {
    super(
      'DELTA_METADATA_CHANGED',
      `the table metadata was changed by a concurrent commit (version ${winner}); re-read the table and retry`,
      attempted,
      winner,
    );
  }
}

/** A winner committed a `txn` for an appId this commit also writes (idempotent writers racing). */
export class ConcurrentTransactionError extends ConcurrentModificationError {
  readonly appId: string;
  constructor(attempted: number, winner: number, appId: string) {
    super(
      'DELTA_CONCURRENT_TRANSACTION',
      `a concurrent commit (version ${winner}) wrote a txn for appId "${appId}"; this batch may already be committed`,
      attempted,
      winner,
    );
    this.appId = appId;
  }
}

/** A winner removed a file this commit also removes. */
export class ConcurrentDeleteDeleteError extends ConcurrentModificationError {
  readonly path: string;
  constructor(attempted: number, winner: number, path: string) {
    super(
      'DELTA_CONCURRENT_DELETE_DELETE',
      `file ${path} was removed by a concurrent commit (version ${winner})`,
      attempted,
      winner,
    );
    this.path = path;
  }
}

/** A winner removed a file this commit read (it depended on the file still being there). */
export class ConcurrentDeleteReadError extends ConcurrentModificationError {
  readonly path: string;
  constructor(attempted: number, winner: number, path: string) {
    super(
      'DELTA_CONCURRENT_DELETE_READ',
      `file ${path}, read by this commit, was removed by a concurrent commit (version ${winner})`,
      attempted,
      winner,
    );
    this.path = path;
  }
}

/** A winner added files into the data this commit read (only for non-blind commits that declare a read). */
export class ConcurrentAppendError extends ConcurrentModificationError {
  constructor(attempted: number, winner: number, detail: string) {
    super(
      'DELTA_CONCURRENT_APPEND',
      `a concurrent commit (version ${winner}) added data this commit read: ${detail}`,
      attempted,
      winner,
    );
  }
}

/** The commit kept losing races to non-conflicting winners until `maxRetries` ran out. */
export class MaxCommitAttemptsError extends ConcurrentModificationError {
  constructor(attempted: number, attempts: number) {
    super(
      'DELTA_MAX_COMMIT_ATTEMPTS',
      `gave up after ${attempts} attempts; last attempted version ${attempted} was taken`,
      attempted,
      attempted,
    );
  }
}

/** A storage operation failed (after retries). Wraps the underlying SDK/OS error as `cause`. */
export class StorageError extends DeltaError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('DELTA_STORAGE', message, options);
  }
}

/** `get` of an object that does not exist. */
export class FileNotFoundError extends DeltaError {
  readonly path: string;
  constructor(path: string) {
    super('DELTA_FILE_NOT_FOUND', `file not found: ${path}`);
    this.path = path;
  }
}

/** `createTable` found a table (a version 0 commit) already at the location. */
export class TableAlreadyExistsError extends DeltaError {
  constructor(location: string) {
    super('DELTA_TABLE_ALREADY_EXISTS', `a Delta table already exists at ${location}`);
  }
}

/** A winner changed domain metadata this commit also changes. */
export class ConcurrentDomainMetadataError extends ConcurrentModificationError {
  readonly domain: string;
  constructor(attempted: number, winner: number, domain: string) {
    super(
      'DELTA_CONCURRENT_DOMAIN_METADATA',
      `domain "${domain}" was changed by a concurrent commit (version ${winner})`,
      attempted,
      winner,
    );
    this.domain = domain;
  }
}
