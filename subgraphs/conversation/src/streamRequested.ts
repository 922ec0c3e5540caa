import type { Logger } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';
import { tokenStreamRequestKey, type TokenStreamRequest } from '@chatgraph/schema';

/**
 * Records in the shared key-value store that a generation was requested, before `sendMessage`
 * (or edit/regenerate) hands its streamId to the client. streaming reads it to answer at once:
 * an id with no record is unknown (NOT_FOUND), one with a record but no stream yet is pending
 * (worth waiting for its `start`), one with a record and an applied-outcome marker but no stream
 * has ended and expired. Contract: `tokenStreamRequestKey` in schema/events/tokenStreams.ts.
 */

export interface StreamRequestOptions {
  kv: KvStore;
  /** Expiry of the record: the applied marker's (OUTCOME_MARKER_TTL_MS), so it never outlives it. */
  ttlMs: number;
  logger: Logger;
}

/** The writer of the record; never throws. */
export type StreamRequested = (request: TokenStreamRequest) => Promise<void>;

/** A `StreamRequested` over `kv`. */
export function streamRequestRecorder(options: StreamRequestOptions): StreamRequested {
  const { kv, ttlMs, logger } = options;
  return async (request) => {
    try {
      await kv.set(tokenStreamRequestKey(request.streamId), JSON.stringify(request), { ttlMs });
    } catch (err) {
      // Best effort: the turn is still written and generated (the answer lands in the message). A
      // subscription before the generation starts then gets NOT_FOUND instead of waiting for it.
      logger.warn(
        { err, streamId: request.streamId },
        'could not record the requested generation; an early messageStream will answer NOT_FOUND',
      );
    }
  };
}
