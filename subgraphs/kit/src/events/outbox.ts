import { Schema } from 'mongoose';
import { validateEvent, type EventEnvelope } from '@chatgraph/schema';
import type { Filter, IndexSpec, StoredDocument, Update } from '../store/port';
import { checkTopic } from './names';
import type { EventHeaders } from './port';
import { currentTraceparent, TRACEPARENT_HEADER } from './trace';

/**
 * The transactional outbox, inside the document: a state change and the events it causes are
 * written in ONE single-document write (the store has no transactions), as pending entries in
 * the document's `_outbox` array. `OutboxRelay` publishes them and `$pull`s exactly the ids it
 * published. If the bus is down the write still succeeds and the events wait in the document.
 *
 * Deletes are tombstones: `_deleted: true` plus the events; the relay removes the document once
 * its last event is out. Readers must skip tombstones (`notDeleted`).
 */

/** One pending event: where it goes, its partition key and its headers (trace context). */
export interface OutboxEvent {
  topic: string;
  key: string;
  event: EventEnvelope;
  headers?: EventHeaders;
}

/** An entry the relay could not publish because it no longer passes its contract, with why. */
export interface ParkedOutboxEvent extends OutboxEvent {
  error: string;
}

/** The fields `addOutbox` adds to a document. */
export interface OutboxFields {
  _outbox?: OutboxEvent[];
  _outboxParked?: ParkedOutboxEvent[];
  _deleted?: boolean;
}

/** A stored document with an outbox. */
export type OutboxDocument = StoredDocument & OutboxFields;

/** Adds `_outbox`, `_outboxParked` and `_deleted` to a collection's mongoose schema. */
export function addOutbox<T>(schema: Schema<T>): void {
  const fields = new Schema(
    {
      _outbox: { type: [Schema.Types.Mixed], default: undefined },
      _outboxParked: { type: [Schema.Types.Mixed], default: undefined },
      _deleted: { type: Boolean },
    },
    { _id: false },
  );
  schema.add(fields);
}

/**
 * The index that keeps the relay's scan cheap: sparse, so only documents with pending events
 * are in it (an emptied `_outbox` has no `event.id` to index).
 */
export const OUTBOX_INDEX: IndexSpec = { fields: { '_outbox.event.id': 1 }, sparse: true, name: 'outbox_pending' };

/** Matches documents with events waiting to be published (uses `OUTBOX_INDEX`). */
export const PENDING_OUTBOX: Filter = { '_outbox.event.id': { $exists: true } };

/** Matches documents that are not tombstones: add it to every read of an outbox collection. */
export const notDeleted: Filter = { _deleted: { $ne: true } };

/**
 * Builds an outbox entry, validating the event now so a bad event fails the write that causes it
 * rather than the relay later. The caller's trace context is captured, so the published event
 * continues the trace of the request that wrote it.
 */
export function outboxEvent(topic: string, key: string, event: EventEnvelope, headers: EventHeaders = {}): OutboxEvent {
  checkTopic(topic);
  if (!key) throw new Error(`outbox event ${event.id} on ${topic} has no key (the aggregate id)`);
  const validated = validateEvent(topic, event);
  const traceparent = headers[TRACEPARENT_HEADER] ?? currentTraceparent();
  return { topic, key, event: validated, headers: traceparent ? { ...headers, [TRACEPARENT_HEADER]: traceparent } : headers };
}

/** A new document carrying its creation events, for `insertOne`. */
export function insertWithOutbox<T extends OutboxDocument>(doc: T, entries: readonly OutboxEvent[]): T {
  return { ...doc, _outbox: [...(doc._outbox ?? []), ...entries] };
}

/** `update` plus a `$push` of the events onto `_outbox`, for `updateOne`/`findOneAndUpdate`. */
export function updateWithOutbox(update: Update, entries: readonly OutboxEvent[]): Update {
  if (update.$push && '_outbox' in update.$push) throw new Error('the update already pushes to _outbox');
  return { ...update, $push: { ...update.$push, _outbox: { $each: [...entries] } } };
}

/** A tombstone delete: marks the document deleted and queues its events (the relay removes it later). */
export function deleteWithOutbox(entries: readonly OutboxEvent[], update: Update = {}): Update {
  // The relay finds tombstones through their pending events; one without events would stay forever.
  if (entries.length === 0) throw new Error('a tombstone needs at least one event; without events, delete the document');
  return updateWithOutbox({ ...update, $set: { ...update.$set, _deleted: true } }, entries);
}
