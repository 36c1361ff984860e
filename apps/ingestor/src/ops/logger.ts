/**
 * Structured logs (pino, JSON lines). Secrets never reach a log line: configuration is logged only through
 * `redactedConfig`, and these paths are censored in anything logged by accident.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export const REDACTED_PATHS = [
  'password',
  'secretAccessKey',
  'token',
  'authorization',
  'sasl.password',
  '*.password',
  '*.secretAccessKey',
  '*.token',
  '*.authorization',
  '*.*.password',
  '*.*.secretAccessKey',
  '*.*.token',
  'config.kafka.sasl.password',
  'config.s3.credentials.secretAccessKey',
  'config.committer.token',
];

export function createLogger(
  options: { level: string; ingestorId: string },
  destination?: DestinationStream,
): Logger {
  return pino(
    {
      level: options.level,
      base: { service: 'ingestor', ingestorId: options.ingestorId },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
