import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventBus } from '../../src/events';
import { GROUP, groupPastSomeRecords, opener, sql } from './embeddedEventLogFixtures';
import { eventually, recorder, thing, uniqueTopic } from './helpers';

/**
 * Offsets are never handed out twice. The old log reused the offset of a lost last record, and a
 * group that had committed past it never received the next event (a branch blocked for good).
 */

let dataDir = '';
const buses: EventBus[] = [];
const open = opener(() => dataDir, buses);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-offsets-'));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function nextDelivered(topic: string): Promise<string[]> {
  const bus = await open();
  const seen = recorder();
  await bus.subscribe({ groupId: GROUP, topics: [topic], handler: seen.handler });
  await bus.publish(topic, [thing('a', 100)]);
  await eventually(() => seen.deliveries.length === 1, 'the new event');
  return seen.deliveries.map((delivery) => delivery.offset);
}

it('a removed last record the group committed past: the next event gets a new offset and reaches the group', async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic, 3, 0);
  sql(dataDir, (db) => db.prepare('DELETE FROM records WHERE topic = ? AND part = ? AND seq = 2').run(topic, partition));
  expect(await nextDelivered(topic)).toEqual(['3']);
});

it("even with the high-water mark gone too, the group's committed offset keeps the next offset above it", async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic, 3, 0);
  sql(dataDir, (db) => {
    db.prepare('DELETE FROM records WHERE topic = ? AND part = ?').run(topic, partition);
    db.prepare('DELETE FROM marks WHERE topic = ?').run(topic);
  });
  expect(await nextDelivered(topic)).toEqual(['3']);
});

it('records removed above the group: the high-water mark keeps their offsets used', async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic, 3, 2);
  sql(dataDir, (db) => db.prepare('DELETE FROM records WHERE topic = ? AND part = ? AND seq >= 3').run(topic, partition));
  expect(await nextDelivered(topic)).toEqual(['5']);
});
