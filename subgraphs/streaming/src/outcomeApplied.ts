import type { KvStore } from '@chatgraph/kit';
import { tokenStreamAppliedKey } from '@chatgraph/schema';

/**
 * The wait in front of a stream's `done` chunk. ai-gateway writes `done` right after it recorded
 * the outcome, but conversation (which owns the message the router hydrates on that chunk) applies
 * the outcome from Kafka some milliseconds later; released at once, the final chunk would carry
 * the old copy (STREAMING, empty content, the old title) and a normalized client cache would keep
 * it. conversation appends a marker to `tokenStreamAppliedKey` once the outcome is applied: the
 * chunk waits for it, bounded, because a missing marker (conversation down, a kv failure on its
 * side) must delay the end of a stream, never hold it forever.
 */

/** How a wait ended: the marker was there (or came), the bound passed, or the reader went away. */
export type OutcomeWait = 'applied' | 'timeout' | 'aborted';

export interface OutcomeWaitOptions {
  /** The bound (FINAL_CHUNK_WAIT_MS); 0 releases at once. */
  timeoutMs: number;
  /** Aborted when the subscription or the service ends. */
  signal: AbortSignal;
}

/** Waits until conversation has marked `streamId`'s outcome applied (a marker already written counts). */
export async function waitForOutcomeApplied(kv: KvStore, streamId: string, options: OutcomeWaitOptions): Promise<OutcomeWait> {
  if (options.signal.aborted) return 'aborted';
  if (options.timeoutMs <= 0) return 'timeout';
  const timeout = AbortSignal.timeout(options.timeoutMs);
  // A follower replays what exists, then waits: a marker written before, during or after this
  // call is seen, with no polling (on Redis the blocking reader is shared by all followers).
  const follower = kv.follow(tokenStreamAppliedKey(streamId), { signal: AbortSignal.any([timeout, options.signal]) });
  try {
    const first = await follower.next();
    if (!first.done) return 'applied';
    return options.signal.aborted ? 'aborted' : 'timeout';
  } finally {
    await follower.return?.();
  }
}
