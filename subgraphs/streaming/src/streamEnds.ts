import type { Logger } from '@chatgraph/kit';
import type { EventBus, EventDelivery, Subscription } from '@chatgraph/kit/events';
import type { KvStore } from '@chatgraph/kit/kv';
import { aiGenerationV1, STREAM_END_PREVIEW_CHARS, streamingStreamV1 } from '@chatgraph/schema';
import { wasWatched } from './watchers';

/** The consumer group that announces how each generation's stream ended (`streaming.stream.v1`). */
export const STREAM_ENDS_GROUP = 'streaming.stream-ends';

export interface StreamEndsDeps {
  kv: KvStore;
  bus: EventBus;
  logger: Logger;
}

/** The start of `text`, trimmed, at most STREAM_END_PREVIEW_CHARS (with an ellipsis when cut). */
export function preview(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > STREAM_END_PREVIEW_CHARS ? `${trimmed.slice(0, STREAM_END_PREVIEW_CHARS - 1)}…` : trimmed;
}

/**
 * On ai-gateway's `generation.completed` / `generation.failed`: publishes `streaming.stream.v1`
 * `stream.ended` with `watched` read from the kv every instance shares (watchers.ts). Published
 * directly rather than through an outbox: streaming stores no documents, and the consumed event is
 * the durable cause (a failed publish fails the handler, so the event is retried and the end
 * announced again). The id is derived from the generation event's, so a redelivery republishes the
 * same event and notification's unique ids keep it one notification.
 */
export function streamEndsHandler(deps: StreamEndsDeps) {
  return async (delivery: EventDelivery): Promise<void> => {
    if (delivery.topic !== aiGenerationV1.topic) return;
    const type = delivery.event.type;
    if (type !== 'generation.completed' && type !== 'generation.failed') return;
    const event = aiGenerationV1.validate(delivery.event);
    let status: 'COMPLETE' | 'FAILED' | 'ABORTED';
    let text: string;
    if (event.type === 'generation.completed') {
      status = event.payload.finishReason === 'aborted' ? 'ABORTED' : 'COMPLETE';
      text = event.payload.content;
    } else if (event.type === 'generation.failed') {
      status = 'FAILED';
      text = event.payload.error;
    } else return;
    const watched = await wasWatched(deps.kv, event.subject.streamId);
    const ended = streamingStreamV1.create(
      'stream.ended',
      event.subject,
      { status, watched, preview: preview(text) },
      { id: `ended-${event.id}`, occurredAt: new Date(event.occurredAt) },
    );
    await deps.bus.publish(streamingStreamV1.topic, [{ key: event.subject.ownerId, event: ended }]);
    deps.logger.debug({ streamId: event.subject.streamId, status, watched }, 'stream end announced');
  };
}

/** Subscribes the stream-end consumer; `stop()` the subscription to drain it. */
export function subscribeStreamEnds(bus: EventBus, handler: ReturnType<typeof streamEndsHandler>): Promise<Subscription> {
  return bus.subscribe({ groupId: STREAM_ENDS_GROUP, topics: [aiGenerationV1.topic], handler });
}
