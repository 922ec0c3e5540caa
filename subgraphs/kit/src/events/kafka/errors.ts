import { EventBusUnavailableError } from '../port';

/** kafkajs errors that mean "the cluster cannot be reached", whatever wraps them. */
const UNREACHABLE = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);

function causes(error: unknown): Error[] {
  const chain: Error[] = [];
  let current: unknown = error;
  while (current instanceof Error && chain.length < 10 && !chain.includes(current)) {
    chain.push(current);
    current = current.cause;
  }
  return chain;
}

/** Whether a kafkajs error (or what it wraps) says the cluster is unreachable. */
export function isUnreachable(error: unknown): boolean {
  return causes(error).some((cause) => UNREACHABLE.has(cause.name));
}

/** A kafkajs protocol error's type (e.g. `UNKNOWN_TOPIC_OR_PARTITION`), looking through wrappers. */
export function protocolType(error: unknown): string | undefined {
  for (const cause of causes(error)) {
    const type: unknown = (cause as { type?: unknown }).type;
    if (typeof type === 'string') return type;
  }
  return undefined;
}

/**
 * Maps a kafkajs failure at the port's boundary: an unreachable cluster becomes an
 * `EventBusUnavailableError` naming the brokers (the original stays as `cause`); anything else
 * is returned as it is.
 */
export function toBusError(error: unknown, brokers: readonly string[], action: string): unknown {
  if (!isUnreachable(error)) return error;
  const detail = causes(error).at(-1)?.message ?? String(error);
  return new EventBusUnavailableError(`Kafka at ${brokers.join(',')} is unreachable (${action}): ${detail}`, { cause: error });
}
