import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { StackEnv } from '../stack.js';
import type { Endpoints } from './services.js';

export function endpointsOf(env: StackEnv): Endpoints {
  return { kafkaBrokers: env.kafkaBrokers, s3: env.s3, redisUrl: env.redisUrl };
}

export function s3Client(endpoints: Endpoints): S3Client {
  const { s3 } = endpoints;
  return new S3Client({
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
  });
}

/** Deletes every object under a prefix (a passing test's tables; a failing test keeps them for a look). */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string): Promise<void> {
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (keys.length === 0) return;
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
  }
}
