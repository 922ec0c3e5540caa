import { validateEvent } from '@chatgraph/schema';
import { checkTopic } from './names';
import type { EventHeaders, EventToPublish, PublishOptions } from './port';
import { currentTraceparent, isTraceparent, newTraceparent, TRACEPARENT_HEADER } from './trace';

/** A validated event ready for an adapter: key, JSON value and final headers. */
export interface OutgoingRecord {
  key: string;
  value: string;
  headers: EventHeaders;
}

/**
 * Validates a publish call and builds its records. Everything is checked before anything is
 * sent, so a call publishes all of its events or (on a validation error) none.
 */
export function prepareRecords(topic: string, events: readonly EventToPublish[], options: PublishOptions = {}): OutgoingRecord[] {
  checkTopic(topic);
  // One trace per call when the caller has none: the events of one state change belong together.
  const ambient = currentTraceparent();
  let fallback: string | undefined;
  return events.map(({ key, event, headers }) => {
    if (typeof key !== 'string' || key.length === 0) throw new Error(`event ${event.id} on ${topic} has no key (the aggregate id)`);
    const validated = validateEvent(topic, event);
    const merged: EventHeaders = { ...options.headers, ...headers };
    if (!isTraceparent(merged[TRACEPARENT_HEADER])) {
      merged[TRACEPARENT_HEADER] = ambient ?? (fallback ??= newTraceparent());
    }
    return { key, value: JSON.stringify(validated), headers: merged };
  });
}
