/**
 * Structured logs (pino, JSON lines, ISO time, level names) with one redaction list for every service: a secret
 * never reaches a log line, whether it is logged as a field, inside an object (up to three levels deep), or as part
 * of a configuration dumped on purpose through {@link redactSecrets}.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

/** Keys whose values are secrets wherever they appear. */
export const SECRET_KEYS: readonly string[] = [
  'password',
  'secretAccessKey',
  'token',
  'tokens',
  'authorization',
  'redisUrl',
  'credentials',
  'keyPem',
];

const CENSOR = '[redacted]';

/** pino's redaction paths: every secret key at the top and up to three levels down. */
export const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => [
  key,
  `*.${key}`,
  `*.*.${key}`,
  `*.*.*.${key}`,
]);

export interface LoggerOptions {
  readonly level: string;
  /** The service's name, in every line (`service`). */
  readonly service: string;
  /** More fields for every line (e.g. the instance's id). */
  readonly base?: Record<string, unknown>;
}

export function createLogger(options: LoggerOptions, destination?: DestinationStream): Logger {
  return pino(
    {
      level: options.level,
      base: { service: options.service, ...options.base },
      redact: { paths: [...REDACTED_PATHS], censor: CENSOR },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/**
 * A copy of `value` safe to log whole (a service's configuration at start-up): the secret keys' values censored at
 * any depth, PEM material (`ca`, `cert`, `key`, `*Pem`) replaced by a marker, regular expressions by their source.
 */
export function redactSecrets(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, v: unknown) => {
      if (SECRET_KEYS.includes(key)) return CENSOR;
      if (key === 'ca' || key === 'cert' || key === 'key' || /Pem$/.test(key))
        return typeof v === 'string' || (typeof v === 'object' && v !== null && 'type' in v) ? '[pem]' : v;
      if (v instanceof RegExp) return v.source;
      return v;
    }) ?? 'null',
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
