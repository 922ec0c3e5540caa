import { defineTopic, type EventsOf } from '../contract';
import { idString } from '../envelope';
import { z } from 'zod';
import { bounded } from '../validation';

/**
 * `streaming.stream.v1`: how each generation's stream ended for its owner, produced by streaming
 * (which alone knows who was subscribed to a stream) and keyed by `ownerId`, so one user's ends are
 * consumed in order. Produced once per `generation.completed` / `generation.failed` of
 * `ai.generation.v1`, with an id derived from that event's (a redelivery republishes the same id).
 */

/** How the generation ended: as the message's final status. */
export const STREAM_END_STATUSES = ['COMPLETE', 'FAILED', 'ABORTED'] as const;

/** The longest `preview`. */
export const STREAM_END_PREVIEW_CHARS = 200;

const events = {
  /**
   * The generation of `messageId` ended. `watched`: at least one `messageStream` subscription of
   * its owner (on any streaming instance) was attached when it ended, or received its end; false
   * when nobody was (a background answer, or the client left before the end). `preview` is the
   * start of the answer (COMPLETE, ABORTED) or of the error (FAILED).
   */
  'stream.ended': {
    subject: z.object({ streamId: idString, conversationId: idString, messageId: idString, ownerId: idString }),
    payload: z.object({
      status: z.enum(STREAM_END_STATUSES),
      watched: z.boolean(),
      preview: bounded(0, STREAM_END_PREVIEW_CHARS),
    }),
  },
};

/** The `streaming.stream.v1` contract. */
export const streamingStreamV1 = defineTopic({ topic: 'streaming.stream.v1', keyedBy: 'ownerId', events });

/** Any event of `streaming.stream.v1`, discriminated by `type`. */
export type StreamingStreamEvent = EventsOf<typeof events>;
