import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBus, Subscription } from '../../src/events';
import { START_CHECK_TAIL } from '../../src/events/embedded/check';
import { readStats } from '../../src/events/embedded/eventDb';
import { opener, sql } from './embeddedEventLogFixtures';
import { eventually, recorder, thing, uniqueTopic } from './helpers';

/**
 * Retention: records every group has handled are deleted past retention, so a data directory
 * used for many generations stays bounded on disk, and a start reads only what its consumers
 * need. The old log kept every event forever and read each topic file whole at start.
 */

let dataDir = '';
const buses: EventBus[] = [];
const open = opener(() => dataDir, buses);
const retention = { retentionMs: 0, minRecords: 10 };

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-retention-'));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

const rows = (): number => sql(dataDir, (db) => Number(db.prepare('SELECT COUNT(*) AS n FROM records').get()?.n));
const bytes = (): number => statSync(join(dataDir, 'events.db')).size;

async function caughtUp(subscription: Subscription): Promise<void> {
  await eventually(async () => (await subscription.lag()).every((partition) => partition.lag === 0), 'the group caught up');
}

it('keeps disk and start-up reads bounded over many generations', async () => {
  const topic = uniqueTopic();
  const sizes: number[] = [];
  const counts: number[] = [];
  const readAtStart: number[] = [];
  let handled = 0;
  for (let generation = 0; generation < 12; generation++) {
    const before = readStats.records;
    const bus = await open({ retention });
    const subscription = await bus.subscribe({ groupId: 'g', topics: [topic], handler: async () => void handled++ });
    await caughtUp(subscription);
    readAtStart.push(readStats.records - before);
    await bus.publish(
      topic,
      Array.from({ length: 300 }, (_, n) => thing(`key-${n % 30}`, n)),
    );
    await caughtUp(subscription);
    await bus.stop();
    sizes.push(bytes());
    counts.push(rows());
  }
  expect(handled).toBe(12 * 300);
  // At most the newest 10 of each of the 3 partitions stay, generation after generation.
  expect(Math.max(...counts)).toBeLessThanOrEqual(30);
  // Freed pages are given back: the file does not grow with the events ever published.
  expect(sizes[sizes.length - 1]).toBeLessThanOrEqual(Math.max(...sizes.slice(0, 3)));
  // A start (its check, and a caught-up group) reads at most what is retained, not what was ever published.
  expect(Math.max(...readAtStart)).toBeLessThanOrEqual(30);
});

it('a start reads the newest records and the backlog, not the whole history', async () => {
  const topic = uniqueTopic();
  const first = await open();
  const subscription = await first.subscribe({ groupId: 'g', topics: [topic], handler: async () => undefined });
  for (let batch = 0; batch < 5; batch++)
    await first.publish(
      topic,
      Array.from({ length: 1000 }, (_, n) => thing('one-key', batch * 1000 + n)),
    );
  await caughtUp(subscription);
  await first.stop();
  // All 5000 handled and kept (default retention: a week); 3 more not handled yet.
  const second = await open();
  await second.publish(topic, [thing('one-key', 5000), thing('one-key', 5001), thing('one-key', 5002)]);
  await second.stop();
  expect(rows()).toBe(5003);

  const before = readStats.records;
  const third = await open();
  const seen = recorder();
  const resumed = await third.subscribe({ groupId: 'g', topics: [topic], handler: seen.handler });
  await caughtUp(resumed);
  expect(seen.deliveries).toHaveLength(3);
  // The start-up check verifies the newest 1000 of the partition (which hold the backlog); the group reads its 3.
  expect(readStats.records - before).toBe(START_CHECK_TAIL + 3);
});

it('keeps what the slowest group has not handled, and hands it over later', async () => {
  const topic = uniqueTopic();
  const bus = await open({ retention });
  const slow = recorder();
  const slowSubscription = await bus.subscribe({ groupId: 'slow', topics: [topic], handler: slow.handler });
  await bus.publish(topic, [thing('a', 0)]);
  await eventually(() => slow.deliveries.length === 1, 'slow handles the first event');
  await slowSubscription.stop();
  await bus.stop();
  for (let generation = 0; generation < 3; generation++) {
    const fast = await (await open({ retention })).subscribe({ groupId: 'fast', topics: [topic], handler: async () => undefined });
    await buses[buses.length - 1]?.publish(
      topic,
      Array.from({ length: 100 }, (_, n) => thing('a', 1 + generation * 100 + n)),
    );
    await caughtUp(fast);
    await buses[buses.length - 1]?.stop();
  }
  // The one event slow handled is gone; the 300 it has not are all kept.
  expect(rows()).toBe(300);
  const later = await open({ retention });
  const resumed = recorder();
  await later.subscribe({ groupId: 'slow', topics: [topic], handler: resumed.handler });
  await eventually(() => resumed.deliveries.length === 300, 'slow gets the 300 events it had not handled');
  await later.stop();
  expect(rows()).toBe(10);
});
