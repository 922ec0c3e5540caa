/**
 * `maxInFlightPerPartition` on the embedded bus: records of different keys in one partition are
 * handled side by side (issue 10: a consumer that waits for a durable write per record applied
 * one record per commit per partition), while each key's records stay one at a time, in order,
 * also across a stop in the middle of a retry, and the committed offset never passes a record
 * that has not finished.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, type EventBus, type EventDelivery } from '../../src/events';
import { eventually, gate, numberOf, thing, unique, uniqueTopic } from './helpers';

let dir = '';
const buses: EventBus[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'chatgraph-in-flight-'));
});

afterEach(async () => {
  await Promise.all(buses.splice(0).map((bus) => bus.stop()));
  rmSync(dir, { recursive: true, force: true });
});

/** A started bus with one partition per topic, so every key shares it. */
async function openBus(): Promise<EventBus> {
  const bus = createEmbeddedEventBus({ dataDir: dir, partitions: 1 });
  buses.push(bus);
  await bus.start();
  return bus;
}

/** A handler that records starts and finishes and holds each event until the test releases its number. */
function heldHandler() {
  const started: EventDelivery[] = [];
  const finished: EventDelivery[] = [];
  const gates = new Map<number, ReturnType<typeof gate>>();
  const gateOf = (n: number): ReturnType<typeof gate> => gates.get(n) ?? gates.set(n, gate()).get(n) ?? gate();
  return {
    started,
    finished,
    inFlight: (): number[] => started.filter((delivery) => !finished.includes(delivery)).map(numberOf),
    release: (n: number): void => gateOf(n).open(),
    handler: async (delivery: EventDelivery): Promise<void> => {
      started.push(delivery);
      await gateOf(numberOf(delivery)).promise;
      finished.push(delivery);
    },
  };
}

const lagOf = async (subscription: { lag(): Promise<Array<{ lag: number }>> }): Promise<number> =>
  (await subscription.lag()).reduce((sum, p) => sum + p.lag, 0);

it('handles records of different keys in one partition at once, up to the limit, each key one at a time in order', async () => {
  const bus = await openBus();
  const topic = uniqueTopic();
  const seen = heldHandler();
  await bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler, maxInFlightPerPartition: 4 });
  // Offsets 0..5: a, b, a (behind the first a), c, d, e (past the limit of 4 records in flight).
  await bus.publish(topic, [thing('a', 1), thing('b', 2), thing('a', 3), thing('c', 4), thing('d', 5), thing('e', 6)]);
  await eventually(() => seen.started.length === 3, 'three keys started');
  // Give the bus every chance to start what it must not: the second a, or a fifth record.
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(seen.inFlight().sort()).toEqual([1, 2, 4]);

  seen.release(2);
  await eventually(() => seen.finished.length === 1, 'b finished');
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  // b finished, but the first a (offset 0) has not: nothing is committed, so the window is still full.
  expect(seen.inFlight().sort()).toEqual([1, 4]);

  seen.release(1);
  await eventually(() => seen.inFlight().includes(3) && seen.inFlight().includes(5), 'the second a and d');
  for (const n of [3, 4, 5, 6]) seen.release(n);
  await eventually(() => seen.finished.length === 6, 'all six');
  expect(seen.finished.filter((delivery) => delivery.key === 'a').map(numberOf)).toEqual([1, 3]);
});

it('commits only past finished records: the lag counts a slow record and every record after it', async () => {
  const bus = await openBus();
  const topic = uniqueTopic();
  const seen = heldHandler();
  const subscription = await bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler, maxInFlightPerPartition: 8 });
  await bus.publish(topic, [thing('a', 1), thing('b', 2), thing('c', 3), thing('d', 4)]);
  await eventually(() => seen.started.length === 4, 'all four started');
  seen.release(1);
  seen.release(3);
  seen.release(4);
  await eventually(() => seen.finished.length === 3, 'three finished');
  await eventually(async () => (await lagOf(subscription)) === 3, 'the lag to stop at b');
  for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  expect(await lagOf(subscription)).toBe(3);
  seen.release(2);
  await eventually(async () => (await lagOf(subscription)) === 0, 'the lag to reach 0');
});

it('stopping during a retry starts nothing new: the key resumes in order after a restart', async () => {
  const topic = uniqueTopic();
  const groupId = unique('g');
  const first = await openBus();
  const handled: number[] = [];
  await first.subscribe({
    groupId,
    topics: [topic],
    maxInFlightPerPartition: 4,
    // A long backoff: the stop comes while the first k waits to be retried.
    backoff: { initialMs: 60_000, maxMs: 60_000 },
    handler: async (delivery) => {
      if (numberOf(delivery) === 1) throw new Error('not yet');
      handled.push(numberOf(delivery));
    },
  });
  await first.publish(topic, [thing('k', 1), thing('x', 2), thing('k', 3)]);
  await eventually(() => handled.includes(2), 'x handled');
  await first.stop();
  // The second k never ran: it waits behind the first, which stopping left unhandled.
  expect(handled).toEqual([2]);

  const second = await openBus();
  const again: number[] = [];
  await second.subscribe({
    groupId,
    topics: [topic],
    maxInFlightPerPartition: 4,
    handler: async (delivery) => void again.push(numberOf(delivery)),
  });
  await eventually(() => again.includes(3), 'the second k after the restart');
  expect(again.filter((n) => n !== 2)).toEqual([1, 3]);
});

it('refuses a limit that is not a positive integer', async () => {
  const bus = await openBus();
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    await expect(
      bus.subscribe({ groupId: unique('g'), topics: [uniqueTopic()], handler: async () => undefined, maxInFlightPerPartition: bad }),
    ).rejects.toThrow(/maxInFlightPerPartition/);
  }
});
