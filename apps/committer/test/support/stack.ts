/**
 * The local stack for integration tests (`./dw stack up`; endpoints in .data/stack/env): S3 server and Redis are
 * never mocked. Without them a test fails with one line naming what is missing.
 */
import { randomUUID } from 'node:crypto';
import { S3Storage } from '@delta-writer/delta-log';

const REQUIRED = [
  'DW_S3_ENDPOINT',
  'DW_S3_BUCKET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'REDIS_URL',
];

export interface Stack {
  readonly bucket: string;
  readonly endpoint: string;
  readonly redisUrl: string;
  /** The committer's configuration variables for this stack (MINIO_* names). */
  readonly committerEnv: Record<string, string>;
  /** Storage rooted at the bucket, for test data files and inspecting tables (unfenced). */
  readonly storage: S3Storage;
  /** The connection settings the committer's S3 clients take (storage, maintenance pool). */
  readonly s3: {
    endpoint: string;
    bucket: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
}

let cached: Stack | undefined;

export function stack(): Stack {
  if (cached) return cached;
  const missing = REQUIRED.filter((n) => !process.env[n]);
  if (missing.length > 0) {
    throw new Error(
      `${missing.join(', ')} not set: start the local stack (./dw stack up) and load .data/stack/env`,
    );
  }
  const env = process.env as Record<string, string>;
  const bucket = env.DW_S3_BUCKET as string;
  const endpoint = env.DW_S3_ENDPOINT as string;
  const credentials = {
    accessKeyId: env.AWS_ACCESS_KEY_ID as string,
    secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
  };
  cached = {
    bucket,
    endpoint,
    redisUrl: env.REDIS_URL as string,
    committerEnv: {
      REDIS_URL: env.REDIS_URL as string,
      MINIO_ENDPOINT: endpoint,
      MINIO_BUCKET: bucket,
      MINIO_ACCESS_KEY: env.AWS_ACCESS_KEY_ID as string,
      MINIO_SECRET_KEY: env.AWS_SECRET_ACCESS_KEY as string,
      MINIO_REGION: env.AWS_REGION ?? 'us-east-1',
    },
    storage: new S3Storage({
      bucket,
      clientConfig: {
        endpoint,
        region: env.AWS_REGION ?? 'us-east-1',
        forcePathStyle: true,
        maxAttempts: 1,
        credentials,
      },
    }),
    s3: { endpoint, bucket, region: env.AWS_REGION ?? 'us-east-1', credentials },
  };
  return cached;
}

/** A fresh base path for one test file's tables: `committer-test/<uuid>`. */
export function testBasePath(): string {
  return `committer-test/${randomUUID()}`;
}
