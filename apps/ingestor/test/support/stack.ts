/**
 * The local stack for integration tests: endpoints from the environment (as `./dw test` exports them) or, when run
 * alone, from `.data/stack/env`. A missing endpoint fails the test with one line naming the variable — never a skip.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import type { IngestorConfig } from '../../src/config/load.js';
import { repoRoot } from './paths.js';

const NEEDED = [
  'KAFKA_BOOTSTRAP_SERVERS',
  'DW_S3_ENDPOINT',
  'DW_S3_BUCKET',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
] as const;
type StackEnv = Record<(typeof NEEDED)[number], string>;

export function stackEnv(): StackEnv {
  const file = join(repoRoot, '.data', 'stack', 'env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  const env: Partial<StackEnv> = {};
  for (const name of NEEDED) {
    const v = process.env[name] || fromFile[name];
    if (!v) throw new Error(`local stack not available: ${name} is not set (run ./dw stack up)`);
    env[name] = v;
  }
  return env as StackEnv;
}

export function testKafka(env = stackEnv()): Kafka {
  return new Kafka({
    clientId: 'ingestor-tests',
    brokers: env.KAFKA_BOOTSTRAP_SERVERS.split(','),
    logLevel: logLevel.NOTHING,
  });
}

export function testS3(env = stackEnv()): S3Client {
  return new S3Client({
    endpoint: env.DW_S3_ENDPOINT,
    region: env.AWS_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

export async function getObject(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await r.Body?.transformToByteArray()) ?? new Uint8Array();
}

/** A unique name per test run, so runs never see each other's topics, groups or tables. */
export function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

/** Ingestor configuration for the stack, with small flush thresholds so tests see commits quickly. */
export function ingestorConfig(
  env: StackEnv,
  o: {
    group: string;
    pattern: RegExp;
    basePath: string;
    committer: string;
    /** The committer's token, when the test runs the real committer (which requires one). */
    token?: string;
    dlqTopic: string;
    overrides?: Partial<IngestorConfig>;
  },
): IngestorConfig {
  return {
    ingestorId: `test-${o.group}`,
    kafka: {
      brokers: env.KAFKA_BOOTSTRAP_SERVERS.split(','),
      clientId: 'ingestor-it',
      groupId: o.group,
      topicPattern: o.pattern,
      fromBeginning: true,
      maxPollRecords: 500,
      sessionTimeoutMs: 10_000,
      ssl: false,
      dlqTopic: o.dlqTopic,
      dlq: { create: true, partitions: 1, replicationFactor: 0, retentionMs: 86_400_000 },
      dlqMaxAttempts: 20,
    },
    s3: {
      endpoint: env.DW_S3_ENDPOINT,
      region: env.AWS_REGION,
      bucket: env.DW_S3_BUCKET,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
      partBytes: 5 * 1024 * 1024,
    },
    delta: {
      basePath: o.basePath,
      routes: {},
      writeMode: 'append',
      partialUpdates: 'skip',
      partitionBy: [],
      schemaCacheTtlMs: 60_000,
      compression: 'zstd',
    },
    committer: {
      addresses: [o.committer],
      ...(o.token && { token: o.token }),
      tls: false,
      timeoutMs: 10_000,
    },
    flush: { maxBytes: 1 << 20, maxRows: 200, maxAgeMs: 500 },
    memoryBudgetBytes: 64 * 1024 * 1024,
    maxRecordBytes: 64 * 1024,
    recordLimits: { maxDocumentFields: 10_000, maxDepth: 100, maxBatchColumns: 10_000 },
    encoderThreads: 1,
    encoderChunkBytes: 8 * 1024 * 1024,
    encoderHeapLimitBytes: 128 * 1024 * 1024,
    logLevel: 'warn',
    memoryReleaseIntervalMs: 0,
    metricsPort: 0,
    shutdownTimeoutMs: 20_000,
    ...o.overrides,
  };
}
