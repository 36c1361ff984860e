/**
 * Turning a table URI (`/data/t`, `file:///data/t`, `s3://bucket/prefix`) into a Storage rooted at the
 * table. S3 settings come from the usual AWS environment (`AWS_REGION`, credentials chain,
 * `AWS_ENDPOINT_URL_S3`/`AWS_ENDPOINT_URL`); a custom endpoint implies path-style addressing, which is what
 * S3-compatible servers (MinIO and friends) expect.
 */
import { FsStorage } from './fs.js';
import { S3Storage } from './s3.js';
import type { Storage } from './storage.js';

/** Options of {@link storageForUri}. */
export interface OpenStorageOptions {
  /** Environment to read S3 settings from (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * A storage for a table URI: a local path, `file://`, or `s3://bucket/prefix` (endpoint and credentials from
 * the AWS environment unless given).
 */
export function storageForUri(uri: string, options: OpenStorageOptions = {}): Storage {
  const s3 = /^s3[an]?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (s3) {
    const env = options.env ?? process.env;
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL ?? env.DW_S3_ENDPOINT;
    const forcePathStyle = endpoint !== undefined || env.AWS_S3_FORCE_PATH_STYLE === 'true';
    return new S3Storage({
      bucket: s3[1] as string,
      prefix: (s3[2] ?? '').replace(/\/+$/, ''),
      clientConfig: {
        maxAttempts: 1,
        forcePathStyle,
        region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
        ...(endpoint ? { endpoint } : {}),
      },
    });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri) && !uri.startsWith('file:')) {
    throw new Error(`unsupported URI scheme in ${uri} (supported: local paths, file://, s3://)`);
  }
  return new FsStorage(uri);
}
