import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactSecrets } from '@delta-writer/service-kit';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load.js';

const emptyDir = () => mkdtempSync(join(tmpdir(), 'ingestor-config-'));
const minimal = {
  KAFKA_BOOTSTRAP_SERVERS: 'k1:9092, k2:9092',
  MINIO_BUCKET: 'lake',
  COMMITTER_ADDRESSES: 'committer:50051',
};
const load = (env: Record<string, string | undefined>, cwd = emptyDir()) => loadConfig({ env, cwd });
const errorOf = (env: Record<string, string | undefined>, cwd?: string): ConfigError => {
  try {
    load(env, cwd);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = load(minimal);
    expect(c.kafka.brokers).toEqual(['k1:9092', 'k2:9092']);
    expect(c.kafka.groupId).toBe('delta-writer');
    expect(c.metricsPort).toBe(8001);
    expect(c.delta.basePath).toBe('delta');
    expect(c.delta.compression).toBe('zstd');
    expect(c.flush.maxBytes).toBe(32 * 1024 * 1024);
    expect(c.kafka.ssl).toBe(false);
    expect(c.kafka.sasl).toBeUndefined();
    expect(c.s3.credentials).toBeUndefined();
  });

  it('matches KAFKA_TOPIC_PATTERN against the whole topic name, like Java subscribe(Pattern)', () => {
    const { topicPattern } = load(minimal).kafka;
    expect(topicPattern.test('mongodb.inventory.orders')).toBe(true);
    expect(topicPattern.test('x.mongodb.inventory')).toBe(false);
    const custom = load({ ...minimal, KAFKA_TOPIC_PATTERN: 'cdc\\.(a|b)' }).kafka.topicPattern;
    expect(custom.test('cdc.a')).toBe(true);
    expect(custom.test('cdc.ab')).toBe(false);
  });

  it('parses sizes with units, booleans, lists and route maps', () => {
    const c = load({
      ...minimal,
      FLUSH_MAX_BYTES: '8MiB',
      MEMORY_BUDGET_BYTES: '300MB',
      KAFKA_SSL: 'true',
      DELTA_PARTITION_BY: 'region, day',
      DELTA_TABLE_ROUTES: 'mongodb.a.b=custom/t1, other=t2',
      DELTA_TABLE_BASE_PATH: '/warehouse/cdc/',
      KAFKA_AUTO_OFFSET_RESET: 'latest',
    });
    expect(c.flush.maxBytes).toBe(8 * 1024 * 1024);
    expect(c.memoryBudgetBytes).toBe(300_000_000);
    expect(c.kafka.ssl).toEqual({});
    expect(c.delta.partitionBy).toEqual(['region', 'day']);
    expect(c.delta.routes).toEqual({ 'mongodb.a.b': 'custom/t1', other: 't2' });
    expect(c.delta.basePath).toBe('warehouse/cdc');
    expect(c.kafka.fromBeginning).toBe(false);
  });

  it('takes 0 where the documentation says 0 turns a size off, and only there', () => {
    expect(load({ ...minimal, FLUSH_BACKLOG_BYTES: '0' }).flush.backlogBytes).toBe(0);
    expect(errorOf({ ...minimal, FLUSH_MAX_BYTES: '0' }).message).toContain('must be positive');
  });

  it('names a missing required variable', () => {
    const e = errorOf({ MINIO_BUCKET: 'lake', COMMITTER_ADDRESSES: 'c:1' });
    expect(e.variable).toBe('KAFKA_BOOTSTRAP_SERVERS');
    expect(e.message).toBe('invalid configuration: KAFKA_BOOTSTRAP_SERVERS is required but not set');
  });

  it('names the variable and the bad value in one line', () => {
    const e = errorOf({ ...minimal, METRICS_PORT: 'eighty' });
    expect(e.variable).toBe('METRICS_PORT');
    expect(e.message).toContain('"eighty"');
    expect(e.message).not.toContain('\n');
    expect(errorOf({ ...minimal, METRICS_PORT: '70000' }).message).toContain('at most 65535');
    expect(errorOf({ ...minimal, KAFKA_AUTO_OFFSET_RESET: 'smallest' }).message).toContain(
      'earliest, latest',
    );
    expect(errorOf({ ...minimal, KAFKA_TOPIC_PATTERN: '(' }).message).toContain(
      'not a valid regular expression',
    );
    expect(errorOf({ ...minimal, FLUSH_MAX_BYTES: 'lots' }).variable).toBe('FLUSH_MAX_BYTES');
    expect(errorOf({ ...minimal, MINIO_ENDPOINT: 'minio:9000' }).variable).toBe('MINIO_ENDPOINT');
  });

  it('lists further invalid variables on the same line', () => {
    const e = errorOf({ ...minimal, METRICS_PORT: 'x', FLUSH_MAX_ROWS: '-1' });
    expect(e.message).toMatch(/FLUSH_MAX_ROWS/);
    expect(e.message).not.toContain('\n');
  });

  it('never echoes a secret value', () => {
    const secret = 'hunter2-very-secret';
    const e = errorOf({
      ...minimal,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: secret,
      METRICS_PORT: secret,
    });
    expect(e.variable).toBe('METRICS_PORT');
    const c = load({
      ...minimal,
      KAFKA_SASL_MECHANISM: 'plain',
      KAFKA_SASL_USERNAME: 'u',
      KAFKA_SASL_PASSWORD: secret,
      MINIO_ACCESS_KEY: 'ak',
      MINIO_SECRET_KEY: secret,
      COMMITTER_TOKEN: secret,
    });
    expect(JSON.stringify(redactSecrets(c))).not.toContain(secret);
  });

  it('checks settings that only make sense together', () => {
    expect(errorOf({ ...minimal, MINIO_ACCESS_KEY: 'a' }).variable).toBe('MINIO_SECRET_KEY');
    expect(
      errorOf({ ...minimal, KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'u' }).variable,
    ).toBe('KAFKA_SASL_PASSWORD');
    expect(errorOf({ ...minimal, UPLOAD_PART_BYTES: '1MiB' }).variable).toBe('UPLOAD_PART_BYTES');
    expect(
      errorOf({ ...minimal, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/nonexistent/ca.pem' }).variable,
    ).toBe('KAFKA_SSL_CA_FILE');
  });

  it('accepts the mirror write modes and their partial-update setting', () => {
    expect(load(minimal).delta).toMatchObject({ writeMode: 'append', partialUpdates: 'skip' });
    for (const mode of ['upsert', 'both'] as const)
      expect(load({ ...minimal, DELTA_WRITE_MODE: mode }).delta.writeMode).toBe(mode);
    expect(
      load({ ...minimal, DELTA_WRITE_MODE: 'upsert', DELTA_MIRROR_PARTIAL_UPDATES: 'apply' }).delta
        .partialUpdates,
    ).toBe('apply');
    expect(errorOf({ ...minimal, DELTA_WRITE_MODE: 'merge' }).message).toContain(
      'DELTA_WRITE_MODE must be one of append, upsert, both',
    );
    expect(errorOf({ ...minimal, DELTA_MIRROR_PARTIAL_UPDATES: 'guess' }).variable).toBe(
      'DELTA_MIRROR_PARTIAL_UPDATES',
    );
  });

  it('reads the files it names through the given reader (offline checks pass a stub)', () => {
    const read: string[] = [];
    const c = loadConfig({
      env: { ...minimal, KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: '/etc/kafka/ca.pem' },
      cwd: emptyDir(),
      readFile: (path) => {
        read.push(path);
        return Buffer.from('KAFKA CA');
      },
    });
    expect(c.kafka.ssl).toEqual({ ca: 'KAFKA CA' });
    expect(read).toEqual(['/etc/kafka/ca.pem']);
  });

  it('treats empty values as unset', () => {
    expect(load({ ...minimal, METRICS_PORT: '', LOG_LEVEL: '' }).metricsPort).toBe(8001);
  });

  it('reads secrets from <NAME>_FILE and the mutual-TLS client files, and keeps them out of logs', () => {
    const dir = emptyDir();
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const c = load({
      ...minimal,
      MINIO_ACCESS_KEY: 'ak',
      MINIO_SECRET_KEY_FILE: file('s3', 'from-a-mounted-secret\n'),
      COMMITTER_TOKEN_FILE: file('token', 'token-from-file'),
      COMMITTER_TLS: 'true',
      COMMITTER_TLS_CA_FILE: file('ca.pem', 'CA PEM'),
      COMMITTER_TLS_CERT_FILE: file('client.pem', 'CLIENT PEM'),
      COMMITTER_TLS_KEY_FILE: file('client.key', 'CLIENT KEY'),
      COMMITTER_TLS_SERVER_NAME: 'committer.deltawriter.svc',
    });
    expect(c.s3.credentials?.secretAccessKey).toBe('from-a-mounted-secret');
    expect(c.committer.token).toBe('token-from-file');
    expect(c.committer.tls).toEqual({
      ca: 'CA PEM',
      cert: 'CLIENT PEM',
      key: 'CLIENT KEY',
      serverName: 'committer.deltawriter.svc',
    });
    const logged = JSON.stringify(redactSecrets(c));
    for (const hidden of ['from-a-mounted-secret', 'token-from-file', 'CLIENT KEY', 'CLIENT PEM'])
      expect(logged).not.toContain(hidden);

    expect(
      errorOf({ ...minimal, COMMITTER_TOKEN: 'x', COMMITTER_TOKEN_FILE: file('t2', 'y') }).message,
    ).toContain('COMMITTER_TOKEN_FILE and COMMITTER_TOKEN are both set');
    expect(errorOf({ ...minimal, COMMITTER_TOKEN_FILE: file('empty', '\n') }).variable).toBe(
      'COMMITTER_TOKEN_FILE',
    );
    expect(errorOf({ ...minimal, COMMITTER_TOKEN_FILE: join(dir, 'nope') }).variable).toBe(
      'COMMITTER_TOKEN_FILE',
    );
    expect(
      errorOf({ ...minimal, COMMITTER_TLS: 'true', COMMITTER_TLS_CERT_FILE: file('c2.pem', 'x') }).variable,
    ).toBe('COMMITTER_TLS_KEY_FILE');
  });

  it('reads .env when present, with the process environment winning', () => {
    const dir = emptyDir();
    writeFileSync(
      join(dir, '.env'),
      'KAFKA_BOOTSTRAP_SERVERS=from-file:9092\nMINIO_BUCKET=lake\n# comment\nMETRICS_PORT=9100\n',
    );
    const c = load({ COMMITTER_ADDRESSES: 'c:1', METRICS_PORT: '9200' }, dir);
    expect(c.kafka.brokers).toEqual(['from-file:9092']);
    expect(c.metricsPort).toBe(9200);
    writeFileSync(join(dir, 'other.env'), 'MINIO_BUCKET=other\n');
    expect(load({ ...minimal, MINIO_BUCKET: undefined, ENV_FILE: 'other.env' }, dir).s3.bucket).toBe('other');
    expect(errorOf({ ...minimal, ENV_FILE: 'missing.env' }, dir).variable).toBe('ENV_FILE');
  });
});
