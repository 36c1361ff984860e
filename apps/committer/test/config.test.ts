import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { renderConfigReference, spliceReference } from '../src/config/reference.js';

const TOKEN = 'config-test-token-0123456789';
const minimal = { REDIS_URL: 'redis://127.0.0.1:6379', MINIO_BUCKET: 'lake', COMMITTER_TOKEN: TOKEN };
const { COMMITTER_TOKEN: _token, ...anonymous } = minimal;
const fail = (env: Record<string, string>) => {
  try {
    loadConfig(env, () => {
      throw Object.assign(new Error('nope'), { code: 'ENOENT' });
    });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('runs on defaults plus the three required variables', () => {
    const c = loadConfig(minimal);
    expect(c.grpc.port).toBe(50051);
    expect(c.metricsPort).toBe(8002);
    expect(c.storage.tableRootUri).toBe('s3://lake/delta/');
    expect(c.grpc.tokens).toEqual([TOKEN]);
    expect(c.grpc.auth).toEqual({
      tokens: [{ token: TOKEN, id: 'token:COMMITTER_TOKEN' }],
      mutualTls: false,
      insecure: false,
    });
    expect(c.tables.maxOffsetGap).toBe(1_000_000);
    expect(c.instanceId).not.toBe(loadConfig(minimal).instanceId);
  });

  it('refuses to start without authentication unless COMMITTER_INSECURE says so', () => {
    expect(fail(anonymous)).toMatch(
      /^invalid configuration: COMMITTER_TOKEN is required: the committer does not accept anonymous writes/,
    );
    expect(fail({ ...anonymous, COMMITTER_INSECURE: 'false' })).toMatch(/COMMITTER_TOKEN is required/);
    const open = loadConfig({ ...anonymous, COMMITTER_INSECURE: 'true' });
    expect(open.grpc.auth).toEqual({ tokens: [], mutualTls: false, insecure: true });
    // with a credential the flag changes nothing
    expect(loadConfig({ ...minimal, COMMITTER_INSECURE: 'true' }).grpc.auth.insecure).toBe(false);
    // mutual TLS alone authenticates (the client CA verifies every caller)
    const pems: Record<string, string> = { '/c.pem': 'cert', '/k.pem': 'key', '/ca.pem': 'ca' };
    const mtls = loadConfig(
      {
        ...anonymous,
        COMMITTER_TLS_CERT_FILE: '/c.pem',
        COMMITTER_TLS_KEY_FILE: '/k.pem',
        COMMITTER_TLS_CLIENT_CA_FILE: '/ca.pem',
        COMMITTER_CLIENT_SCOPES: '{"CN=ingestor-shop":["s3://lake/delta/shop/"]}',
      },
      (path) => Buffer.from(pems[path] ?? ''),
    );
    expect(mtls.grpc.auth.mutualTls).toBe(true);
    expect([...(mtls.grpc.auth.clientScopes ?? [])]).toEqual([
      ['CN=ingestor-shop', ['s3://lake/delta/shop']],
    ]);
  });

  it('reads scoped tokens: a name for logs that is not the token, prefixes under the table root', () => {
    const teamA = 'team-a-token-0123456789';
    const c = loadConfig({
      ...anonymous,
      COMMITTER_TOKENS: JSON.stringify({ [teamA]: ['s3://lake/delta/shop/', 's3://lake/delta/crm'] }),
    });
    expect(c.grpc.tokens).toEqual([]);
    expect(c.grpc.auth.tokens).toHaveLength(1);
    const [scoped] = c.grpc.auth.tokens;
    expect(scoped?.tablePrefixes).toEqual(['s3://lake/delta/shop', 's3://lake/delta/crm']);
    expect(scoped?.id).toMatch(/^token:[0-9a-f]{8}$/);
    expect(scoped?.id).not.toContain(teamA.slice(0, 8));

    for (const [tokens, message] of [
      ['{"short":["s3://lake/delta/x"]}', /has a token shorter than 16 characters/],
      [`{"${teamA}":["s3://other/delta/x"]}`, /not under the table root s3:\/\/lake\/delta\//],
      [`{"${teamA}":["s3://lake/deltashop"]}`, /not under the table root/],
      [`{"${teamA}":["s3://lake/delta/../x"]}`, /empty, '.' or '..' segments/],
      [`{"${teamA}":[]}`, /must be a JSON object mapping each name to an array/],
      [`{"${TOKEN}":["s3://lake/delta/x"]}`, /repeats COMMITTER_TOKEN/],
    ] as const) {
      const text = fail({ ...minimal, COMMITTER_TOKENS: tokens });
      expect(text).toMatch(message);
      expect(text).toMatch(/^invalid configuration: COMMITTER_TOKENS /);
      expect(text).not.toContain(teamA);
      expect(text).not.toContain(TOKEN);
    }
    expect(fail({ ...minimal, COMMITTER_CLIENT_SCOPES: '{"CN=x":["s3://lake/delta/"]}' })).toMatch(
      /COMMITTER_CLIENT_SCOPES needs mutual TLS/,
    );
  });

  it('takes over within 15 s by default', () => {
    const { lease } = loadConfig(minimal);
    expect(lease.ttlMs + lease.retryIntervalMs).toBeLessThanOrEqual(15_000);
    expect(lease.renewIntervalMs * 3).toBeLessThanOrEqual(lease.ttlMs);
  });

  it.each([
    [{ MINIO_BUCKET: 'lake' }, /^invalid configuration: REDIS_URL is required$/],
    [{ ...minimal, REDIS_URL: 'http://x' }, /^invalid configuration: REDIS_URL must be a redis/],
    [
      { ...minimal, COMMITTER_GRPC_PORT: '70000' },
      /^invalid configuration: COMMITTER_GRPC_PORT must be at most 65535$/,
    ],
    [
      { ...minimal, COMMITTER_LEASE_TTL_MS: '3000' },
      /^invalid configuration: COMMITTER_LEASE_RENEW_INTERVAL_MS must be at most a third/,
    ],
    [{ ...minimal, COMMITTER_TLS_CERT_FILE: '/c.pem' }, /COMMITTER_TLS_KEY_FILE is required/],
    [
      { ...minimal, COMMITTER_TLS_CERT_FILE: '/c.pem', COMMITTER_TLS_KEY_FILE: '/k.pem' },
      /COMMITTER_TLS_CERT_FILE cannot be read \(ENOENT/,
    ],
    [
      { ...minimal, COMMITTER_ADVERTISED_ADDRESS: 'no-port' },
      /COMMITTER_ADVERTISED_ADDRESS must be host:port/,
    ],
    [{ ...minimal, LOG_LEVEL: 'loud' }, /^invalid configuration: LOG_LEVEL /],
  ])('names the variable in one line: %j', (env, message) => {
    const text = fail(env as Record<string, string>);
    expect(text).toMatch(message);
    expect(text).not.toContain('\n');
  });

  it('never echoes a secret value', () => {
    const text = fail({ ...minimal, COMMITTER_TOKEN: 'short-secret' });
    expect(text).toMatch(/COMMITTER_TOKEN/);
    expect(text).not.toContain('short-secret');
    const url = fail({ ...minimal, REDIS_URL: 'nope://user:hunter2@h' });
    expect(url).not.toContain('hunter2');
  });

  it('reads secrets from <NAME>_FILE (one trailing newline dropped) and refuses both or an empty file', () => {
    const files: Record<string, string> = {
      '/run/secrets/token': 'a-token-of-twenty-chars\n',
      '/run/secrets/redis': 'redis://:pw@10.0.0.1:6379',
      '/run/secrets/empty': '\n',
    };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return Buffer.from(text);
    };
    const c = loadConfig(
      {
        MINIO_BUCKET: 'lake',
        REDIS_URL_FILE: '/run/secrets/redis',
        COMMITTER_TOKEN_FILE: '/run/secrets/token',
      },
      read,
    );
    expect(c.grpc.tokens).toEqual(['a-token-of-twenty-chars']);
    expect(c.lease.redisUrl).toBe('redis://:pw@10.0.0.1:6379');
    const refused = (env: Record<string, string>) => () => loadConfig({ ...anonymous, ...env }, read);
    expect(refused({ COMMITTER_TOKEN: 'x'.repeat(16), COMMITTER_TOKEN_FILE: '/run/secrets/token' })).toThrow(
      'COMMITTER_TOKEN_FILE and COMMITTER_TOKEN are both set',
    );
    expect(refused({ COMMITTER_TOKEN_FILE: '/run/secrets/empty' })).toThrow('names an empty file');
    expect(refused({ COMMITTER_TOKEN_FILE: '/run/secrets/nope' })).toThrow('cannot be read (ENOENT)');
    // only secrets have a file variant
    expect(loadConfig({ ...minimal, MINIO_BUCKET_FILE: '/run/secrets/token' }, read).storage.bucket).toBe(
      'lake',
    );
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...minimal, COMMITTER_TOKEN_PREVIOUS: '', METRICS_PORT: '' }).metricsPort).toBe(8002);
    expect(fail({ ...minimal, COMMITTER_TOKEN: '' })).toMatch(/COMMITTER_TOKEN is required/);
  });

  it('README.md carries the reference generated from the schema (run `pnpm docs:config` after changes)', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    expect(spliceReference(readme, renderConfigReference())).toBe(readme);
    for (const name of ['REDIS_URL', 'COMMITTER_TOKEN', 'COMMITTER_LEASE_TTL_MS'])
      expect(readme).toContain(`\`${name}\``);
  });
});
