import { Schema } from 'mongoose';
import { DuplicateKeyError } from '../store/errors';
import type { Collection, CollectionSpec, DocumentStore, Filter, StoredDocument, Update } from '../store/port';
import type { EventDelivery, EventHandler } from './port';

/**
 * Idempotent consumption: delivery is at-least-once, so a handler must give a redelivered event
 * no second effect. Processed event ids are remembered per consumer group in `processed_events`
 * (unique on groupId + eventId).
 *
 * Ordering of "effect" and "remember":
 * - The marker is written AFTER the effect. Marking first and crashing before the effect would
 *   lose the effect for good; marking after can only repeat it.
 * - So between effect and marker a crash (or two members racing during a rebalance) can run the
 *   effect twice. Either make the effect idempotent by itself (an insert with an id derived from
 *   the event, a `$set` of absolute values), or, for an effect on one document, use
 *   `once.updateOnce`: the effect and the event's marker go in the SAME single-document write,
 *   which is applied exactly once however often the event arrives.
 */

/** One remembered event of one group. */
export interface ProcessedEvent extends StoredDocument {
  groupId: string;
  eventId: string;
  processedAt: Date;
}

const processedSchema = new Schema<ProcessedEvent>(
  {
    _id: { type: String, required: true },
    groupId: { type: String, required: true },
    eventId: { type: String, required: true },
    processedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

/** The collection of processed event ids. */
export const PROCESSED_EVENTS: CollectionSpec<ProcessedEvent> = {
  name: 'processed_events',
  schema: processedSchema,
  indexes: [{ fields: { groupId: 1, eventId: 1 }, unique: true }, { fields: { processedAt: 1 } }],
};

/** The field `updateOnce` records applied events in; add it with `addAppliedEvents`. */
export interface AppliedEventsFields {
  _appliedEvents?: string[];
}

/**
 * Adds `_appliedEvents` to a schema whose documents receive `updateOnce` effects. It grows by one
 * short string per event applied to the document, which suits aggregates that receive a bounded
 * number of events (a conversation, a user), not unbounded counters.
 */
export function addAppliedEvents<T>(schema: Schema<T>): void {
  schema.add(new Schema({ _appliedEvents: { type: [String], default: undefined } }, { _id: false }));
}

/** Exactly-once effects on single documents, for one delivery. */
export interface Once {
  /** `<groupId>:<eventId>`: what `updateOnce` records in the document. */
  readonly marker: string;
  /**
   * Applies `update` to the document matching `filter` unless this event was applied to it
   * already, recording the event in the same write. Resolves `true` if it applied now, `false`
   * if it had been applied before or no document matched. No upsert: the marker test would not
   * hold for a document being created.
   */
  updateOnce<T extends StoredDocument & AppliedEventsFields>(collection: Collection<T>, filter: Filter, update: Update): Promise<boolean>;
  /**
   * Declares that this delivery's whole effect was one `updateOnce` that applied: the event is
   * already recorded in that document, so the separate `processed_events` marker is skipped (one
   * durable write less on a hot path). A redelivery then runs the handler again, which must find
   * the effect done by itself (the document's state or its `_appliedEvents` marker).
   */
  recordedInDocument(): void;
}

/** A handler given the delivery and the tools to apply its effects once. */
export type IdempotentEventHandler = (delivery: EventDelivery, once: Once) => Promise<void>;

/**
 * Wraps `handler` so each event has one effect per consumer group: an event already remembered
 * for `groupId` is skipped; otherwise the handler runs and the event is remembered after it
 * succeeded (see the module comment for why after). A handler that throws is not remembered, so
 * the bus's retry runs it again.
 */
export function idempotentHandler(store: DocumentStore, groupId: string, handler: IdempotentEventHandler): EventHandler {
  const processed = store.collection(PROCESSED_EVENTS);
  return async (delivery) => {
    const eventId = delivery.event.id;
    const marker = `${groupId}:${eventId}`;
    if (await processed.findById(marker)) return;
    let recorded = false;
    const once: Once = {
      marker,
      recordedInDocument() {
        recorded = true;
      },
      async updateOnce(collection, filter, update) {
        if (update.$push && '_appliedEvents' in update.$push) throw new Error('the update already pushes to _appliedEvents');
        const guarded = { ...filter, _appliedEvents: { $ne: marker } };
        const result = await collection.updateOne(guarded, { ...update, $push: { ...update.$push, _appliedEvents: marker } });
        return result.modifiedCount > 0;
      },
    };
    await handler(delivery, once);
    if (recorded) return;
    try {
      await processed.insertOne({ _id: marker, groupId, eventId, processedAt: new Date() });
    } catch (error) {
      // Another member finished the same event first (possible during a rebalance): same outcome.
      if (!(error instanceof DuplicateKeyError)) throw error;
    }
  };
}

/**
 * Forgets processed ids older than `before`. Run it periodically with a cutoff older than the
 * topics' retention (no TTL index: FerretDB lacks them); an event redelivered after its id was
 * forgotten would have a second effect.
 */
export async function pruneProcessedEvents(store: DocumentStore, before: Date): Promise<number> {
  return store.collection(PROCESSED_EVENTS).deleteMany({ processedAt: { $lt: before } });
}
