/**
 * Object storage for the committer: one S3 client for the bucket holding every table (tables are key prefixes in
 * it), configured from the MINIO_* settings. delta-log's S3Storage does its own retries and resolves ambiguous
 * conditional puts, so the SDK client makes single attempts.
 */
import { S3Storage } from '@delta-writer/delta-log';
import type { CommitterConfig } from '../config/load.js';

/** What a worker thread needs to open the same storage (plain data: it crosses the thread boundary). */
export type StorageSettings = Omit<CommitterConfig['storage'], 'tableRootUri'>;

export function storageSettings(storage: CommitterConfig['storage']): StorageSettings {
  const { tableRootUri: _root, ...settings } = storage;
  return settings;
}

export function createS3Storage(settings: StorageSettings): S3Storage {
  return new S3Storage({
    bucket: settings.bucket,
    clientConfig: {
      maxAttempts: 1,
      region: settings.region,
      // S3-compatible servers (MinIO, s3proxy) expect path-style addressing.
      ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      requestHandler: { requestTimeout: 30_000, connectionTimeout: 5_000 },
    },
  });
}

/** The key prefix of a table in the bucket: `s3://<bucket>/a/b/` → `a/b`. */
export function tablePathOf(tableUri: string, bucket: string): string {
  const m = /^s3[an]?:\/\/([^/]+)\/(.*)$/.exec(tableUri);
  if (!m || m[1] !== bucket) throw new Error(`table URI ${tableUri} is not in bucket ${bucket}`);
  return (m[2] ?? '').replace(/^\/+|\/+$/g, '');
}
