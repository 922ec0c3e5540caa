import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, type EventBus } from '../../src/events';
import { eventually, recorder, thing, unique, uniqueTopic } from './helpers';

/** What the embedded bus keeps on disk: one process per directory, fixed partitions (damage: embeddedEventLogDamage.test.ts). */

let dataDir = '';
const buses: EventBus[] = [];

async function open(partitions?: number): Promise<EventBus> {
  const bus = createEmbeddedEventBus({ dataDir, partitions });
  buses.push(bus);
  await bus.start();
  return bus;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bus-files-'));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded event bus files', () => {
  it('is single-process by design: a second bus on the same directory is refused while the first runs', async () => {
    const first = await open();
    await expect(open()).rejects.toThrow(/in use by process/);
    await first.stop();
    await expect(open()).resolves.toBeDefined();
  });

  it('keeps the partition count a topic was created with, so keys stay on their partitions', async () => {
    const topic = uniqueTopic();
    const first = await open(5);
    // 'key-1' hashes to partition 3 of 5 but 0 of 2: a bus that ignored the stored count would move it.
    await first.publish(topic, [thing('key-1', 1)]);
    await first.stop();
    const second = await open(2);
    await second.publish(topic, [thing('key-1', 2)]);
    const seen = recorder();
    await second.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler });
    await eventually(() => seen.deliveries.length === 2, 'both events');
    expect(seen.deliveries.map((delivery) => delivery.partition)).toEqual([3, 3]);
    expect(seen.deliveries.map((delivery) => delivery.offset)).toEqual(['0', '1']);
  });
});
