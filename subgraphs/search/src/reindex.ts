import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery } from '@chatgraph/kit/events';
import type { ElasticsearchSearchIndex, RebuildReport, SearchIndex } from '@chatgraph/kit/search';
import type { Embedder } from './embedding';
import { indexingHandler, INDEXING_TOPICS } from './indexing';

/**
 * The two ways search's index is rebuilt (the `reindex` command, reindexMain.ts). Search cannot
 * ask the owning services for their data (no synchronous calls between services), so:
 *
 * - `--all` rebuilds the Elasticsearch index of every kind (or `--kind`'s only) from its own
 *   documents, one kind after the other: a new generation with the current mappings, the kind's
 *   alias moved atomically (kit `rebuild()`). It repairs mappings and
 *   settings; it re-derives nothing (documents are copied as they are, embeddings included).
 * - `--user <id>` replays the event topics from the oldest retained event under a fresh consumer
 *   group, applying that user's events only, through the live consumer's own handler, until the
 *   group has caught up. It restores documents that are missing or stale (writes are absolute
 *   upserts and deletes, so replaying is idempotent) and re-derives them (embeddings with the
 *   current embedder). It cannot remove a document no event ever deleted, and it sees only what
 *   the topics still retain (Kafka's retention): events older than that are gone.
 */

/** The owner an event of search's topics is about (`ownerId`, or the user of an account event). */
function ownerOf(delivery: EventDelivery): string | undefined {
  const subject = delivery.event.subject as { ownerId?: unknown; userId?: unknown };
  const owner = subject.ownerId ?? subject.userId;
  return typeof owner === 'string' ? owner : undefined;
}

/** What `reindexUser` did. */
export interface ReplayReport {
  groupId: string;
  /** Events of the user applied. */
  applied: number;
  /** Events read in all. */
  read: number;
}

/**
 * Replays every retained event of search's topics under a fresh group, applying `userId`'s, and
 * resolves once the group has no lag left. The live consumer keeps running meanwhile: a document
 * may show an older state while the replay passes through its history, and ends as the live one.
 */
export async function reindexUser(
  deps: { bus: EventBus; index: SearchIndex; embedder: Embedder; logger: Logger },
  userId: string,
  options: { pollMs?: number; groupId?: string } = {},
): Promise<ReplayReport> {
  const handle = indexingHandler(deps);
  const groupId = options.groupId ?? `search.reindex.${Date.now().toString(36)}`;
  const report: ReplayReport = { groupId, applied: 0, read: 0 };
  const subscription = await deps.bus.subscribe({
    groupId,
    topics: INDEXING_TOPICS,
    handler: async (delivery) => {
      report.read += 1;
      if (ownerOf(delivery) !== userId) return;
      await handle(delivery);
      report.applied += 1;
    },
  });
  try {
    for (;;) {
      const lag = await subscription.lag();
      if (lag.every((partition) => partition.lag === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  } finally {
    await subscription.stop();
  }
  await deps.index.refresh();
  deps.logger.info({ userId, ...report }, 'search reindex of one user replayed');
  return report;
}

/** Rebuilds the Elasticsearch index of every kind, or of `kinds` only, behind their aliases (see above). */
export async function reindexAll(index: ElasticsearchSearchIndex, logger: Logger, kinds?: readonly string[]): Promise<RebuildReport[]> {
  const reports = await index.rebuild(kinds ? { kinds } : {});
  for (const report of reports) logger.info({ ...report }, 'search index rebuilt');
  return reports;
}
