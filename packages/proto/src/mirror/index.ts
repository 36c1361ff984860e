/**
 * `@delta-writer/proto/mirror`: what the ingestor and the committer must agree on for mirror tables, beyond the
 * wire messages — the order of row versions, the identity of a document key, the within-batch collapse and partial-update application the ingestor
 * performs (and the committer's model tests replay), and the row block carried in `MirrorRows`. Pure functions; a
 * separate entry point so that gRPC users do not load Arrow.
 */
export * from './collapse.js';
export * from './key.js';
export * from './patch.js';
export * from './rows.js';
export * from './version.js';
