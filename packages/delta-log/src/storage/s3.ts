/**
 * S3 (and S3-compatible: MinIO, R2, Ceph) storage. Commits rely on conditional writes
 * (`PutObject` with `If-None-Match: *`): the server refuses to create an existing key with 412, which makes
 * put-if-absent atomic across writers without a lock service.
 *
 * Retries are ours (the SDK client is built with `maxAttempts: 1`) because a retried conditional put is
 * ambiguous: if the first attempt succeeded but its response was lost, the retry gets 412. We resolve that
 * by reading the object back and comparing bytes, so a lost response is never mistaken for a lost race.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { FileNotFoundError, StorageError } from '../errors.js';
import type { ByteRange, FileMeta, ListOptions, Storage } from './storage.js';

export interface RetryPolicy {
  /** Total attempts per operation, first one included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface S3StorageOptions {
  bucket: string;
  /** Key prefix acting as the root, without leading/trailing '/'. */
  prefix?: string;
  /** A configured client; otherwise one is built from `clientConfig` and the AWS environment. */
  client?: S3Client;
  clientConfig?: S3ClientConfig;
  retry?: Partial<RetryPolicy>;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 6, baseDelayMs: 50, maxDelayMs: 5_000 };

interface AwsError {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

function status(err: unknown): number | undefined {
  return (err as AwsError)?.$metadata?.httpStatusCode;
}

function errName(err: unknown): string {
  return (err as AwsError)?.name ?? (err as AwsError)?.Code ?? '';
}

/** Throttling, 5xx, 409 "conditional request in progress", and errors without a status (network). */
function isRetryable(err: unknown): boolean {
  const s = status(err);
  if (s === undefined) return !(err instanceof FileNotFoundError);
  if (s === 429 || s >= 500) return true;
  if (s === 409 && errName(err) === 'ConditionalRequestConflict') return true;
  return ['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'InternalError'].includes(
    errName(err),
  );
}

function isNotFound(err: unknown): boolean {
  const n = errName(err);
  return status(err) === 404 || n === 'NoSuchKey' || n === 'NotFound';
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export class S3Storage implements Storage {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  readonly location: string;
  private readonly retry: RetryPolicy;

  constructor(options: S3StorageOptions) {
    this.bucket = options.bucket;
    this.prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.client = options.client ?? new S3Client({ maxAttempts: 1, ...options.clientConfig });
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.location = `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ''}`;
  }

  private key(path: string): string {
    return this.prefix ? `${this.prefix}/${path}` : path;
  }

  private rel(key: string): string {
    return this.prefix ? key.slice(this.prefix.length + 1) : key;
  }

  /** Runs `op` with exponential backoff and full jitter; `onRetry` sees each retried failure. */
  private async withRetry<T>(
    what: string,
    op: () => Promise<T>,
    onRetry?: (err: unknown) => void,
  ): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await op();
      } catch (err) {
        if (err instanceof FileNotFoundError || !isRetryable(err) || attempt >= this.retry.maxAttempts) {
          if (err instanceof FileNotFoundError) throw err;
          throw new StorageError(`${what} failed after ${attempt} attempt(s): ${String(err)}`, {
            cause: err,
          });
        }
        onRetry?.(err);
        const cap = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
        await sleep(Math.random() * cap);
      }
    }
  }

  async get(path: string, range?: ByteRange): Promise<Uint8Array> {
    return this.withRetry(`GET s3://${this.bucket}/${this.key(path)}`, async () => {
      try {
        const res = await this.client.send(
          new GetObjectCommand({
            Bucket: this.bucket,
            Key: this.key(path),
            ...(range ? { Range: `bytes=${range.offset}-${range.offset + range.length - 1}` } : {}),
          }),
        );
        if (!res.Body) return new Uint8Array(0);
        return await res.Body.transformToByteArray();
      } catch (err) {
        if (isNotFound(err)) throw new FileNotFoundError(path);
        throw err;
      }
    });
  }

  async head(path: string): Promise<FileMeta | undefined> {
    return this.withRetry(`HEAD s3://${this.bucket}/${this.key(path)}`, async () => {
      try {
        const res = await this.client.send(
          new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(path) }),
        );
        return { path, size: res.ContentLength ?? 0, lastModified: res.LastModified?.getTime() ?? 0 };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    });
  }

  async list(prefix: string, options: ListOptions = {}): Promise<FileMeta[]> {
    const out: FileMeta[] = [];
    const limit = options.limit;
    if (limit !== undefined && limit <= 0) return out;
    let token: string | undefined;
    do {
      const page = await this.withRetry(`LIST s3://${this.bucket}/${this.key(prefix)}`, () =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.key(prefix),
            ...(options.recursive ? {} : { Delimiter: '/' }),
            ...(token ? { ContinuationToken: token } : {}),
            ...(options.startAfter !== undefined && !token
              ? { StartAfter: this.key(options.startAfter) }
              : {}),
            ...(limit !== undefined ? { MaxKeys: Math.min(1000, Math.max(1, limit - out.length)) } : {}),
          }),
        ),
      );
      for (const o of page.Contents ?? []) {
        if (!o.Key || o.Key.endsWith('/')) continue;
        out.push({ path: this.rel(o.Key), size: o.Size ?? 0, lastModified: o.LastModified?.getTime() ?? 0 });
        if (limit !== undefined && out.length >= limit) return out;
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return out;
  }

  async putIfAbsent(path: string, data: Uint8Array): Promise<boolean> {
    let ambiguous = false;
    return this.withRetry(
      `conditional PUT s3://${this.bucket}/${this.key(path)}`,
      async () => {
        try {
          await this.client.send(
            new PutObjectCommand({ Bucket: this.bucket, Key: this.key(path), Body: data, IfNoneMatch: '*' }),
          );
          return true;
        } catch (err) {
          if (status(err) !== 412) throw err;
          if (!ambiguous) return false;
          // An earlier attempt may have succeeded without us seeing the response: the bytes decide.
          const existing = await this.get(path);
          return sameBytes(existing, data);
        }
      },
      (err) => {
        // 409 means the server rejected this attempt before writing; anything else may have written.
        if (!(status(err) === 409 && errName(err) === 'ConditionalRequestConflict')) ambiguous = true;
      },
    );
  }

  async put(path: string, data: Uint8Array): Promise<void> {
    await this.withRetry(`PUT s3://${this.bucket}/${this.key(path)}`, () =>
      this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(path), Body: data })),
    );
  }

  async delete(path: string): Promise<void> {
    await this.withRetry(`DELETE s3://${this.bucket}/${this.key(path)}`, async () => {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(path) }));
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    });
  }

  keyForUri(uri: string): string | undefined {
    const m = /^s3[an]?:\/\/([^/]+)\/(.*)$/.exec(uri);
    if (!m || m[1] !== this.bucket) return undefined;
    const key = m[2] ?? '';
    if (!this.prefix) return key;
    return key.startsWith(`${this.prefix}/`) ? key.slice(this.prefix.length + 1) : undefined;
  }
}
