import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventValidationError } from '@chatgraph/schema';
import {
  createEmbeddedEventBus,
  deleteWithOutbox,
  EventBusUnavailableError,
  newTraceparent,
  notDeleted,
  OutboxRelay,
  outboxEvent,
  PENDING_OUTBOX,
  updateWithOutbox,
  withTraceparent,
  type EventBus,
  type EventToPublish,
} from '../../src/events';
import { eventually, recorder, unique } from './helpers';
import { orderEvent, OutboxWorld } from './outboxFixtures';

/** The relay's rules on the embedded bus: what it pulls, tombstones, order, parking, retries. */

interface Setup {
  world: OutboxWorld;
  bus: EventBus;
  /** Runs before each publish reaches the bus (may throw, or write to the store meanwhile). */
  beforePublish: (topic: string, events: readonly EventToPublish[]) => Promise<void>;
}

let setup: Setup | undefined;
let busDir = '';

beforeEach(async () => {
  busDir = mkdtempSync(join(tmpdir(), 'chatgraph-relay-bus-'));
  const inner = createEmbeddedEventBus({ dataDir: busDir });
  await inner.start();
  const world = await OutboxWorld.open(`test.${unique('order')}.v1`);
  const current: Setup = { world, bus: inner, beforePublish: async () => undefined };
  // The bus the relay sees: the embedded one, with a hook in front of publish.
  current.bus = {
    start: () => inner.start(),
    stop: () => inner.stop(),
    ping: () => inner.ping(),
    subscribe: (options) => inner.subscribe(options),
    publish: async (topic, events, options) => {
      await current.beforePublish(topic, events);
      await inner.publish(topic, events, options);
    },
  };
  setup = current;
});

afterEach(async () => {
  await setup?.bus.stop();
  await setup?.world.close();
  rmSync(busDir, { recursive: true, force: true });
  setup = undefined;
});

function ctx(): Setup {
  if (!setup) throw new Error('not set up');
  return setup;
}

async function consume(topic: string) {
  const seen = recorder();
  await ctx().bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler });
  return seen;
}

describe('OutboxRelay', () => {
  it('pulls exactly the ids it published: an event added during the publish stays pending', async () => {
    const { world } = ctx();
    const orderId = await world.placeOrder();
    const late = outboxEvent(world.topic, orderId, orderEvent(orderId, 'order.paid'));
    ctx().beforePublish = async () => {
      ctx().beforePublish = async () => undefined;
      await world.orders.updateOne({ _id: orderId }, updateWithOutbox({ $set: { status: 'paid' } }, [late]));
    };
    const relay = new OutboxRelay({ bus: ctx().bus, collections: [world.orders] });
    await relay.drain();
    const seen = await consume(world.topic);
    await eventually(() => seen.deliveries.length === 2, 'both events');
    expect(seen.deliveries.map((delivery) => delivery.event.type)).toEqual(['order.placed', 'order.paid']);
    expect(await world.pending()).toBe(0);
  });

  it("publishes one document's events in order and removes a tombstone once its events are out", async () => {
    const { world } = ctx();
    const orderId = await world.placeOrder();
    for (const status of ['paid', 'shipped']) {
      await world.orders.updateOne(
        { _id: orderId },
        updateWithOutbox({ $set: { status } }, [outboxEvent(world.topic, orderId, orderEvent(orderId, `order.${status}`))]),
      );
    }
    await world.orders.updateOne(
      { _id: orderId },
      deleteWithOutbox([outboxEvent(world.topic, orderId, orderEvent(orderId, 'order.deleted'))]),
    );
    // Until the relay ran, the order is a tombstone: still stored, hidden from readers.
    expect(await world.orders.findById(orderId)).not.toBeNull();
    expect(await world.orders.findOne({ _id: orderId, ...notDeleted })).toBeNull();
    const relay = new OutboxRelay({ bus: ctx().bus, collections: [world.orders] });
    await relay.drain();
    expect(await world.orders.findById(orderId)).toBeNull();
    const seen = await consume(world.topic);
    await eventually(() => seen.deliveries.length === 4, 'four events');
    expect(seen.deliveries.map((delivery) => delivery.event.type)).toEqual([
      'order.placed',
      'order.paid',
      'order.shipped',
      'order.deleted',
    ]);
  });

  it("refuses an invalid event at write time and carries the writer's trace context to the consumer", async () => {
    const { world } = ctx();
    expect(() => outboxEvent(world.topic, 'o1', { ...orderEvent('o1'), occurredAt: 'later' })).toThrow(EventValidationError);
    const traceparent = newTraceparent();
    await withTraceparent(traceparent, () => world.placeOrder('o1'));
    await new OutboxRelay({ bus: ctx().bus, collections: [world.orders] }).drain();
    const seen = await consume(world.topic);
    await eventually(() => seen.deliveries.length === 1, 'the event');
    expect(seen.deliveries[0]?.headers.traceparent).toBe(traceparent);
  });

  it('parks an entry that no longer passes its contract instead of blocking the others', async () => {
    const { world } = ctx();
    // Written around outboxEvent, as an older release might have left it.
    const broken = { topic: world.topic, key: 'bad', event: { ...orderEvent('bad'), type: 'NotPastTense' } };
    await world.orders.insertOne({ _id: 'bad', status: 'placed', _outbox: [broken] });
    const good = await world.placeOrder();
    await new OutboxRelay({ bus: ctx().bus, collections: [world.orders] }).drain();
    expect(await world.pending()).toBe(0);
    const parked = await world.orders.findById('bad');
    expect(parked?._outboxParked).toEqual([expect.objectContaining({ event: broken.event, error: expect.stringMatching(/type/) })]);
    const seen = await consume(world.topic);
    await eventually(() => seen.deliveries.length === 1, 'the good event');
    expect(seen.deliveries[0]?.key).toBe(good);
  });

  it('retries with backoff while the bus refuses, and publishes everything once it accepts again', async () => {
    const { world } = ctx();
    let refusals = 0;
    ctx().beforePublish = async () => {
      if (refusals < 3) {
        refusals++;
        throw new EventBusUnavailableError('down for the test');
      }
    };
    const relay = new OutboxRelay({
      bus: ctx().bus,
      collections: [world.orders],
      pollIntervalMs: 50,
      backoff: { initialMs: 5, maxMs: 20 },
    });
    relay.start();
    const ids = [await world.placeOrder(), await world.placeOrder()];
    relay.notify();
    await eventually(async () => (await world.orders.count(PENDING_OUTBOX)) === 0, 'the relay to get through');
    expect(refusals).toBe(3);
    await relay.stop();
    await relay.stop();
    const seen = await consume(world.topic);
    await eventually(() => seen.deliveries.length === 2, 'both events');
    expect(seen.deliveries.map((delivery) => delivery.key).sort()).toEqual([...ids].sort());
  });
});
