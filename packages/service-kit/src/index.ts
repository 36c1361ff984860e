/**
 * @delta-writer/service-kit — the service plumbing both Delta Writer apps share, so that it is written once and
 * behaves the same in each: configuration from a zod schema (environment, `.env`, `<NAME>_FILE` secrets, one exit
 * code for a bad value) and its generated reference, the variables both apps read, the ops HTTP server (health,
 * readiness, metrics), the logger with one redaction list, giving V8's pooled heap pages back, and graceful
 * shutdown. The apps keep only what is theirs.
 */
export {
  ConfigError,
  configOrExit,
  type EnvSource,
  EX_CONFIG,
  loadEnv,
  type ReadFile,
  readConfigFile,
} from './config/load.js';
export {
  REFERENCE_END,
  REFERENCE_START,
  renderConfigReference,
  spliceReference,
  writeConfigReference,
} from './config/reference.js';
export {
  logLevelVariable,
  memoryReleaseVariable,
  type ObjectStorage,
  objectStorageOf,
  objectStorageVariables,
} from './config/shared.js';
export {
  bool,
  bytes,
  duration,
  hostPort,
  int,
  LOG_LEVELS,
  type LogLevel,
  list,
  meta,
  metaOf,
  parseByteSize,
  ratio,
  secretNames,
  type VarMeta,
} from './config/values.js';
export {
  createOpsServer,
  type MetricsSource,
  type OpsServer,
  type OpsServerOptions,
  type ProbeAnswer,
  type Probes,
  startOpsServer,
} from './ops/http.js';
export {
  createLogger,
  type Logger,
  type LoggerOptions,
  REDACTED_PATHS,
  redactSecrets,
  redactUrl,
  SECRET_KEYS,
} from './ops/logger.js';
export {
  type MemoryReleaseOptions,
  type MemoryReleaseResult,
  releaseMemory,
  startMemoryRelease,
} from './ops/memory-release.js';
export { onShutdown, type ShutdownOptions } from './shutdown.js';
