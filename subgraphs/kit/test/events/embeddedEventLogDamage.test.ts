import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkEventLog, type EventBus } from '../../src/events';
import { GROUP, groupPastSomeRecords, lostOffsets, opener, rot } from './embeddedEventLogFixtures';
import { eventually, recorder, thing, uniqueTopic } from './helpers';

/**
 * Each kind of damage to the embedded event log: the start refuses with what is wrong and how to
 * repair it; `checkEventLog(..., { repair: true })` keeps a backup, recovers the last good state
 * and lists every record it lost; afterwards the group neither misses a new event nor re-reads
 * an offset it committed, and no offset is handed out twice.
 */

let dataDir = '';
const buses: EventBus[] = [];
const open = opener(() => dataDir, buses);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-damage-'));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** Repairs, checks the report, restarts, publishes one event and returns the offsets group `g` then receives. */
async function repairAndResume(topic: string, expectedLost: number[] | ((lost: number[]) => void), newEvents = 1): Promise<number[]> {
  await expect(open()).rejects.toThrow(/event log .*events\.db is damaged: .*To repair: run `chatgraph check --repair`/);
  const [report] = await checkEventLog(dataDir, { repair: true });
  expect(report?.ok).toBe(true);
  expect(report?.problems.length).toBeGreaterThan(0);
  expect(report?.repaired).toBe(true);
  if (typeof expectedLost === 'function') expectedLost(lostOffsets(report?.lost ?? []));
  else expect(lostOffsets(report?.lost ?? [])).toEqual(expectedLost);
  if (report?.backup) expect(existsSync(report.backup)).toBe(true);
  expect((await checkEventLog(dataDir, { repair: false }))[0]?.ok).toBe(true);

  const bus = await open();
  const seen = recorder();
  await bus.subscribe({ groupId: GROUP, topics: [topic], handler: seen.handler });
  await bus.publish(
    topic,
    Array.from({ length: newEvents }, (_, n) => thing('a', 1000 + n)),
  );
  await eventually(
    () => seen.deliveries.filter((delivery) => (delivery.event.payload as { n: number }).n >= 1000).length === newEvents,
    'the new events',
  );
  return seen.deliveries.map((delivery) => Number(delivery.offset));
}

it('a damaged middle record: refused, repaired without it, the group gets the others and the new event', async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic);
  rot(dataDir, topic, partition, 7);
  expect(await repairAndResume(topic, [7])).toEqual([6, 8, 9, 10]);
});

it('a damaged last record: its offset is never handed out again, so the group gets the next event', async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic);
  rot(dataDir, topic, partition, 9);
  expect(await repairAndResume(topic, [9])).toEqual([6, 7, 8, 10]);
});

it('a damaged record the group already committed past: the new event still reaches it, above every offset handed out', async () => {
  const topic = uniqueTopic();
  const partition = await groupPastSomeRecords(open, topic, 6, 0);
  rot(dataDir, topic, partition, 5);
  expect(await repairAndResume(topic, [5])).toEqual([6]);
});

it('a torn write (the file cut short): refused, repaired to what is readable, every other offset reported lost', async () => {
  const topic = uniqueTopic();
  await groupPastSomeRecords(open, topic, 6, 400);
  const path = join(dataDir, 'events.db');
  truncateSync(path, statSync(path).size - 4096);
  let lost: number[] = [];
  const delivered = await repairAndResume(topic, (offsets) => {
    lost = offsets;
    expect(offsets.length).toBeGreaterThan(0);
  });
  const next = delivered[delivered.length - 1];
  // Never a committed offset again, never twice, the new event above all 406 offsets handed out.
  expect(delivered.every((offset) => offset >= 6)).toBe(true);
  expect(new Set(delivered).size).toBe(delivered.length);
  expect(next).toBe(406);
  // Every pending offset was either delivered or reported lost.
  const accounted = new Set([...delivered, ...lost.filter((offset) => offset >= 6)]);
  expect(Array.from({ length: 400 }, (_, n) => 6 + n).filter((offset) => !accounted.has(offset))).toEqual([]);
});

it('a missing database: refused (events.json says there was one), repaired to empty with offsets kept from events.json', async () => {
  const topic = uniqueTopic();
  await groupPastSomeRecords(open, topic);
  unlinkSync(join(dataDir, 'events.db'));
  await expect(open()).rejects.toThrow(/events\.db is missing/);
  expect(await repairAndResume(topic, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])).toEqual([10]);
});

it('the check: a healthy log is ok and untouched, a running bus refuses it, a missing directory has nothing to check', async () => {
  const topic = uniqueTopic();
  await groupPastSomeRecords(open, topic);
  const before = readFileSync(join(dataDir, 'events.db'));
  expect(await checkEventLog(dataDir, { repair: true })).toEqual([
    { file: join(dataDir, 'events.db'), ok: true, problems: [], repaired: false, lost: [] },
  ]);
  expect(readFileSync(join(dataDir, 'events.db')).equals(before)).toBe(true);
  await open();
  await expect(checkEventLog(dataDir, { repair: true })).rejects.toThrow(/in use by process/);
  expect(await checkEventLog(join(dataDir, 'nowhere'), { repair: true })).toEqual([]);
});
