import { randomUUID } from 'node:crypto';
import { idempotentHandler, pruneProcessedEvents, PROCESSED_EVENTS, type EventDelivery } from '../../src/events';
import { orderEvent, OutboxWorld } from './outboxFixtures';

/** Idempotent consumption, called directly with deliveries (no bus needed to show the rules). */

let world: OutboxWorld;

beforeEach(async () => {
  world = await OutboxWorld.open('test.order.v1');
});

afterEach(async () => {
  await world.close();
});

function delivery(orderId: string = randomUUID(), groupId = 'billing'): EventDelivery {
  return { topic: 'test.order.v1', partition: 0, offset: '0', key: orderId, event: orderEvent(orderId), headers: {}, groupId, attempt: 1 };
}

describe('idempotentHandler', () => {
  it('runs the handler once per event and group, however often the event is delivered', async () => {
    const calls: string[] = [];
    const handler = idempotentHandler(world.store, 'billing', async ({ event }) => void calls.push(event.id));
    const first = delivery();
    await handler(first);
    await handler(first);
    await handler({ ...first, attempt: 2, offset: '7' });
    const second = delivery();
    await handler(second);
    expect(calls).toEqual([first.event.id, second.event.id]);
  });

  it('remembers per consumer group: another group still handles the event', async () => {
    const calls: string[] = [];
    const billing = idempotentHandler(world.store, 'billing', async () => void calls.push('billing'));
    const search = idempotentHandler(world.store, 'search', async () => void calls.push('search'));
    const event = delivery();
    await billing(event);
    await search(event);
    await billing(event);
    expect(calls).toEqual(['billing', 'search']);
  });

  it('does not remember an event whose handler failed, so the retry runs it', async () => {
    let attempts = 0;
    const handler = idempotentHandler(world.store, 'billing', async () => {
      attempts++;
      if (attempts === 1) throw new Error('transient');
    });
    const event = delivery();
    await expect(handler(event)).rejects.toThrow('transient');
    await handler(event);
    await handler(event);
    expect(attempts).toBe(2);
  });

  it('applies a single-document effect exactly once even if the marker was never written (crash after the effect)', async () => {
    const handle = world.handler('billing');
    const event = delivery('order-1');
    await handle(event);
    // As if the process died between the effect and remembering the event.
    await world.store.collection(PROCESSED_EVENTS).deleteMany({});
    await handle(event);
    expect(await world.counts()).toEqual(new Map([['order-1', 1]]));
    // A different event about the same order is a new effect.
    await handle(delivery('order-1'));
    expect(world.deliveries).toBe(3);
    expect(await world.counts()).toEqual(new Map([['order-1', 2]]));
  });

  it('forgets processed ids older than a cutoff', async () => {
    const calls: string[] = [];
    const handler = idempotentHandler(world.store, 'billing', async ({ event }) => void calls.push(event.id));
    const event = delivery();
    await handler(event);
    expect(await pruneProcessedEvents(world.store, new Date(Date.now() - 60_000))).toBe(0);
    await handler(event);
    expect(await pruneProcessedEvents(world.store, new Date(Date.now() + 60_000))).toBe(1);
    await handler(event);
    expect(calls).toEqual([event.event.id, event.event.id]);
  });
});
