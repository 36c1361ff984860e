/**
 * A private copy of the local stack's Kafka, S3 server and Redis for the tests that stop and restart services: the
 * team's shared stack keeps running for everyone else. It is deploy/local/stack itself, unchanged, pointed at its
 * own data folder and ports (`DW_STACK_DATA`, `DW_*_PORT`); `stack down <service>` / `stack up <service>` stop and
 * start one service (by pid, health-checked on the way up).
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseEnvFile } from '../stack.js';
import { REPO_ROOT } from './paths.js';
import type { Endpoints } from './services.js';

const run = promisify(execFile);
export type Service = 'redis' | 's3' | 'kafka';

/** Ports away from the shared stack's (19092, 18333, 16379); override with DW_E2E_STACK_PORT_BASE. */
const BASE = Number(process.env.DW_E2E_STACK_PORT_BASE ?? 29000);

export class FaultStack {
  readonly data = join(REPO_ROOT, '.data', 'e2e-stack');
  private readonly env: NodeJS.ProcessEnv = {
    ...process.env,
    DW_STACK_DATA: this.data,
    DW_KAFKA_PORT: String(BASE + 92),
    DW_KAFKA_CONTROLLER_PORT: String(BASE + 93),
    DW_S3_PORT: String(BASE + 333),
    DW_REDIS_PORT: String(BASE + 379),
    // unused here, but `up` checks every port it is given a service for
    DW_CONNECT_PORT: String(BASE + 83),
    DW_PG_PORT: String(BASE + 432),
  };

  /** Starts (or finds running) the private Kafka, S3 server and Redis; ~30–90 s the first time. */
  async up(...services: Service[]): Promise<Endpoints> {
    await this.stack('up', ...(services.length ? services : ['redis', 's3', 'kafka']));
    return this.endpoints();
  }

  /** Stops one service (graceful: SIGTERM, as an operator's restart would). */
  async down(service: Service): Promise<void> {
    await this.stack('down', service);
  }

  /** Stops everything this stack started. */
  async stopAll(): Promise<void> {
    await this.stack('down');
  }

  endpoints(): Endpoints {
    const file = join(this.data, 'env');
    if (!existsSync(file)) throw new Error(`${file} is missing: the private stack is not up`);
    const v = parseEnvFile(readFileSync(file, 'utf8'));
    const need = (k: string) => {
      const value = v[k];
      if (!value) throw new Error(`${k} is missing from ${file}`);
      return value;
    };
    return {
      kafkaBrokers: need('KAFKA_BOOTSTRAP_SERVERS').split(','),
      s3: {
        endpoint: need('DW_S3_ENDPOINT'),
        bucket: need('DW_S3_BUCKET'),
        region: need('AWS_REGION'),
        accessKeyId: need('AWS_ACCESS_KEY_ID'),
        secretAccessKey: need('AWS_SECRET_ACCESS_KEY'),
      },
      redisUrl: need('REDIS_URL'),
    };
  }

  private async stack(...args: string[]): Promise<void> {
    try {
      await run('bash', [join(REPO_ROOT, 'deploy', 'local', 'stack'), ...args], {
        env: this.env,
        timeout: 600_000,
        maxBuffer: 16 << 20,
      });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(
        `stack ${args.join(' ')} failed: ${e.stderr?.trim().split('\n').slice(-5).join(' | ') ?? e.message}`,
      );
    }
  }
}
