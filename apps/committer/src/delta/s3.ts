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

/**
 * How long one S3 request may take. The SDK has no timeout by default and only *warns* when `requestTimeout` passes
 * unless `throwOnRequestTimeout` is set: a request whose answer never came (a connection a middlebox dropped, a
 * server that lost it) then hung forever, and with it every later commit of its table (e2e nemesis, seed 1007). Now
 * 30 s without a byte either way ends it (`socketTimeout`; a slow transfer that still moves is not cut), and so does
 * an answer not begun 120 s after the request started; delta-log retries, and resolves a conditional PUT whose
 * answer was lost by reading the object back.
 */
export interface S3Timeouts {
  readonly connectionMs: number;
  readonly requestMs: number;
  readonly silenceMs: number;
}

export const S3_TIMEOUTS: S3Timeouts = { connectionMs: 5_000, requestMs: 120_000, silenceMs: 30_000 };

export function createS3Storage(settings: StorageSettings, timeouts: S3Timeouts = S3_TIMEOUTS): S3Storage {
  return new S3Storage({
    bucket: settings.bucket,
    clientConfig: {
      maxAttempts: 1,
      region: settings.region,
      // S3-compatible servers (MinIO, s3proxy) expect path-style addressing.
      ...(settings.endpoint ? { endpoint: settings.endpoint, forcePathStyle: true } : {}),
      ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
      requestHandler: {
        connectionTimeout: timeouts.connectionMs,
        requestTimeout: timeouts.requestMs,
        socketTimeout: timeouts.silenceMs,
        throwOnRequestTimeout: true,
      },
    },
  });
}

/** The key prefix of a table in the bucket: `s3://<bucket>/a/b/` → `a/b`. */
export function tablePathOf(tableUri: string, bucket: string): string {
  const m = /^s3[an]?:\/\/([^/]+)\/(.*)$/.exec(tableUri);
  if (!m || m[1] !== bucket) throw new Error(`table URI ${tableUri} is not in bucket ${bucket}`);
  return (m[2] ?? '').replace(/^\/+|\/+$/g, '');
}
