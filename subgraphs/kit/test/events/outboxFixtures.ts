import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Schema } from 'mongoose';
import type { EventEnvelope } from '@chatgraph/schema';
import {
  addAppliedEvents,
  addOutbox,
  idempotentHandler,
  insertWithOutbox,
  OUTBOX_INDEX,
  outboxEvent,
  PENDING_OUTBOX,
  type AppliedEventsFields,
  type EventHandler,
  type OutboxDocument,
} from '../../src/events';
import { createEmbeddedStore, type Collection, type CollectionSpec, type DocumentStore } from '../../src/store';

/** A producer's orders (with an outbox) and a consumer's tallies, in one embedded document store. */

export interface Order extends OutboxDocument {
  status: string;
}

export interface Tally extends AppliedEventsFields {
  _id: string;
  count: number;
}

const orderSchema = new Schema<Order>(
  { _id: { type: String, required: true }, status: { type: String, required: true } },
  { versionKey: false },
);
addOutbox(orderSchema);
const ordersSpec: CollectionSpec<Order> = { name: 'orders', schema: orderSchema, indexes: [OUTBOX_INDEX] };

const tallySchema = new Schema<Tally>(
  { _id: { type: String, required: true }, count: { type: Number, required: true } },
  { versionKey: false },
);
addAppliedEvents(tallySchema);
const talliesSpec: CollectionSpec<Tally> = { name: 'tallies', schema: tallySchema };

/** An `order.placed`-style event about `orderId`. */
export function orderEvent(orderId: string, type = 'order.placed'): EventEnvelope {
  return { id: randomUUID(), type, occurredAt: new Date().toISOString(), subject: { orderId }, payload: { orderId } };
}

export class OutboxWorld {
  readonly store: DocumentStore;
  readonly orders: Collection<Order>;
  readonly tallies: Collection<Tally>;
  /** Every handler invocation, duplicates included (counted before deduplication). */
  deliveries = 0;
  /** Handler invocations that have finished (effect applied or skipped as a duplicate). */
  handled = 0;
  /** The event written with each order, by order id. */
  readonly events = new Map<string, EventEnvelope>();

  private constructor(
    private readonly dataDir: string,
    readonly topic: string,
  ) {
    this.store = createEmbeddedStore({ dataDir });
    this.orders = this.store.collection(ordersSpec);
    this.tallies = this.store.collection(talliesSpec);
  }

  static async open(topic: string): Promise<OutboxWorld> {
    const world = new OutboxWorld(mkdtempSync(join(tmpdir(), 'chatgraph-outbox-')), topic);
    await world.store.start();
    return world;
  }

  /** A state change and its event in one write: inserts an order with an `order.placed` event. */
  async placeOrder(orderId: string = randomUUID()): Promise<string> {
    const event = orderEvent(orderId);
    await this.orders.insertOne(insertWithOutbox({ _id: orderId, status: 'placed' }, [outboxEvent(this.topic, orderId, event)]));
    this.events.set(orderId, event);
    return orderId;
  }

  pending(): Promise<number> {
    return this.orders.count(PENDING_OUTBOX);
  }

  /**
   * The consumer: increments the order's tally once per event, the effect and the event's marker
   * in one document write, behind the processed-ids check.
   */
  handler(groupId: string): EventHandler {
    const once = idempotentHandler(this.store, groupId, async (delivery, tools) => {
      await this.tallies.updateOne({ _id: delivery.key }, { $setOnInsert: { count: 0 } }, { upsert: true });
      await tools.updateOnce(this.tallies, { _id: delivery.key }, { $inc: { count: 1 } });
    });
    return async (delivery) => {
      this.deliveries++;
      await once(delivery);
      this.handled++;
    };
  }

  /** Tally counts by order id. */
  async counts(): Promise<Map<string, number>> {
    return new Map((await this.tallies.find({})).map((tally) => [tally._id, tally.count]));
  }

  async close(): Promise<void> {
    await this.store.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
