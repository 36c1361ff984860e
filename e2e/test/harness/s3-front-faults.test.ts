/**
 * The S3 front's injected answers, against the stack's S3 server: an error before S3 sees the request leaves
 * nothing written, an error after S3 carried it out leaves the write done while the client is told it failed, a
 * slow answer arrives late and whole, and with no fault set everything passes. The nemesis relies on each being
 * what it says, or its S3 faults would test something else than they report.
 */
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { DELTA_COMMIT_PUT } from '../../src/faults/processes.js';
import { runName } from '../../src/harness/pipeline.js';
import { deletePrefix, endpointsOf, s3Client } from '../../src/harness/s3.js';
import { S3Front } from '../../src/harness/s3-front.js';
import { stackEnv } from '../../src/stack.js';

const endpoints = endpointsOf(stackEnv());
const { bucket } = endpoints.s3;
const prefix = `e2e/${runName('front')}`;
const direct = s3Client(endpoints);
const fronts: S3Front[] = [];

/** A front in pass mode and a client through it that makes one attempt per request (no SDK retries). */
async function fronted(): Promise<{ front: S3Front; s3: S3Client }> {
  const front = await S3Front.start(endpoints.s3.endpoint, endpoints.s3, 'pass');
  fronts.push(front);
  const { s3 } = endpoints;
  return {
    front,
    s3: new S3Client({
      endpoint: front.endpoint,
      region: s3.region,
      forcePathStyle: true,
      maxAttempts: 1,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    }),
  };
}

const exists = (Key: string) =>
  direct.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
    () => true,
    () => false,
  );

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as S3ServiceException,
  );

afterAll(async () => {
  await Promise.all(fronts.map((f) => f.close()));
  await deletePrefix(direct, bucket, `${prefix}/`);
});

describe('S3Front faults', () => {
  it('503 SlowDown before S3: nothing is written', async () => {
    const { front, s3 } = await fronted();
    front.faults = { error: { status: 503, rate: 1, phase: 'before' } };
    const err = await failure(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/a`, Body: 'x' })),
    );
    expect(err).toBeInstanceOf(S3ServiceException);
    expect(err?.name).toBe('SlowDown');
    expect(err?.$metadata.httpStatusCode).toBe(503);
    expect(await exists(`${prefix}/a`)).toBe(false);
    expect(front.injected.errors).toBe(1);
  });

  it('500 after S3: the write happened, the client was told it failed', async () => {
    const { front, s3 } = await fronted();
    front.faults = { error: { status: 500, rate: 1, phase: 'after' } };
    const err = await failure(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/b`, Body: 'y' })),
    );
    expect(err?.name).toBe('InternalError');
    expect(err?.$metadata.httpStatusCode).toBe(500);
    expect(await exists(`${prefix}/b`)).toBe(true);
  });

  it('errors only on the requests matched (Delta commits), and at the rate set', async () => {
    const { front, s3 } = await fronted();
    const commit = `${prefix}/t/_delta_log/${'7'.padStart(20, '0')}.json`;
    front.faults = { error: { status: 503, rate: 1, phase: 'before', match: DELTA_COMMIT_PUT } };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/t/part-0.parquet`, Body: 'p' }));
    expect(
      await failure(s3.send(new PutObjectCommand({ Bucket: bucket, Key: commit, Body: '{}' }))),
    ).toBeDefined();
    expect(await exists(commit)).toBe(false);
    // rate 0.5 with a fixed luck sequence: failed, passed, failed, passed
    let draw = 0;
    front.random = () => [0.1, 0.9][draw++ % 2] as number;
    front.faults = { error: { status: 503, rate: 0.5, phase: 'before' } };
    const outcomes: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const put = s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/r${i}`, Body: 'r' }));
      outcomes.push((await failure(put)) === undefined);
    }
    expect(outcomes).toEqual([false, true, false, true]);
  });

  it('a hung request was carried out and is never answered: only the client timeout ends it', async () => {
    const { front } = await fronted();
    const { s3: creds } = endpoints;
    const s3 = new S3Client({
      endpoint: front.endpoint,
      region: creds.region,
      forcePathStyle: true,
      maxAttempts: 1,
      requestHandler: { requestTimeout: 1_000, throwOnRequestTimeout: true },
      credentials: { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey },
    });
    front.faults = { hang: { rate: 1 } };
    const t0 = Date.now();
    const err = await failure(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/h`, Body: 'h' })),
    );
    expect(err?.name).toBe('TimeoutError');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(await exists(`${prefix}/h`)).toBe(true);
    expect(front.injected.hung).toBe(1);
    front.faults = {};
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/h2`, Body: 'h' }));
  });

  it('a slow answer arrives late and whole', async () => {
    const { front, s3 } = await fronted();
    await direct.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/slow`, Body: 'z'.repeat(100_000) }),
    );
    front.faults = { slow: { delayMs: 1_500, rate: 1 } };
    const t0 = Date.now();
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/slow` }));
    const body = await out.Body?.transformToString();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_450);
    expect(body).toBe('z'.repeat(100_000));
    expect(front.injected.slow).toBe(1);
    front.faults = {};
    const again = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/slow` }));
    await again.Body?.transformToString(); // read to the end: closing the front mid-body would abort it
    expect(front.injected.slow).toBe(1);
  });
});
