/** One redaction list: secrets are censored wherever a line carries them, and in a configuration logged whole. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactSecrets, redactUrl, SECRET_KEYS } from '../src/index.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { stream, lines };
}

describe('logger', () => {
  it('writes JSON lines with the service, ISO time and the level by name', () => {
    const { stream, lines } = capture();
    createLogger({ level: 'info', service: 'committer', base: { instance: 'c-1' } }, stream).warn('careful');
    const line = JSON.parse(lines[0] as string);
    expect(line).toMatchObject({ level: 'warn', service: 'committer', instance: 'c-1', msg: 'careful' });
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('censors every secret key at the top and up to three levels down', () => {
    const { stream, lines } = capture();
    const logger = createLogger({ level: 'trace', service: 's' }, stream);
    const secrets: string[] = [];
    for (const [i, key] of SECRET_KEYS.entries()) {
      const s = `secret-${i}-value`;
      secrets.push(s);
      logger.info({ [key]: s, a: { [key]: s, b: { [key]: s, c: { [key]: s } } } }, 'x');
    }
    const text = lines.join('');
    for (const s of secrets) expect(text).not.toContain(s);
    expect(text).toContain('[redacted]');
  });

  it('redacts a configuration logged whole, and passwords in URLs', () => {
    const config = {
      kafka: { sasl: { password: 'p-1' }, ssl: { ca: '-----BEGIN CERTIFICATE-----' } },
      s3: { credentials: { accessKeyId: 'AK', secretAccessKey: 'sk-1' } },
      committer: { token: 'tok-1', tls: { cert: 'PEM', key: 'PEM' } },
      grpc: { tls: { certPem: Buffer.from('PEM') } },
      topics: /^mongodb\..*$/,
    };
    const safe = JSON.stringify(redactSecrets(config));
    for (const s of ['p-1', 'sk-1', 'tok-1', 'BEGIN', 'PEM']) expect(safe).not.toContain(s);
    expect(safe).toContain('^mongodb\\\\..*$');
    expect(redactUrl('redis://user:hunter2@h:6379/0')).toBe('redis://user:***@h:6379/0');
    expect(redactUrl('not a url')).toBe('[unparseable url]');
  });
});
