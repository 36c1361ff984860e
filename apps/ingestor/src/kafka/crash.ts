/**
 * What to do when the Kafka consumer gives up. kafkajs restarts its consumer only when the innermost error is
 * retriable; a broker restart can end in one that is not: while the coordinator reloads its partitions the lookup
 * answers with an error kafkajs swallows, and it crashes with `KafkaJSGroupCoordinatorNotFound` for good (kafkajs
 * issue #1630, open). Such failures are outages, not bugs: the service waits them out with a new consumer generation.
 * Anything else — refused credentials or ACLs, a request the broker rejects as invalid, an error raised by our own
 * code — still stops the service, so a broken deployment fails loudly instead of reconnecting forever.
 */

export type CrashVerdict = 'reconnect' | 'fatal';

/** kafkajs errors that mean "the cluster was not reachable or not ready", whatever kafkajs decided about retrying. */
const UNREACHABLE = new Set([
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
]);

/** Protocol error types a new connection cannot fix, even where kafkajs would retry them. */
const ACCESS_DENIED = new Set([
  'TOPIC_AUTHORIZATION_FAILED',
  'GROUP_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'TRANSACTIONAL_ID_AUTHORIZATION_FAILED',
  'SASL_AUTHENTICATION_FAILED',
  'UNSUPPORTED_SASL_MECHANISM',
  'ILLEGAL_SASL_STATE',
]);

interface ErrorLike {
  name?: unknown;
  type?: unknown;
  retriable?: unknown;
  cause?: unknown;
}

/** The error and its causes, outermost first (bounded: a cause cycle must not hang the service). */
function chain(err: unknown): ErrorLike[] {
  const out: ErrorLike[] = [];
  let e: unknown = err;
  while (e !== null && typeof e === 'object' && out.length < 16 && !out.includes(e as ErrorLike)) {
    out.push(e as ErrorLike);
    e = (e as ErrorLike).cause;
  }
  return out;
}

export function classifyCrash(err: unknown): CrashVerdict {
  const errors = chain(err);
  for (const e of errors) {
    if (e.name === 'KafkaJSSASLAuthenticationError') return 'fatal';
    if (typeof e.type === 'string' && ACCESS_DENIED.has(e.type)) return 'fatal';
  }
  // The innermost error says what actually happened; the wrappers only say that kafkajs gave up.
  const root = errors[errors.length - 1];
  if (root === undefined) return 'fatal';
  if (typeof root.name === 'string' && UNREACHABLE.has(root.name)) return 'reconnect';
  // e.g. COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR, LEADER_NOT_AVAILABLE
  if (root.name === 'KafkaJSProtocolError' && root.retriable === true) return 'reconnect';
  return 'fatal';
}

/** Backoff before the n-th consecutive reconnect (1-based): 1 s doubling to 30 s, with ±20 % jitter. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.max(0, attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}
