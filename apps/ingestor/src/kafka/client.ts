/** The kafkajs client from configuration, logging through pino. */
import { Kafka, type KafkaConfig, type LogEntry, logLevel, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import type { IngestorConfig } from '../config/load.js';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

export function kafkaConfig(config: IngestorConfig['kafka'], logger: Logger): KafkaConfig {
  const log = logger.child({ component: 'kafkajs' });
  return {
    clientId: config.clientId,
    brokers: config.brokers,
    ...(config.ssl && { ssl: config.ssl.ca ? { ca: [config.ssl.ca] } : true }),
    ...(config.sasl && { sasl: config.sasl as SASLOptions }),
    connectionTimeout: 10_000,
    retry: { retries: 8, initialRetryTime: 300, maxRetryTime: 10_000 },
    logLevel: logLevel.INFO,
    // kafkajs entries carry broker addresses and error details, never credentials; pino redaction covers the rest.
    logCreator: () => (entry: LogEntry) => {
      const { message, ...extra } = entry.log;
      // kafkajs reports every heartbeat answered "rebalancing" as an error; a rebalance is routine.
      const routine = typeof extra.error === 'string' && /rebalanc/i.test(extra.error);
      log[routine ? 'debug' : (levels[entry.level] ?? 'info')](
        { namespace: entry.namespace, ...extra },
        message,
      );
    },
  };
}

export function createKafka(config: IngestorConfig['kafka'], logger: Logger): Kafka {
  return new Kafka(kafkaConfig(config, logger));
}
