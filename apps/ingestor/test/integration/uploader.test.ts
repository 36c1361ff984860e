/** Uploads against the real S3 server of the local stack: single PUT, multipart above the part size, retries. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUploader } from '../../src/storage/uploader.js';
import { getObject, stackEnv, testS3, uniqueName } from '../support/stack.js';

// Real Kafka, S3 and child processes on a shared 2-core machine: waits inside the tests bound each step.
describe('S3 uploader', { timeout: 300_000 }, () => {
  const env = stackEnv();
  const options = {
    bucket: env.DW_S3_BUCKET,
    endpoint: env.DW_S3_ENDPOINT,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    partBytes: 5 * 1024 * 1024,
  };
  const prefix = `it/${uniqueName('upload')}`;

  it('puts small files in one request and large ones in parts, byte for byte', async () => {
    const uploader = createUploader(options);
    const small = randomBytes(1000);
    const large = randomBytes(12 * 1024 * 1024 + 17); // three parts
    await uploader.put(`${prefix}/small.parquet`, small);
    await uploader.put(`${prefix}/large.parquet`, large);
    const s3 = testS3(env);
    expect(Buffer.from(await getObject(s3, env.DW_S3_BUCKET, `${prefix}/small.parquet`)).equals(small)).toBe(
      true,
    );
    expect(Buffer.from(await getObject(s3, env.DW_S3_BUCKET, `${prefix}/large.parquet`)).equals(large)).toBe(
      true,
    );
    uploader.close();
  });

  it('retries with backoff and reports each retry, then gives up after its attempts', async () => {
    const retries: number[] = [];
    const uploader = createUploader({
      ...options,
      endpoint: 'http://127.0.0.1:1', // nothing listens: every attempt fails
      retry: { attempts: 3, initialMs: 10, maxMs: 20 },
      onRetry: (_e, attempt) => retries.push(attempt),
    });
    await expect(uploader.put(`${prefix}/never.parquet`, randomBytes(10))).rejects.toThrow();
    expect(retries).toEqual([1, 2]);
    uploader.close();
  });

  it('stops retrying when its partition is revoked', async () => {
    const uploader = createUploader({
      ...options,
      endpoint: 'http://127.0.0.1:1',
      retry: { attempts: 100, initialMs: 50, maxMs: 50 },
    });
    const controller = new AbortController();
    const put = uploader.put(`${prefix}/revoked.parquet`, randomBytes(10), controller.signal);
    setTimeout(() => controller.abort(new Error('revoked')), 200);
    await expect(put).rejects.toThrow('revoked');
    uploader.close();
  });
});
