import { OutboxRelay, type EventBus } from '../../src/events';
import { eventually, unique } from './helpers';
import { OutboxWorld } from './outboxFixtures';

/**
 * The outbox under a bus outage, for any adapter: 100 state changes succeed while the bus is
 * down, every event arrives once it is back, and each has exactly one effect on an idempotent
 * consumer, even when events are delivered twice.
 */
export interface OutageControl {
  /** Starts a bus for the scenario (called again after `restore` when the adapter needs a new one). */
  openBus(): Promise<EventBus>;
  /** Takes the bus away. `relay` and `bus` are the running ones. */
  outage(running: { relay: OutboxRelay; bus: EventBus }): Promise<void>;
  /** Brings it back; returns true if a new bus must be opened (and a new relay and subscription made). */
  restore(): Promise<boolean>;
}

const fastRelay = { pollIntervalMs: 100, backoff: { initialMs: 100, maxMs: 1000 } };

export async function outboxOutageScenario(control: OutageControl, boundMs = 60_000): Promise<void> {
  const world = await OutboxWorld.open(`test.${unique('order')}.v1`);
  const groupId = unique('tallies');
  const cleanups: Array<() => Promise<void>> = [];
  const connect = async (): Promise<{ bus: EventBus; relay: OutboxRelay }> => {
    const bus = await control.openBus();
    const relay = new OutboxRelay({ bus, collections: [world.orders], ...fastRelay });
    cleanups.push(
      () => relay.stop(),
      () => bus.stop(),
    );
    await bus.subscribe({ groupId, topics: [world.topic], handler: world.handler(groupId), backoff: { initialMs: 50, maxMs: 500 } });
    relay.start();
    return { bus, relay };
  };
  try {
    let running = await connect();
    // The pipeline works before the outage.
    const first = await world.placeOrder();
    running.relay.notify();
    await eventually(() => world.handled >= 1, 'the first event', boundMs);

    await control.outage(running);
    const orderIds: string[] = [];
    for (let n = 0; n < 100; n++) orderIds.push(await world.placeOrder());
    // Every write succeeded and its event waits in its document.
    expect(await world.orders.count({ status: 'placed' })).toBe(101);
    expect(await world.pending()).toBe(100);

    if (await control.restore()) running = await connect();
    await eventually(
      async () => (await world.pending()) === 0 && world.handled >= 101,
      'all 100 events to be relayed and handled',
      boundMs,
    );
    const counts = await world.counts();
    expect(counts.size).toBe(101);
    expect([...counts.entries()].filter(([, count]) => count !== 1)).toEqual([]);
    expect([...counts.keys()].sort()).toEqual([first, ...orderIds].sort());

    // A relay that crashed between publish and pull publishes again: the duplicates have no effect.
    const seen = world.handled;
    const again = orderIds.slice(0, 10).map((orderId) => {
      const event = world.events.get(orderId);
      if (!event) throw new Error(`no event was written for order ${orderId}`);
      return { key: orderId, event };
    });
    await running.bus.publish(world.topic, again);
    await eventually(() => world.handled >= seen + 10, 'the duplicates to be delivered', boundMs);
    expect([...(await world.counts()).values()].every((count) => count === 1)).toBe(true);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await world.close();
  }
}
