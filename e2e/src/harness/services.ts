/**
 * The environment of each service process, as an operator would write it (the variable names of the apps'
 * READMEs), for one pipeline under test. Everything a pipeline shares with no other pipeline — topics, tables,
 * consumer group, lease key, dead-letter topic — comes from its {@link PipelineConfig}, so tests never collide.
 */
export interface Endpoints {
  kafkaBrokers: string[];
  s3: { endpoint: string; bucket: string; region: string; accessKeyId: string; secretAccessKey: string };
  redisUrl: string;
}

export interface PipelineConfig {
  /** Unique per pipeline: names every resource below. */
  run: string;
  endpoints: Endpoints;
  /** Key prefix of the tables: `s3://<bucket>/<basePath>/<db>/<collection>`. */
  basePath: string;
  group: string;
  /** Regex on topic names (a whole-name match) the ingestors consume. */
  topicPattern: string;
  dlqTopic: string;
  leaseKey: string;
  token: string;
}

export interface CommitterPorts {
  grpc: number;
  metrics: number;
}

export function committerEnv(
  config: PipelineConfig,
  id: string,
  ports: CommitterPorts,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const { s3 } = config.endpoints;
  return {
    COMMITTER_ID: id,
    COMMITTER_GRPC_HOST: '127.0.0.1',
    COMMITTER_GRPC_PORT: String(ports.grpc),
    COMMITTER_ADVERTISED_ADDRESS: `127.0.0.1:${ports.grpc}`,
    COMMITTER_TOKEN: config.token,
    REDIS_URL: config.endpoints.redisUrl,
    COMMITTER_LEASE_KEY: config.leaseKey,
    // failover in ~5 s instead of ~11 s: the loops kill leaders many times (3 s flapped on a loaded machine)
    COMMITTER_LEASE_TTL_MS: '5000',
    COMMITTER_LEASE_RENEW_INTERVAL_MS: '1000',
    COMMITTER_LEASE_RETRY_INTERVAL_MS: '300',
    MINIO_ENDPOINT: s3.endpoint,
    MINIO_ACCESS_KEY: s3.accessKeyId,
    MINIO_SECRET_KEY: s3.secretAccessKey,
    MINIO_BUCKET: s3.bucket,
    MINIO_REGION: s3.region,
    DELTA_TABLE_BASE_PATH: config.basePath,
    // checkpoints within a short run, so the checks read one
    COMMITTER_CHECKPOINT_INTERVAL: '5',
    METRICS_PORT: String(ports.metrics),
    LOG_LEVEL: 'info',
    COMMITTER_SHUTDOWN_TIMEOUT_MS: '15000',
    ...overrides,
  };
}

export function ingestorEnv(
  config: PipelineConfig,
  id: string,
  committers: string[],
  metricsPort: number,
  overrides: Record<string, string> = {},
): Record<string, string> {
  const { s3 } = config.endpoints;
  return {
    INGESTOR_ID: id,
    KAFKA_BOOTSTRAP_SERVERS: config.endpoints.kafkaBrokers.join(','),
    KAFKA_CONSUMER_GROUP: config.group,
    KAFKA_TOPIC_PATTERN: config.topicPattern,
    KAFKA_DLQ_TOPIC: config.dlqTopic,
    KAFKA_AUTO_OFFSET_RESET: 'earliest',
    // a member killed -9 is noticed after the session timeout; the broker's minimum is 6 s
    KAFKA_SESSION_TIMEOUT_MS: '10000',
    MINIO_ENDPOINT: s3.endpoint,
    MINIO_ACCESS_KEY: s3.accessKeyId,
    MINIO_SECRET_KEY: s3.secretAccessKey,
    MINIO_BUCKET: s3.bucket,
    MINIO_REGION: s3.region,
    DELTA_TABLE_BASE_PATH: config.basePath,
    COMMITTER_ADDRESSES: committers.join(','),
    COMMITTER_TOKEN: config.token,
    COMMITTER_TIMEOUT_MS: '10000',
    FLUSH_MAX_AGE_MS: '1000',
    METRICS_PORT: String(metricsPort),
    // debug: the ingestor logs each acknowledged commit ('committed'), which the fault loops react to
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '20000',
    ...overrides,
  };
}
