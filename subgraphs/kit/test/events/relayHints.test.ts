import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, OutboxRelay, outboxEvent, updateWithOutbox, type EventBus, type OutboxDocument } from '../../src/events';
import type { Collection } from '../../src/store';
import { eventually, recorder, unique } from './helpers';
import { orderEvent, OutboxWorld } from './outboxFixtures';

/**
 * Hinted notifications: a writer that names the document it wrote lets the relay fetch it by key
 * instead of scanning the collection (on FerretDB a scan reads every document, about a second at
 * a few thousand). Scans still run at start, for an unhinted notification and when a poll finds
 * the relay idle, so documents nobody hinted (other processes, a crash) still go out; the periodic
 * and idle ones wait longer after a slow scan.
 */

let world: OutboxWorld;
let bus: EventBus;
let busDir = '';

beforeEach(async () => {
  busDir = mkdtempSync(join(tmpdir(), 'chatgraph-relay-hints-'));
  bus = createEmbeddedEventBus({ dataDir: busDir });
  await bus.start();
  world = await OutboxWorld.open(`test.${unique('order')}.v1`);
});

afterEach(async () => {
  await bus.stop();
  await world.close();
  rmSync(busDir, { recursive: true, force: true });
});

/** The orders collection as the relay sees it, counting scans (`find`) and key lookups (`findById`). */
function counted(
  collection: Collection<OutboxDocument>,
  duringScan: () => void = () => undefined,
): { collection: Collection<OutboxDocument>; scans: () => number; lookups: () => number } {
  let scans = 0;
  let lookups = 0;
  const wrapped = Object.create(collection) as Collection<OutboxDocument>;
  wrapped.find = (...args) => {
    scans++;
    duringScan();
    return collection.find(...args);
  };
  wrapped.findById = (id) => {
    lookups++;
    return collection.findById(id);
  };
  return { collection: wrapped, scans: () => scans, lookups: () => lookups };
}

it('publishes a hinted document by key lookup, without a scan; an unhinted notify scans', async () => {
  const seen = recorder();
  await bus.subscribe({ groupId: unique('g'), topics: [world.topic], handler: seen.handler });
  const orders = counted(world.orders as unknown as Collection<OutboxDocument>);
  // Polls far apart: every pass below is caused by a notification.
  const relay = new OutboxRelay({ bus, collections: [orders.collection], pollIntervalMs: 600_000 });
  relay.start();
  await eventually(() => orders.scans() === 1, 'the start-up scan');

  const first = await world.placeOrder();
  relay.notify({ collection: world.orders.name, id: first });
  await eventually(async () => (await world.pending()) === 0 && seen.deliveries.length === 1, 'the hinted order published');
  expect(orders.scans()).toBe(1);
  expect(orders.lookups()).toBeGreaterThanOrEqual(1);

  // A second event on the same document, hinted again: still no scan, order kept.
  await world.orders.updateOne(
    { _id: first },
    updateWithOutbox({ $set: { status: 'paid' } }, [outboxEvent(world.topic, first, orderEvent(first, 'order.paid'))]),
  );
  relay.notify({ collection: world.orders.name, id: first });
  await eventually(async () => (await world.pending()) === 0 && seen.deliveries.length === 2, 'the second hinted event published');
  expect(orders.scans()).toBe(1);

  // Written without a hint (as another process would, or an older call site): a scan finds it.
  const second = await world.placeOrder();
  relay.notify();
  await eventually(async () => (await world.pending()) === 0 && seen.deliveries.length === 3, 'the unhinted order published');
  expect(orders.scans()).toBeGreaterThanOrEqual(2);
  await relay.stop();
  expect(seen.deliveries.map((delivery) => [delivery.key, delivery.event.type])).toEqual([
    [first, 'order.placed'],
    [first, 'order.paid'],
    [second, 'order.placed'],
  ]);
});

it('a hint for a document written by nobody, or already published, publishes nothing and loses nothing', async () => {
  const orders = counted(world.orders as unknown as Collection<OutboxDocument>);
  const relay = new OutboxRelay({ bus, collections: [orders.collection], pollIntervalMs: 600_000 });
  relay.start();
  await eventually(() => orders.scans() === 1, 'the start-up scan');
  relay.notify({ collection: world.orders.name, id: 'no-such-order' });
  relay.notify({ collection: 'another-collection', id: 'x' });
  await eventually(() => orders.lookups() === 1, 'the hinted lookup');
  // Something pending that was not hinted is still found by drain (a scan).
  await world.placeOrder();
  await relay.drain();
  expect(await world.pending()).toBe(0);
  await relay.stop();
});

it('after a slow scan, waits ten times its length before the next periodic scan; hints and an unhinted notify are served meanwhile', async () => {
  const seen = recorder();
  await bus.subscribe({ groupId: unique('g'), topics: [world.topic], handler: seen.handler });
  // The relay's clock: each scan takes 5 s of it (a FerretDB scan of a few thousand documents on a loaded machine).
  let clock = 1_000_000;
  // Scans whose end the relay has timed: it reads the clock once more after a scan's find. The
  // test moves the clock only after that, or the move would count into the scan's end time
  // (the scan publishes, and the test can see it, before the relay notes when it ended).
  let scanOpen = false;
  let scansEnded = 0;
  const orders = counted(world.orders as unknown as Collection<OutboxDocument>, () => {
    clock += 5_000;
    scanOpen = true;
  });
  const relay = new OutboxRelay({
    bus,
    collections: [orders.collection],
    pollIntervalMs: 600_000,
    scanIntervalMs: 10_000,
    now: () => {
      if (scanOpen) {
        scanOpen = false;
        scansEnded++;
      }
      return clock;
    },
  });
  relay.start();
  try {
    await eventually(() => scansEnded === 1, 'the start-up scan');

    // 11 s after the scan ended: past the interval, but within 10 x the 5 s it took. Before: a
    // second scan ran here (and at 5,000 FerretDB messages the relay scanned back to back).
    clock += 11_000;
    const first = await world.placeOrder();
    relay.notify({ collection: world.orders.name, id: first });
    await eventually(async () => (await world.pending()) === 0 && seen.deliveries.length === 1, 'the hinted order published');
    expect(orders.scans()).toBe(1);

    // Asked for (a write nobody hinted): scanned at once all the same.
    await world.placeOrder();
    relay.notify();
    await eventually(async () => (await world.pending()) === 0 && seen.deliveries.length === 2, 'the unhinted order published');
    expect(orders.scans()).toBe(2);
    await eventually(() => scansEnded === 2, 'the second scan timed');

    // 51 s after that scan ended: the periodic scan is due again.
    clock += 51_000;
    const third = await world.placeOrder();
    relay.notify({ collection: world.orders.name, id: third });
    // The hint may publish the order before the due scan has run (CI once saw 2 here): wait for both.
    await eventually(
      async () => (await world.pending()) === 0 && seen.deliveries.length === 3 && orders.scans() >= 3,
      'the third order published and the periodic scan run',
    );
    expect(orders.scans()).toBe(3);
  } finally {
    await relay.stop();
  }
});
