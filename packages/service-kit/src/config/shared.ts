/**
 * The variables both services read, defined once: object storage (`MINIO_*`, the names of the original service,
 * kept so deployments carry over) and the log level. One ConfigMap/Secret serves both apps, so each of these must
 * mean — and be checked — the same on both sides.
 */
import { z } from 'zod';
import { ConfigError } from './load.js';
import { duration, LOG_LEVELS, meta } from './values.js';

export const objectStorageVariables = {
  MINIO_ENDPOINT: meta(
    z.url({ protocol: /^https?$/, error: 'must be an http(s) URL such as http://minio:9000' }).optional(),
    {
      description: 'S3 endpoint URL for MinIO or another S3-compatible server; unset uses AWS S3.',
      format: 'URL',
    },
  ),
  MINIO_ACCESS_KEY: meta(z.string().optional(), {
    description:
      'Access key; unset uses the AWS default credential chain (environment, IRSA, instance profile).',
  }),
  MINIO_SECRET_KEY: meta(z.string().optional(), { description: 'Secret key.', secret: true }),
  MINIO_BUCKET: meta(
    z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { error: 'is not a valid bucket name' }),
    { description: 'Bucket holding the Delta tables.' },
  ),
  MINIO_REGION: meta(z.string().prefault('us-east-1'), { description: 'S3 region.' }),
};

type ObjectStorageEnv = z.output<z.ZodObject<typeof objectStorageVariables>>;

/** Where the tables' objects are and how to reach them. */
export interface ObjectStorage {
  /** Unset: AWS S3. */
  readonly endpoint?: string;
  readonly region: string;
  readonly bucket: string;
  /** Unset: the AWS default credential chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** The object storage the `MINIO_*` variables describe; the two keys come together or not at all. */
export function objectStorageOf(e: ObjectStorageEnv): ObjectStorage {
  if ((e.MINIO_ACCESS_KEY === undefined) !== (e.MINIO_SECRET_KEY === undefined)) {
    throw new ConfigError(
      e.MINIO_ACCESS_KEY === undefined ? 'MINIO_ACCESS_KEY' : 'MINIO_SECRET_KEY',
      'is required when the other S3 key is set',
    );
  }
  return {
    ...(e.MINIO_ENDPOINT ? { endpoint: e.MINIO_ENDPOINT } : {}),
    region: e.MINIO_REGION,
    bucket: e.MINIO_BUCKET,
    ...(e.MINIO_ACCESS_KEY && e.MINIO_SECRET_KEY
      ? { credentials: { accessKeyId: e.MINIO_ACCESS_KEY, secretAccessKey: e.MINIO_SECRET_KEY } }
      : {}),
  };
}

export const logLevelVariable = {
  LOG_LEVEL: meta(z.enum(LOG_LEVELS).prefault('info'), {
    description: 'Log level of the JSON logs on stdout.',
  }),
};

export const memoryReleaseVariable = {
  MEMORY_RELEASE_INTERVAL: meta(duration().prefault('2m'), {
    description:
      'How often the main thread gives the heap pages V8 keeps for later back to the operating system (a last-resort collection, ~0.25 s of pause per 200 MiB of live objects). V8 does that by itself only when the process is idle, so under steady load the resident set would stay at its highest heap ever. `0s` turns it off.',
    format: 'duration (2m, 30s; 0s: off)',
  }),
};
