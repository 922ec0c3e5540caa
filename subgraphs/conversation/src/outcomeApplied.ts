import type { Logger } from '@chatgraph/kit';
import type { EventDelivery } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
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
  /** Pauses before each retry of a marker write that failed (default about a minute in all). */
  retryDelaysMs?: readonly number[];
}

const RETRY_DELAYS_MS = [500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];

/** Resolves once the marker for the outcome in `delivery` is written; ignores every other event. */
export function outcomeAppliedMarker(options: OutcomeAppliedOptions): (delivery: EventDelivery) => Promise<void> {
  const { kv, ttlMs, logger, retryDelaysMs = RETRY_DELAYS_MS } = options;
  return async (delivery) => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const { type } = delivery.event;
    if (type !== 'generation.completed' && type !== 'generation.failed') return;
    const streamId = delivery.event.subject.streamId;
    if (typeof streamId !== 'string') return;
    const key = tokenStreamAppliedKey(streamId);
    const write = async (): Promise<void> => {
      await kv.append(key, encodeOutcomeApplied({ event: type }), { maxLen: 16 });
      await kv.expire(key, ttlMs);
    };
    try {
      await write();
    } catch (err) {
      // The outcome itself is applied; blocking this partition on the kv would delay every later
      // outcome, so the marker is retried in the background instead. Unwritten, streaming holds
      // the `done` chunk for its whole FINAL_CHUNK_WAIT_MS (it cannot tell a lost marker from an
      // outcome not applied yet).
      logger.warn({ err, streamId }, 'could not mark the outcome applied; retrying in the background');
      retryLater(write, 0, { logger, streamId, retryDelaysMs });
    }
  };
}

/** Tries `write` again after each of `retryDelaysMs` until it succeeds; never keeps the process alive. */
function retryLater(
  write: () => Promise<void>,
  attempt: number,
  context: { logger: Logger; streamId: string; retryDelaysMs: readonly number[] },
): void {
  const delay = context.retryDelaysMs[attempt];
  if (delay === undefined) {
    context.logger.warn(
      { streamId: context.streamId, attempts: attempt + 1 },
      'gave up marking the outcome applied; streaming releases the final chunk after its wait',
    );
    return;
  }
  setTimeout(() => {
    write().then(
      () => context.logger.info({ streamId: context.streamId, attempts: attempt + 2 }, 'outcome marked applied after a retry'),
      () => retryLater(write, attempt + 1, context),
    );
  }, delay).unref();
}
