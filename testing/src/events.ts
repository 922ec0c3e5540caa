import { newId } from '@chatgraph/kit';
import type { EventBus } from '@chatgraph/kit/events';
import type { EventEnvelope } from '@chatgraph/schema';

/** One event as a test's consumer received it. */
export interface CollectedEvent {
  topic: string;
  key: string;
  event: EventEnvelope;
}

/**
 * Collects every event of `topics` that occurred from `since` (ms since the epoch; now by default)
 * on, read from the start of the log by a fresh consumer group: on a real Kafka the log also holds
 * earlier runs' events, and those are left out.
 */
export async function collectEvents(bus: EventBus, topics: string[], since = Date.now()): Promise<CollectedEvent[]> {
  const seen: CollectedEvent[] = [];
  await bus.subscribe({
    groupId: `test-${newId()}`,
    topics,
    handler: async (d) => {
      if (Date.parse(d.event.occurredAt) >= since) seen.push({ topic: d.topic, key: d.key, event: d.event });
    },
  });
  return seen;
}
