import type { DocumentStore } from '@chatgraph/kit/store';
import { pruneProcessedEvents } from '@chatgraph/kit/events';
import type { AiGatewayCollections } from '../store';

/**
 * Keeps ai-gateway's documents bounded: ended generations (stream closed, every event published)
 * and remembered request ids are deleted once older than the retention. Keep the retention longer
 * than the topic's: a request redelivered after both its document and its id are gone would run
 * again.
 */
export async function pruneOldGenerations(store: DocumentStore, collections: AiGatewayCollections, before: Date): Promise<number> {
  const removed = await collections.generations.deleteMany({
    state: 'done',
    streamClosed: true,
    endedAt: { $lt: before },
    '_outbox.event.id': { $exists: false },
  });
  await pruneProcessedEvents(store, before);
  return removed;
}
