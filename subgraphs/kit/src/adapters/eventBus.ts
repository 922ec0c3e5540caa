import path from 'node:path';
import { oneOf, optional, str } from '../config';
import { createEmbeddedEventBus, createKafkaEventBus, type EventBus } from '../events';
import type { Logger } from '../logger';

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
  KAFKA_NAMESPACE: optional(str({ description: 'Prefix of every Kafka topic and consumer group, so several deployments (or test runs) share one cluster without reading each other\'s events, e.g. `staging.`' })),
};

export interface EventBusConfig {
  EVENT_BUS: 'embedded' | 'kafka';
  KAFKA_BROKERS: string | undefined;
  KAFKA_NAMESPACE?: string | undefined;
  DATA_DIR: string;
}

/** Creates (does not start) the configured event bus of one service (`<DATA_DIR>/<service>/events` when embedded). */
export function eventBusFromConfig(config: EventBusConfig, service: string, logger: Logger): EventBus {
  if (config.EVENT_BUS === 'kafka') {
    const brokers = (config.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean);
    if (brokers.length === 0) throw new Error('EVENT_BUS=kafka needs KAFKA_BROKERS');
    return createKafkaEventBus({ brokers, clientId: service, logger, namespace: config.KAFKA_NAMESPACE });
  }
  return createEmbeddedEventBus({ dataDir: path.join(config.DATA_DIR, service, 'events'), logger });
}
