import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedEventBus, deadLetterTopic, type EventBus } from '../../src/events';
import { createEmbeddedStore, type DocumentStore } from '../../src/store';
import { storeDuplicateBadges, uniqueBadges } from '../store/collectionReadiness';
import { bagsSpec } from '../store/helpers';
import { eventually, recorder, thing, unique, uniqueTopic } from './helpers';

/**
 * A consumer whose collection cannot be used now (its store not open yet, or the collection
 * failed to open) is waiting for a dependency, not handling a poison event: the event is retried
 * with backoff past `maxAttempts` and never dead-lettered, on the real embedded bus and store.
 */

const MAX_ATTEMPTS = 2;
const backoff = { initialMs: 1, maxMs: 5 };
let dir: string;
const stops: Array<() => Promise<void>> = [];

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'chatgraph-unavailable-'));
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  rmSync(dir, { recursive: true, force: true });
});

async function startBus(): Promise<EventBus> {
  const bus = createEmbeddedEventBus({ dataDir: path.join(dir, 'events') });
  await bus.start();
  stops.push(() => bus.stop());
  return bus;
}

function newStore(): DocumentStore {
  const store = createEmbeddedStore({ dataDir: path.join(dir, 'store') });
  stops.push(() => store.stop());
  return store;
}

/** Subscribes a dead-letter reader and the consumer under test to a fresh topic. */
async function consume(bus: EventBus, handle: () => Promise<void>) {
  const topic = uniqueTopic();
  const dead = recorder();
  await bus.subscribe({ groupId: unique('dlq'), topics: [deadLetterTopic(topic)], handler: dead.handler });
  const seen = recorder(handle);
  await bus.subscribe({ groupId: unique('consumer'), topics: [topic], handler: seen.handler, maxAttempts: MAX_ATTEMPTS, backoff });
  return { topic, dead, seen };
}

describe('a consumer whose collection is unavailable', () => {
  it('retries while its store is not open, past maxAttempts, and handles the event once it opens', async () => {
    const bus = await startBus();
    const store = newStore();
    const bags = store.collection(bagsSpec);
    const { topic, dead, seen } = await consume(bus, async () => {
      await bags.insertOne({ _id: 'b', rank: 1 });
    });
    await bus.publish(topic, [thing('k', 1)]);
    await eventually(() => seen.deliveries.length >= 3 * MAX_ATTEMPTS, 'attempts beyond maxAttempts');
    expect(dead.deliveries).toEqual([]);

    await store.start();
    await eventually(async () => (await bags.count({})) === 1, 'the event handled once the store is open');
    expect(new Set(seen.ids()).size).toBe(1);
    expect(dead.deliveries).toEqual([]);
  });

  it('retries while its collection failed to open, past maxAttempts, and never dead-letters it', async () => {
    await storeDuplicateBadges(createEmbeddedStore({ dataDir: path.join(dir, 'store') }));
    const bus = await startBus();
    const store = newStore();
    await store.start();
    const badges = store.collection(uniqueBadges);
    const { topic, dead, seen } = await consume(bus, async () => {
      await badges.insertOne({ _id: 'b3', code: 'other' });
    });
    await bus.publish(topic, [thing('k', 1)]);
    await eventually(() => seen.deliveries.length >= 5 * MAX_ATTEMPTS, 'attempts beyond maxAttempts');
    expect(new Set(seen.ids()).size).toBe(1);
    expect(dead.deliveries).toEqual([]);
  });
});
