/** The event-bus port, its two adapters, the outbox relay and idempotent consumption. */
export * from './port';
export { currentTraceparent, isTraceparent, newTraceparent, withTraceparent, TRACEPARENT_HEADER } from './trace';
export { backoffDelay, DEAD_LETTER_HEADERS, DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS } from './delivery';
export { deadLetterTopic } from './names';
export { createEmbeddedEventBus, DEFAULT_RETENTION, type EmbeddedEventBusOptions } from './embedded/embeddedEventBus';
export { checkEventLog, EventLogDamagedError } from './embedded/check';
export { listDeadLetters, replayDeadLetters, REPLAY_GROUP, REPLAYED_FROM_HEADER, type DeadLetter, type ReplayOptions } from './deadLetters';
export type { RetentionPolicy } from './embedded/eventDb';
/** WAL syncs of the embedded event log since start: benchmarks report them per event. */
export { syncStats } from './embedded/eventDb';
export { createKafkaEventBus, type KafkaEventBusOptions } from './kafka/kafkaEventBus';
export type { KafkaConsumerTuning } from './kafka/kafkaSubscription';
export * from './outbox';
export { OutboxRelay, type OutboxHint, type OutboxRelayOptions } from './relay';
export { watchConsumerLag } from './lagMetrics';
export * from './idempotency';
/** The adapter a service runs on, chosen by configuration (EVENT_BUS, KAFKA_BROKERS...). */
export * from './fromConfig';
