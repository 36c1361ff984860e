/**
 * Loading a schema's variables: environment over `.env`, `<NAME>_FILE` secrets, empty as unset, and errors that
 * are one line naming the variable — with its value, never a secret's.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  bool,
  bytes,
  ConfigError,
  duration,
  int,
  list,
  loadEnv,
  logLevelVariable,
  meta,
  objectStorageOf,
  objectStorageVariables,
  parseByteSize,
  ratio,
  readConfigFile,
} from '../src/index.js';

const schema = z.object({
  NAME: meta(z.string(), { description: 'required' }),
  PORT: meta(int(1, 65535).prefault('8000'), { description: 'a port' }),
  TOKEN: meta(z.string().min(16, { error: 'must be at least 16 characters' }).optional(), {
    description: 'a secret',
    secret: true,
  }),
  MODE: meta(z.enum(['a', 'b']).prefault('a'), { description: 'an enum' }),
  ...logLevelVariable,
});
const dir = () => mkdtempSync(join(tmpdir(), 'service-kit-'));
const noFiles = (path: string): Buffer => {
  throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' });
};
const load = (env: Record<string, string | undefined>, cwd = dir(), readFile = noFiles) =>
  loadEnv(schema, { env, cwd, readFile });
const errorOf = (env: Record<string, string | undefined>, cwd?: string) => {
  try {
    load(env, cwd);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).not.toContain('\n');
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
};

describe('loadEnv', () => {
  it('parses the schema from the environment, with defaults, ignoring other variables', () => {
    expect(load({ NAME: 'x', PATH: '/bin' })).toEqual({
      NAME: 'x',
      PORT: 8000,
      MODE: 'a',
      LOG_LEVEL: 'info',
    });
  });

  it('treats empty values as unset', () => {
    expect(load({ NAME: 'x', PORT: '' }).PORT).toBe(8000);
    expect(errorOf({ NAME: '' }).message).toBe('invalid configuration: NAME is required but not set');
  });

  it('names the variable and its value, and further invalid variables, in one line', () => {
    const e = errorOf({ NAME: 'x', PORT: 'eighty', MODE: 'c' });
    expect(e.variable).toBe('PORT');
    expect(e.message).toBe(
      'invalid configuration: PORT must be a whole number between 1 and 65535 (got "eighty"); also invalid: MODE',
    );
    expect(errorOf({ NAME: 'x', MODE: 'c' }).message).toBe(
      'invalid configuration: MODE must be one of a, b (got "c")',
    );
    expect(errorOf({ NAME: 'x', PORT: '70000' }).message).toContain('must be at most 65535');
  });

  it('never echoes a secret', () => {
    const e = errorOf({ NAME: 'x', TOKEN: 'short-secret' });
    expect(e.message).toBe('invalid configuration: TOKEN must be at least 16 characters');
    expect(e.message).not.toContain('short-secret');
  });

  it('reads .env (or ENV_FILE) for what the environment leaves unset', () => {
    const cwd = dir();
    writeFileSync(join(cwd, '.env'), 'NAME=from-dotenv\nPORT=9000\nMODE=\n');
    expect(load({ PORT: '9100' }, cwd)).toMatchObject({ NAME: 'from-dotenv', PORT: 9100, MODE: 'a' });
    writeFileSync(join(cwd, 'other.env'), 'NAME=other\n');
    expect(load({ ENV_FILE: 'other.env' }, cwd).NAME).toBe('other');
    expect(errorOf({ ENV_FILE: 'missing.env' }, cwd).message).toMatch(
      /^invalid configuration: ENV_FILE names a file that does not exist: .*missing\.env$/,
    );
  });

  it('reads a secret from <NAME>_FILE (one trailing newline dropped), never both, never empty', () => {
    const files: Record<string, string> = { '/s/token': 'a-token-of-twenty-chars\n', '/s/empty': '\n' };
    const read = (path: string) => {
      const text = files[path];
      if (text === undefined) return noFiles(path);
      return Buffer.from(text);
    };
    const withFiles = (env: Record<string, string>) => () =>
      loadEnv(schema, { env, cwd: dir(), readFile: read });
    expect(withFiles({ NAME: 'x', TOKEN_FILE: '/s/token' })().TOKEN).toBe('a-token-of-twenty-chars');
    expect(withFiles({ NAME: 'x', TOKEN: 'x'.repeat(16), TOKEN_FILE: '/s/token' })).toThrow(
      'invalid configuration: TOKEN_FILE and TOKEN are both set; use one',
    );
    expect(withFiles({ NAME: 'x', TOKEN_FILE: '/s/empty' })).toThrow(
      'TOKEN_FILE names an empty file: /s/empty',
    );
    expect(withFiles({ NAME: 'x', TOKEN_FILE: '/s/nope' })).toThrow(
      'TOKEN_FILE cannot be read (ENOENT: /s/nope)',
    );
    // only secrets have a file variant
    expect(withFiles({ NAME_FILE: '/s/token' })).toThrow('NAME is required but not set');
  });

  it('reads files the configuration names, naming the variable when it cannot', () => {
    expect(readConfigFile('CA_FILE', '/ca.pem', () => Buffer.from('pem')).toString()).toBe('pem');
    expect(() => readConfigFile('CA_FILE', '/nope.pem', noFiles)).toThrow(
      'invalid configuration: CA_FILE cannot be read (ENOENT: /nope.pem)',
    );
  });
});

describe('shared variables', () => {
  const storage = z.object(objectStorageVariables);
  it('describes object storage once: endpoint, bucket, region, and both keys or neither', () => {
    const s = (env: Record<string, string>) => objectStorageOf(loadEnv(storage, { env, cwd: dir() }));
    expect(s({ MINIO_BUCKET: 'lake' })).toEqual({ region: 'us-east-1', bucket: 'lake' });
    expect(
      s({
        MINIO_BUCKET: 'lake',
        MINIO_ENDPOINT: 'http://minio:9000',
        MINIO_ACCESS_KEY: 'k',
        MINIO_SECRET_KEY: 's',
      }),
    ).toEqual({
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      bucket: 'lake',
      credentials: { accessKeyId: 'k', secretAccessKey: 's' },
    });
    expect(() => s({ MINIO_BUCKET: 'lake', MINIO_ACCESS_KEY: 'k' })).toThrow(
      'invalid configuration: MINIO_SECRET_KEY is required when the other S3 key is set',
    );
    expect(() => s({ MINIO_BUCKET: 'Lake_1' })).toThrow('MINIO_BUCKET is not a valid bucket name');
    expect(() => s({ MINIO_BUCKET: 'lake', MINIO_ENDPOINT: 'ftp://x' })).toThrow(
      'MINIO_ENDPOINT must be an http(s) URL such as http://minio:9000',
    );
  });
});

describe('values', () => {
  const one = <T extends z.ZodType>(t: T, text: string) => t.safeParse(text);
  it('parses integers, booleans, durations, ratios and lists', () => {
    expect(one(int(0, 10), '7').data).toBe(7);
    expect(one(int(0, 10), '-1').success).toBe(false);
    expect(one(int(0, 10), '1.5').success).toBe(false);
    expect(['true', '1', 'yes', 'false', '0', 'no'].map((b) => one(bool(), b).data)).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
    expect(['7d', '36h', '90m', '30s', '500ms'].map((d) => one(duration(), d).data)).toEqual([
      604_800_000, 129_600_000, 5_400_000, 30_000, 500,
    ]);
    expect(one(duration(), '7 days').success).toBe(false);
    expect(one(ratio(), '0.3').data).toBe(0.3);
    expect(one(ratio(), '1.5').success).toBe(false);
    expect(one(list(), ' a, ,b ').data).toEqual(['a', 'b']);
  });

  it('parses byte sizes with decimal and binary units', () => {
    expect(['67108864', '64MiB', '64 mb', '1.5GiB', '8KiB', '1kb'].map(parseByteSize)).toEqual([
      67_108_864, 67_108_864, 64_000_000, 1_610_612_736, 8192, 1000,
    ]);
    for (const text of ['lots', '', 'MiB', '1XB', '-5', '1e6']) expect(parseByteSize(text)).toBeUndefined();
    expect(one(bytes(), '0').success).toBe(false);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), (n) => {
        expect(parseByteSize(String(n))).toBe(n);
        expect(parseByteSize(`${n}KiB`)).toBe(n * 1024);
      }),
    );
  });
});
