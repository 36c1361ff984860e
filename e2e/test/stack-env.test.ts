import { describe, expect, it } from 'vitest';
import { parseEnvFile, stackEnv } from '../src/stack.js';

const complete = parseEnvFile(`# written by deploy/local/stack up
KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:19092
DW_CONNECT_URL=http://127.0.0.1:18083
DW_S3_ENDPOINT=http://127.0.0.1:18333
DW_S3_BUCKET=lake
AWS_ACCESS_KEY_ID=id
AWS_SECRET_ACCESS_KEY=secret=with=equals
AWS_REGION=us-east-1
REDIS_URL=redis://127.0.0.1:16379
PGHOST=127.0.0.1
PGPORT=15432
PGUSER=postgres
PGPASSWORD=postgres
PGDATABASE=app
`);

describe('stackEnv', () => {
  it('reads the endpoints of the env file', () => {
    const env = stackEnv(complete);
    expect(env.kafkaBrokers).toEqual(['127.0.0.1:19092']);
    expect(env.s3.secretAccessKey).toBe('secret=with=equals');
    expect(env.pg.port).toBe(15432);
  });

  it('names the missing variable and says how to start the stack', () => {
    const { REDIS_URL: _, ...incomplete } = complete;
    expect(() => stackEnv(incomplete)).toThrow(
      /^REDIS_URL is not set: start the local stack with '.\/dw stack up'/,
    );
  });
});
