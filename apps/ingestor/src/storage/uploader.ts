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
  /** Defaults: {@link S3_TIMEOUTS}. */
  timeouts?: Partial<S3Timeouts>;
}

export interface Uploader {
  put(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  readonly client: S3Client;
  close(): void;
}

/**
 * How long one S3 request may take. The SDK has no timeout by default (and without `throwOnRequestTimeout` only
 * warns when `requestTimeout` passes): an upload whose answer never came hung forever, and its partition with it
 * (the e2e nemesis's `s3-hang`). Now 30 s without a byte either way ends a request (a slow upload that still moves is
 * not cut), and so does an answer not begun 120 s after the request started; the SDK and the whole-upload retry
 * try again, under new names that can never overwrite anything.
 */
export interface S3Timeouts {
  connectionMs: number;
  requestMs: number;
  silenceMs: number;
}

export const S3_TIMEOUTS: S3Timeouts = { connectionMs: 5_000, requestMs: 120_000, silenceMs: 30_000 };

export function s3ClientConfig(
  o: Pick<UploaderOptions, 'endpoint' | 'region' | 'credentials' | 'timeouts'>,
): S3ClientConfig {
  const t = { ...S3_TIMEOUTS, ...o.timeouts };
  return {
    region: o.region,
    ...(o.endpoint && { endpoint: o.endpoint, forcePathStyle: true }),
    ...(o.credentials && { credentials: o.credentials }),
    maxAttempts: 3,
    requestHandler: {
      connectionTimeout: t.connectionMs,
      requestTimeout: t.requestMs,
      socketTimeout: t.silenceMs,
      throwOnRequestTimeout: true,
    },
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
