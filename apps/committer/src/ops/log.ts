/** Structured JSON logs. Secrets never reach them: the config object is never logged whole, and these paths are cut. */
import { type Logger, pino } from 'pino';

export const REDACTED_PATHS = [
  'token',
  'tokens',
  '*.token',
  '*.tokens',
  'authorization',
  '*.authorization',
  'redisUrl',
  '*.redisUrl',
  'credentials',
  '*.credentials',
  'secretAccessKey',
  '*.secretAccessKey',
  'keyPem',
  '*.keyPem',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    { level, base: { service: 'committer' }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    destination,
  );
}

/** A URL without its password, for logs (`redis://user:***@host:6379/0`). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '[unparseable url]';
  }
}

export type { Logger };
