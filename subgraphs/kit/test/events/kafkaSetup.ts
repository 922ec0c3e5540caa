import { createKafkaEventBus, type EventBus, type KafkaEventBusOptions } from '../../src/events';
import { unique } from './helpers';

/**
 * Connection settings of the real-Kafka tests. They need a broker started by
 * `bash scripts/infra/kafka.sh up` and fail (never skip) when it cannot be reached.
 */

/** `KAFKA_BROKERS` (comma-separated), default 127.0.0.1:9092. */
export function kafkaBrokers(): string[] {
  return (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .split(',')
    .map((broker) => broker.trim())
    .filter(Boolean);
}

/** Faster group membership than the production defaults, so rebalances in tests take ~1 s. */
export const TEST_CONSUMER = { heartbeatIntervalMs: 300, sessionTimeoutMs: 6000, rebalanceTimeoutMs: 10_000, maxWaitTimeMs: 250 };

/** A Kafka bus for tests, on `KAFKA_BROKERS`. */
export function testKafkaBus(overrides: Partial<KafkaEventBusOptions> = {}): EventBus {
  return createKafkaEventBus({ brokers: kafkaBrokers(), clientId: unique('kit-test'), consumer: TEST_CONSUMER, ...overrides });
}

/** Fails with a message that says how to start Kafka when the broker does not answer. */
export async function requireKafka(): Promise<void> {
  const bus = testKafkaBus({ retries: 1 });
  try {
    await bus.start();
    await bus.ping();
  } catch (error) {
    throw new Error(
      `Kafka is not reachable at ${kafkaBrokers().join(',')} (start it with: bash scripts/infra/kafka.sh up): ${String(error)}`,
    );
  } finally {
    await bus.stop();
  }
}
