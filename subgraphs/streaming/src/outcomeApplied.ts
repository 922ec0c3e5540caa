import type { KvStore } from '@chatgraph/kit/kv';
import { tokenStreamAppliedKey } from '@chatgraph/schema';

/**
 * The wait in front of a stream's `done` chunk. ai-gateway writes `done` right after it recorded
 * the outcome, but conversation (which owns the message the router hydrates on that chunk) applies
 * the outcome from Kafka some milliseconds later; released at once, the final chunk would carry
 * the old copy (STREAMING, empty content, the old title) and a normalized client cache would keep
 * it. conversation appends a marker to `tokenStreamAppliedKey` once the outcome is applied: the
 * chunk waits for it, bounded, because a missing marker must delay the end of a stream, never
 * hold it forever.
 *
 * The bound is long on purpose (`DEFAULT_FINAL_CHUNK_WAIT_MS`): the marker is missing when
 * conversation cannot apply the outcome (Kafka, the document store or conversation itself is
 * down), and a `done` chunk released then carries the old copy of the message (`STREAMING`, empty
 * content) or, with the document store down, no message at all, which a normalized client cache
 * keeps as the final state. Held, the client has every token already and gets `done` with the
 * finished message as soon as the owner has it; a client that leaves and resumes with `after`
 * waits for the same marker. The hold is short whenever it can be: at once when the marker
 * exists, ended by a kv failure (streaming could not see the marker either), by the client leaving
 * and by shutdown. A marker lost while the outcome was applied (conversation's kv write failed)
 * costs the full bound; conversation retries that write so this stays rare.
 */

/** FINAL_CHUNK_WAIT_MS's default: longer than a restart of Kafka, the document store or conversation. */
export const DEFAULT_FINAL_CHUNK_WAIT_MS = 120_000;

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
