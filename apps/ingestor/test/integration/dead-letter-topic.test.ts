/**
 * The dead-letter topic against the real Kafka of the local stack: created at start-up with the configured
 * partitions and retention when it is missing, left alone when it exists, and when it can be neither found nor
 * created the ingestor process refuses to start with one line on stderr that says how to create it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ConfigResourceTypes } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDeadLetterTopic, StartupError } from '../../src/kafka/dead-letter-topic.js';
import { stackEnv, testKafka, uniqueName } from '../support/stack.js';

const env = stackEnv();
const admin = testKafka(env).admin();
const quiet = pino({ level: 'silent' });
const created: string[] = [];

beforeAll(async () => {
  await admin.connect();
});
afterAll(async () => {
  if (created.length > 0) await admin.deleteTopics({ topics: created }).catch(() => undefined);
  await admin.disconnect();
});

const settings = (topic: string) => ({
  topic,
  create: true,
  partitions: 2,
  replicationFactor: 0,
  retentionMs: 123_456_789,
});

describe('the dead-letter topic', { timeout: 120_000 }, () => {
  it('is created with the configured partitions and retention, once', async () => {
    const topic = uniqueName('it-dlq-');
    created.push(topic);
    expect(await ensureDeadLetterTopic(admin, settings(topic), quiet)).toBe('created');
    const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
    expect(meta?.partitions.length).toBe(2);
    const { resources } = await admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['retention.ms'] }],
      includeSynonyms: false,
    });
    expect(resources[0]?.configEntries.find((c) => c.configName === 'retention.ms')?.configValue).toBe(
      '123456789',
    );
    // an existing topic is left as it is, whatever the settings say now
    expect(await ensureDeadLetterTopic(admin, { ...settings(topic), partitions: 5 }, quiet)).toBe('exists');
    expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length).toBe(2);
  });

  it('several ingestors starting together: one creates it, the others find it', async () => {
    const topic = uniqueName('it-dlq-race-');
    created.push(topic);
    const outcomes = await Promise.all(
      [1, 2, 3].map(() => ensureDeadLetterTopic(admin, settings(topic), quiet)),
    );
    expect(outcomes.filter((o) => o === 'created').length).toBe(1);
    expect((await admin.listTopics()).includes(topic)).toBe(true);
  });

  it('missing and not to be created, or refused by the brokers: one line saying how to create it', async () => {
    const topic = uniqueName('it-dlq-missing-');
    await expect(ensureDeadLetterTopic(admin, { ...settings(topic), create: false }, quiet)).rejects.toThrow(
      new StartupError(
        `dead-letter topic "${topic}" does not exist and KAFKA_DLQ_CREATE is false: create it (kafka-topics.sh --create --topic ${topic} --partitions 2 --config retention.ms=123456789) and start again`,
      ),
    );
    // The stack has one broker: a replication factor of 3 is refused by Kafka itself.
    const refused = ensureDeadLetterTopic(admin, { ...settings(topic), replicationFactor: 3 }, quiet);
    await expect(refused).rejects.toThrow(StartupError);
    await expect(refused).rejects.toThrow(
      /^dead-letter topic "it-dlq-missing-\w+" does not exist and could not be created \(INVALID_REPLICATION_FACTOR\): create it \(kafka-topics\.sh --create .* --replication-factor 3 .*\) or let the ingestor's Kafka principal create topics, and start again$/,
    );
    expect(await admin.listTopics()).not.toContain(topic);
  });

  it('the process refuses to start with that line on stderr and exit code 1', async () => {
    const topic = uniqueName('it-dlq-process-');
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('../../src/main.ts', import.meta.url))],
      {
        cwd: fileURLToPath(new URL('../..', import.meta.url)),
        env: {
          PATH: process.env.PATH ?? '',
          KAFKA_BOOTSTRAP_SERVERS: env.KAFKA_BOOTSTRAP_SERVERS,
          KAFKA_CONSUMER_GROUP: uniqueName('it-dlq-group-'),
          KAFKA_TOPIC_PATTERN: 'it-dlq-nothing-.*',
          KAFKA_DLQ_TOPIC: topic,
          KAFKA_DLQ_CREATE: 'false',
          MINIO_ENDPOINT: env.DW_S3_ENDPOINT,
          MINIO_ACCESS_KEY: env.AWS_ACCESS_KEY_ID,
          MINIO_SECRET_KEY: env.AWS_SECRET_ACCESS_KEY,
          MINIO_BUCKET: env.DW_S3_BUCKET,
          COMMITTER_ADDRESSES: '127.0.0.1:1',
          COMMITTER_TOKEN: 'unused-token-of-a-test',
          METRICS_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
          LOG_LEVEL: 'error',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const [code] = await once(child, 'exit');
    expect(code, stderr).toBe(1);
    // kafkajs 2.2.4 may print a Node TimeoutNegativeWarning (its request queue) first; the refusal is one line.
    const lines = stderr.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('ingestor'))).toEqual([
      `ingestor cannot start: dead-letter topic "${topic}" does not exist and KAFKA_DLQ_CREATE is false: create it (kafka-topics.sh --create --topic ${topic} --partitions 3 --config retention.ms=2592000000) and start again`,
    ]);
    expect(lines.at(-1)).toMatch(/^ingestor cannot start: /);
  });
});
