import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Endpoints of the local stack (`./dw stack up`, deploy/local). `./dw test` exports them from
 * `.data/stack/env`; a test run by hand after `./dw stack up` reads that file itself.
 */
export interface StackEnv {
  kafkaBrokers: string[];
  connectUrl: string;
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  redisUrl: string;
  pg: { host: string; port: number; user: string; password: string; database: string };
}

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Parses the `KEY=value` lines of the env file that deploy/local/stack writes. */
export function parseEnvFile(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) vars[m[1]] = m[2];
  }
  return vars;
}

function fileVars(): Record<string, string> {
  const file = join(process.env.DW_STACK_DATA ?? join(REPO_ROOT, '.data', 'stack'), 'env');
  return existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
}

/** Reads the stack's endpoints; throws one line naming the missing variable when the stack is not up. */
export function stackEnv(
  source: Record<string, string | undefined> = { ...fileVars(), ...process.env },
): StackEnv {
  const need = (name: string): string => {
    const value = source[name];
    if (value === undefined || value === '') {
      throw new Error(`${name} is not set: start the local stack with './dw stack up' (or run './dw test')`);
    }
    return value;
  };
  return {
    kafkaBrokers: need('KAFKA_BOOTSTRAP_SERVERS').split(','),
    connectUrl: need('DW_CONNECT_URL'),
    s3: {
      endpoint: need('DW_S3_ENDPOINT'),
      bucket: need('DW_S3_BUCKET'),
      region: need('AWS_REGION'),
      accessKeyId: need('AWS_ACCESS_KEY_ID'),
      secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
    },
    redisUrl: need('REDIS_URL'),
    pg: {
      host: need('PGHOST'),
      port: Number(need('PGPORT')),
      user: need('PGUSER'),
      password: need('PGPASSWORD'),
      database: need('PGDATABASE'),
    },
  };
}

/** A name no other test run uses: tests share one stack, and leftovers of a failed run must not collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
