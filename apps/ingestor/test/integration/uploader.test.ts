/** Uploads against the real S3 server of the local stack: single PUT, multipart above the part size, retries. */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUploader } from '../../src/storage/uploader.js';
import { MuteLink } from '../support/mute-link.js';
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

  it('an upload whose answer never comes times out and is tried again (the nemesis: S3 that never answers)', async () => {
    const link = await MuteLink.start(env.DW_S3_ENDPOINT);
    const uploader = createUploader({
      ...options,
      endpoint: link.url,
      timeouts: { connectionMs: 2_000, requestMs: 10_000, silenceMs: 1_500 },
    });
    const body = randomBytes(2_000);
    link.muted = true;
    const started = Date.now();
    // answers flow again (on new connections) once the first attempt has lost its answer
    const unmute = setInterval(() => {
      if (link.dropped > 0) link.muted = false;
    }, 20);
    try {
      await uploader.put(`${prefix}/unanswered.parquet`, body);
    } finally {
      clearInterval(unmute);
      uploader.close();
      await link.close();
    }
    expect(link.dropped).toBeGreaterThan(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    const s3 = testS3(env);
    expect(
      Buffer.from(await getObject(s3, env.DW_S3_BUCKET, `${prefix}/unanswered.parquet`)).equals(body),
    ).toBe(true);
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
