/** The ingestor's configuration and its Kafka client's log entries never reveal a secret in a log line. */
import { Writable } from 'node:stream';
import { createLogger, redactSecrets } from '@delta-writer/service-kit';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { kafkaConfig } from '../../src/kafka/client.js';

const SECRETS = ['sasl-pass-1234', 'minio-secret-5678', 'committer-token-9012'];

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return {
    logger: createLogger({ level: 'trace', service: 'ingestor', base: { ingestorId: 'i' } }, stream),
    text: () => lines.join(''),
  };
}

describe('logging never reveals secrets', () => {
  const config = loadConfig({
    env: {
      KAFKA_BOOTSTRAP_SERVERS: 'k:9092',
      MINIO_BUCKET: 'lake',
      COMMITTER_ADDRESSES: 'c:1',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'user',
      KAFKA_SASL_PASSWORD: SECRETS[0],
      MINIO_ACCESS_KEY: 'access',
      MINIO_SECRET_KEY: SECRETS[1],
      COMMITTER_TOKEN: SECRETS[2],
    },
    cwd: '/nonexistent',
  });

  it('logs the configuration through redactSecrets only', () => {
    const { logger, text } = capture();
    logger.info({ config: redactSecrets(config) }, 'starting');
    for (const s of SECRETS) expect(text()).not.toContain(s);
    expect(text()).toContain('"username":"user"');
  });

  it('censors secrets logged by accident, at any depth the redaction covers', () => {
    const { logger, text } = capture();
    logger.info({ config }, 'the raw config');
    logger.info({ sasl: config.kafka.sasl }, 'sasl');
    logger.info({ credentials: config.s3.credentials, committer: config.committer }, 'clients');
    logger.info({ token: SECRETS[2], password: SECRETS[0] }, 'top level');
    for (const s of SECRETS) expect(text()).not.toContain(s);
    expect(text()).toContain('[redacted]');
  });

  it('keeps secrets out of kafkajs log entries routed through pino', () => {
    const { logger, text } = capture();
    const kafka = kafkaConfig(config.kafka, logger);
    const log = kafka.logCreator?.(4);
    log?.({
      namespace: 'Connection',
      level: 4,
      label: 'INFO',
      log: {
        message: 'SASL authentication',
        timestamp: '',
        sasl: { mechanism: 'scram-sha-512', username: 'user', password: SECRETS[0] },
      },
    });
    expect(text()).toContain('SASL authentication');
    expect(text()).not.toContain(SECRETS[0]);
  });
});
