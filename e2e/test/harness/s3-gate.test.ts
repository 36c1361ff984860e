/**
 * The fault gate in front of the stack's S3 server: held requests really are held (before S3 or after its answer),
 * unmatched traffic passes, and a released request completes — or the fault tests would kill processes at the wrong
 * moment without knowing it.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { runName } from '../../src/harness/pipeline.js';
import { deletePrefix, endpointsOf, s3Client } from '../../src/harness/s3.js';
import { S3Gate } from '../../src/harness/s3-gate.js';
import { stackEnv } from '../../src/stack.js';

const endpoints = endpointsOf(stackEnv());
const { bucket } = endpoints.s3;
const prefix = `e2e/${runName('gate')}`;
const direct = s3Client(endpoints);
const gates: S3Gate[] = [];

async function gated(): Promise<{ gate: S3Gate; s3: S3Client }> {
  const gate = await S3Gate.start(endpoints.s3.endpoint);
  gates.push(gate);
  return { gate, s3: s3Client({ ...endpoints, s3: { ...endpoints.s3, endpoint: gate.endpoint } }) };
}

const exists = (Key: string) =>
  direct.send(new HeadObjectCommand({ Bucket: bucket, Key })).then(
    () => true,
    () => false,
  );

afterAll(async () => {
  await Promise.all(gates.map((g) => g.close()));
  await deletePrefix(direct, bucket, `${prefix}/`);
});

describe('S3Gate', () => {
  it('passes requests through', async () => {
    const { s3 } = await gated();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/a`, Body: 'hello' }));
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${prefix}/a` }));
    expect(await out.Body?.transformToString()).toBe('hello');
  });

  it('holds a matching request before S3 sees it, until released', async () => {
    const { gate, s3 } = await gated();
    const Key = `${prefix}/_delta_log/00000000000000000000.json`;
    const held = gate.hold(/^PUT \S*_delta_log\/\d{20}\.json(\?|$)/, 'request');
    const put = s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: '{}', IfNoneMatch: '*' }));
    const h = await held;
    expect(h.path).toContain('_delta_log/00000000000000000000.json');
    expect(await exists(Key)).toBe(false);
    h.release();
    await put;
    expect(await exists(Key)).toBe(true);
  });

  it('holds the answer of a matching request after S3 wrote it', async () => {
    const { gate, s3 } = await gated();
    const Key = `${prefix}/data/part-0.parquet`;
    const held = gate.hold(/^PUT \S*\.parquet(\?|$)/, 'response');
    let answered = false;
    const put = s3
      .send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.alloc(64 * 1024, 1) }))
      .then(() => {
        answered = true;
      });
    const h = await held;
    expect(await exists(Key)).toBe(true);
    expect(answered).toBe(false);
    h.release();
    await put;
    expect(answered).toBe(true);
  });
});
