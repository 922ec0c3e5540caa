import path from 'node:path';
import { ConfigError, int, oneOf, optional, str } from '../config';
import type { Logger } from '../logger';
import { createEmbeddedEventBus, DEFAULT_RETENTION } from './embedded/embeddedEventBus';
import { createKafkaEventBus } from './kafka/kafkaEventBus';
import type { KafkaConsumerTuning } from './kafka/kafkaSubscription';
import type { EventBus } from './port';

/** Far below kafkajs's 30 s: a restarted instance's partitions come back in seconds. */
const DEFAULT_SESSION_TIMEOUT_MS = 10_000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 2000;

/**
 * Which event-bus adapter a service runs on, chosen by configuration (never by test code):
 * spread into a service's config spec so every service documents the same variables.
 */
export const eventBusConfigSpec = {
  EVENT_BUS: oneOf(['embedded', 'kafka'] as const, {
    description: '`embedded`: in-process topics persisted under DATA_DIR (one process only); `kafka`: Kafka at KAFKA_BROKERS',
    default: 'embedded',
  }),
  KAFKA_BROKERS: optional(str({ description: 'Comma-separated `host:port` list of Kafka brokers for EVENT_BUS=kafka, e.g. `kafka:9092`' })),
  KAFKA_NAMESPACE: optional(
    str({
      description:
        "Prefix of every Kafka topic and consumer group, so several deployments (or test runs) share one cluster without reading each other's events, e.g. `staging.`",
    }),
  ),
  KAFKA_SESSION_TIMEOUT_MS: int({
    description:
      "How long Kafka waits for a silent consumer-group member before giving its partitions to the others: a killed instance's events wait this long (the broker accepts 6 s to 300 s by default)",
    default: DEFAULT_SESSION_TIMEOUT_MS,
    min: 1000,
    max: 3_600_000,
  }),
  EVENT_RETENTION_MS: int({
    description:
      'EVENT_BUS=embedded: events every consumer group has handled are deleted from `events.db` once older than this (ms); events a group has not handled are never deleted',
    default: DEFAULT_RETENTION.retentionMs,
    min: 0,
    max: 10 * 365 * 24 * 3600 * 1000,
  }),
  EVENT_RETENTION_MIN_RECORDS: int({
    description:
      'EVENT_BUS=embedded: the newest events of each partition that retention always keeps (for a new consumer group to start from)',
    default: DEFAULT_RETENTION.minRecords,
    min: 0,
    max: 100_000_000,
  }),
  KAFKA_HEARTBEAT_INTERVAL_MS: int({
    description: "Interval of a consumer-group member's heartbeats; at most a third of KAFKA_SESSION_TIMEOUT_MS",
    default: DEFAULT_HEARTBEAT_INTERVAL_MS,
    min: 100,
    max: 1_200_000,
  }),
};

export interface EventBusConfig {
  EVENT_BUS: 'embedded' | 'kafka';
  KAFKA_BROKERS: string | undefined;
  KAFKA_NAMESPACE?: string | undefined;
  KAFKA_SESSION_TIMEOUT_MS?: number;
  KAFKA_HEARTBEAT_INTERVAL_MS?: number;
  EVENT_RETENTION_MS?: number;
  EVENT_RETENTION_MIN_RECORDS?: number;
  DATA_DIR: string;
}

/**
 * The consumer-group timing of the configuration. A member that misses heartbeats for a session
 * is dropped, so heartbeats must come at least three times per session.
 */
export function kafkaConsumerTuning(
  config: Pick<EventBusConfig, 'KAFKA_SESSION_TIMEOUT_MS' | 'KAFKA_HEARTBEAT_INTERVAL_MS'>,
): KafkaConsumerTuning {
  const sessionTimeoutMs = config.KAFKA_SESSION_TIMEOUT_MS ?? DEFAULT_SESSION_TIMEOUT_MS;
  const heartbeatIntervalMs = config.KAFKA_HEARTBEAT_INTERVAL_MS ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  if (heartbeatIntervalMs * 3 > sessionTimeoutMs) {
    throw new ConfigError([
      `KAFKA_HEARTBEAT_INTERVAL_MS (${heartbeatIntervalMs}) must be at most a third of KAFKA_SESSION_TIMEOUT_MS (${sessionTimeoutMs})`,
    ]);
  }
  return { sessionTimeoutMs, heartbeatIntervalMs };
}

/** Creates (does not start) the configured event bus of one service (`<DATA_DIR>/<service>/events` when embedded). */
export function eventBusFromConfig(config: EventBusConfig, service: string, logger: Logger): EventBus {
  if (config.EVENT_BUS === 'kafka') {
    const brokers = (config.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length === 0) throw new Error('EVENT_BUS=kafka needs KAFKA_BROKERS');
    return createKafkaEventBus({
      brokers,
      clientId: service,
      logger,
      namespace: config.KAFKA_NAMESPACE,
      consumer: kafkaConsumerTuning(config),
    });
  }
  const retention = {
    retentionMs: config.EVENT_RETENTION_MS ?? DEFAULT_RETENTION.retentionMs,
    minRecords: config.EVENT_RETENTION_MIN_RECORDS ?? DEFAULT_RETENTION.minRecords,
  };
  return createEmbeddedEventBus({ dataDir: path.join(config.DATA_DIR, service, 'events'), logger, retention });
}
