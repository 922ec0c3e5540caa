import { protocolType } from './errors';

/**
 * Broker answers that mean "not yet", not "no": right after a topic is created (by this service or
 * another starting beside it) the broker that answers a consumer's metadata or offset request may
 * not know the partition's leader yet ("This server does not host this topic-partition"), and a
 * group's coordinator may still be loading. `TopicAdmin.ensure` waits for leaders as the admin
 * client sees them, but a consumer's own requests can still meet the lag; a service that gave up
 * on the first such answer refused to start (seen in the distributed tests on a loaded machine).
 */
const TRANSIENT = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_FOR_PARTITION',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_COORDINATOR',
  'NOT_COORDINATOR_FOR_GROUP',
  'COORDINATOR_NOT_AVAILABLE',
  'GROUP_COORDINATOR_NOT_AVAILABLE',
  'COORDINATOR_LOAD_IN_PROGRESS',
  'GROUP_LOAD_IN_PROGRESS',
  'REBALANCE_IN_PROGRESS',
]);

/** Whether a kafkajs failure is one of the broker's "not yet" answers. */
export function isTransientJoinError(error: unknown): boolean {
  const type = protocolType(error);
  return type !== undefined && TRANSIENT.has(type);
}

/** How often and how patiently a consumer's start is tried again. */
export interface JoinRetryPolicy {
  /** Tries in all (the first included). */
  attempts: number;
  /** Wait before the second try; doubled for each next one. */
  firstDelayMs: number;
}

/** Five tries over about 7.5 s: well past the metadata lag seen, well under a start's deadline. */
export const JOIN_RETRY: JoinRetryPolicy = { attempts: 5, firstDelayMs: 500 };

/**
 * Runs `start` (a fresh consumer each time) until it succeeds, tries again on a transient broker
 * answer (after `onRetry`, e.g. forgetting the topics so their leaders are checked again), and
 * throws anything else, or the last transient error once the tries are spent.
 */
export async function startWithRetries<T>(
  start: () => Promise<T>,
  onRetry: (error: unknown, attempt: number) => void,
  policy: JoinRetryPolicy = JOIN_RETRY,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start();
    } catch (error) {
      if (attempt >= policy.attempts || !isTransientJoinError(error)) throw error;
      onRetry(error, attempt);
      await sleep(policy.firstDelayMs * 2 ** (attempt - 1));
    }
  }
}
