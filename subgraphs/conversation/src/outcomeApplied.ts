import type { EventDelivery, KvStore, Logger } from '@chatgraph/kit';
import { aiGenerationV1, encodeOutcomeApplied, tokenStreamAppliedKey } from '@chatgraph/schema';

/**
 * Tells streaming that conversation has applied a generation's outcome, so the `done` chunk it
 * holds back can go out: the router hydrates `message` on that chunk from conversation, and it must
 * find the finished message (status, content, tokenCount, finishReason, and the title, whose
 * `title.generated` precedes the outcome on the same partition). The marker is an entry on the
 * generation's `tokenStreamAppliedKey` stream, written after the write it announces, also when the
 * outcome was already applied (a redelivery, or the first outcome won) or the message is gone:
 * in each case what conversation serves is final.
 */

export interface OutcomeAppliedOptions {
  kv: KvStore;
  /** Expiry of the marker; at least the token streams' retention, so a late resume finds it. */
  ttlMs: number;
  logger: Logger;
}

/** Resolves once the marker for the outcome in `delivery` is written; ignores every other event. */
export function outcomeAppliedMarker(options: OutcomeAppliedOptions): (delivery: EventDelivery) => Promise<void> {
  const { kv, ttlMs, logger } = options;
  return async (delivery) => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const { type } = delivery.event;
    if (type !== 'generation.completed' && type !== 'generation.failed') return;
    const streamId = delivery.event.subject.streamId;
    if (typeof streamId !== 'string') return;
    const key = tokenStreamAppliedKey(streamId);
    try {
      await kv.append(key, encodeOutcomeApplied({ event: type }), { maxLen: 16 });
      await kv.expire(key, ttlMs);
    } catch (err) {
      // Best effort: the outcome itself is applied. streaming releases the `done` chunk after its
      // bounded wait (FINAL_CHUNK_WAIT_MS) and counts it; blocking this partition on the kv would
      // delay every later outcome instead.
      logger.warn({ err, streamId }, 'could not mark the outcome applied; streaming will release the final chunk after its wait');
    }
  };
}
