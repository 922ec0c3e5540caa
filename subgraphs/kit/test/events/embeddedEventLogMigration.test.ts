import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, type EventBus } from '../../src/events';
import { eventually, numberOf, recorder, thing } from './helpers';

/**
 * A bus directory written by the per-topic file format (fixtures/legacy-events, made by
 * makeLegacyEvents.ts with the code before SQLite) is imported on first start: every record
 * keeps its offset, every group its committed offsets, and the old files stay as a backup.
 */

const FIXTURE = join(__dirname, 'fixtures', 'legacy-events');
const TOPIC = 'test.legacy.v1';
let dataDir = '';
const buses: EventBus[] = [];

async function open(): Promise<EventBus> {
  const bus = createEmbeddedEventBus({ dataDir });
  buses.push(bus);
  await bus.start();
  return bus;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-migrate-'));
  cpSync(FIXTURE, dataDir, { recursive: true });
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

it('imports the old files: offsets, committed group offsets and dead letters are preserved, the files kept as backup', async () => {
  const bus = await open();
  // g-done handled events 0..5 before the old bus stopped: it must get exactly 6..9, at their old offsets.
  const done = recorder();
  await bus.subscribe({ groupId: 'g-done', topics: [TOPIC], handler: done.handler });
  await eventually(() => done.deliveries.length === 4, 'the four unhandled events');
  expect(done.deliveries.map(numberOf).sort()).toEqual([6, 7, 8, 9]);
  const oldLines = readFileSync(join(FIXTURE, 'topics', `${TOPIC}.log`), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean);
  const oldOffsets = new Map(
    oldLines
      .map((line) => JSON.parse(line) as { p: number; o: number; v: string })
      .map((line) => [(JSON.parse(line.v) as { payload: { n: number } }).payload.n, `${line.p}@${line.o}`]),
  );
  for (const delivery of done.deliveries) expect(`${delivery.partition}@${delivery.offset}`).toBe(oldOffsets.get(numberOf(delivery)));

  // A new group reads the whole imported topic; the dead-letter topic came along too.
  const fresh = recorder();
  await bus.subscribe({ groupId: 'g-new', topics: [TOPIC, `${TOPIC}.dlq`], handler: fresh.handler });
  await eventually(() => fresh.deliveries.length === 11, 'ten events and one dead letter');
  expect(fresh.deliveries.filter((delivery) => delivery.topic === `${TOPIC}.dlq`).map(numberOf)).toEqual([3]);

  // New events continue after the imported offsets.
  await bus.publish(TOPIC, [thing('k0', 10)]);
  await eventually(() => done.deliveries.length === 5, 'the new event');
  const last = done.deliveries[4];
  expect(Number(last?.offset)).toBe(
    Math.max(
      ...done.deliveries
        .filter((delivery) => delivery.partition === last?.partition)
        .slice(0, -1)
        .map((delivery) => Number(delivery.offset)),
      -1,
    ) + 1,
  );

  expect(existsSync(join(dataDir, 'topics'))).toBe(false);
  expect(readdirSync(join(dataDir, 'pre-sqlite-backup', 'topics')).sort()).toEqual([`${TOPIC}.dlq.log`, `${TOPIC}.log`]);
  expect(readdirSync(join(dataDir, 'pre-sqlite-backup', 'groups')).sort()).toEqual(['g-dlq.json', 'g-done.json']);
});

it('imports once: a restart neither imports again nor loses the import', async () => {
  await (await open()).stop();
  const bus = await open();
  const all = recorder();
  await bus.subscribe({ groupId: 'g-all', topics: [TOPIC], handler: all.handler });
  await eventually(() => all.deliveries.length === 10, 'the ten imported events');
  expect(all.deliveries.map(numberOf).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});
