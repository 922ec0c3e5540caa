import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, watchConsumerLag, type EventBus } from '../../src/events';
import { ServiceMetrics } from '../../src/metrics';
import { eventually, gate, recorder, thing, unique, uniqueTopic } from './helpers';

/** Consumer lag as a metric on a service's `/metrics` registry (issue 10: "lag is a metric"). */

let dataDir = '';
let bus: EventBus;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-lag-'));
  bus = createEmbeddedEventBus({ dataDir });
  await bus.start();
});

afterEach(async () => {
  await bus.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('exposes event_consumer_lag per group and topic, read at each scrape', async () => {
  const metrics = new ServiceMetrics('test');
  const topic = uniqueTopic();
  const groupId = unique('lagging');
  const held = gate();
  const seen = recorder(() => held.promise);
  const subscription = await bus.subscribe({ groupId, topics: [topic], handler: seen.handler });
  watchConsumerLag(metrics.registry, subscription);
  await bus.publish(
    topic,
    Array.from({ length: 4 }, (_, n) => thing(`key-${n % 2}`, n)),
  );
  await eventually(() => seen.deliveries.length >= 1, 'an event in hand');
  const line = (text: string): string | undefined =>
    text.split('\n').find((l) => l.startsWith('event_consumer_lag{') && l.includes(`group="${groupId}"`) && l.includes(`topic="${topic}"`));
  expect(line(await metrics.registry.metrics())).toMatch(/ 4$/);
  held.open();
  await eventually(async () => / 0$/.test(line(await metrics.registry.metrics()) ?? ''), 'the lag metric to drop to 0');
});
