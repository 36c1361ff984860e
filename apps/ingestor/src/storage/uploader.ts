/**
 * Puts data files into the bucket: one PutObject for small files, a multipart upload (`@aws-sdk/lib-storage`, parts
 * uploaded in parallel) above the part size. The SDK retries single requests; around that, a whole upload is retried
 * with exponential backoff, because a data file that never lands stalls its partition. Names are unique, so a retry
 * can never overwrite anything.
 */
import { PutObjectCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type RetryPolicy, retry } from '../retry.js';

export interface UploaderOptions {
  bucket: string;
  endpoint?: string;
  region: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Files above this size go multipart, in parts of this size. */
  partBytes: number;
  /** Parts uploaded at once for one file. */
  partConcurrency?: number;
  retry?: Partial<RetryPolicy>;
  onRetry?: (error: unknown, attempt: number, key: string) => void;
}

export interface Uploader {
  put(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  readonly client: S3Client;
  close(): void;
}

export function s3ClientConfig(
  o: Pick<UploaderOptions, 'endpoint' | 'region' | 'credentials'>,
): S3ClientConfig {
  return {
    region: o.region,
    ...(o.endpoint && { endpoint: o.endpoint, forcePathStyle: true }),
    ...(o.credentials && { credentials: o.credentials }),
    maxAttempts: 3,
  };
}

export function createUploader(options: UploaderOptions): Uploader {
  const client = new S3Client(s3ClientConfig(options));
  const policy: Partial<RetryPolicy> = { attempts: 8, initialMs: 200, maxMs: 10_000, ...options.retry };

  const putOnce = async (key: string, body: Uint8Array, signal?: AbortSignal) => {
    if (body.byteLength <= options.partBytes) {
      await client.send(
        new PutObjectCommand({
          Bucket: options.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/vnd.apache.parquet',
        }),
        { abortSignal: signal },
      );
      return;
    }
    const upload = new Upload({
      client,
      params: { Bucket: options.bucket, Key: key, Body: body, ContentType: 'application/vnd.apache.parquet' },
      partSize: options.partBytes,
      queueSize: options.partConcurrency ?? 4,
      leavePartsOnError: false, // abort the multipart upload so no parts linger
      ...(signal && { abortController: controllerFor(signal) }),
    });
    await upload.done();
  };

  return {
    client,
    put: (key, body, signal) =>
      retry(() => putOnce(key, body, signal), {
        ...policy,
        ...(signal && { signal }),
        onRetry: (e, attempt) => options.onRetry?.(e, attempt, key),
      }),
    close: () => client.destroy(),
  };
}

/** lib-storage takes an AbortController, not a signal. */
function controllerFor(signal: AbortSignal): AbortController {
  const c = new AbortController();
  if (signal.aborted) c.abort(signal.reason);
  else signal.addEventListener('abort', () => c.abort(signal.reason), { once: true });
  return c;
}
