import type { EventDelivery } from '../../src/events';
import type { ContractContext } from './contract';
import { eventually, gate, numberOf, recorder, thing, unique, uniqueTopic } from './helpers';

function countBy(ids: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

/** Consumer groups: every group gets every event; members of a group share them; per-key order. */
export function groupContract(ctx: ContractContext): void {
  it('gives every event to every group, and each event to exactly one member within a group', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const [shared, other] = [unique('shared'), unique('other')];
    const memberA = recorder();
    const memberB = recorder();
    const alone = recorder();
    await bus.subscribe({ groupId: shared, topics: [topic], handler: memberA.handler });
    await bus.subscribe({ groupId: shared, topics: [topic], handler: memberB.handler });
    await bus.subscribe({ groupId: other, topics: [topic], handler: alone.handler });
    const events = Array.from({ length: 30 }, (_, n) => thing(`key-${n}`, n));
    await bus.publish(topic, events);
    const all = events.map(({ event }) => event.id).sort();
    await eventually(() => memberA.deliveries.length + memberB.deliveries.length >= 30 && alone.deliveries.length >= 30, 'both groups');
    expect([...alone.ids()].sort()).toEqual(all);
    const sharedIds = [...memberA.ids(), ...memberB.ids()];
    expect([...countBy(sharedIds).values()].every((count) => count === 1)).toBe(true);
    expect(sharedIds.sort()).toEqual(all);
    // The partitions were shared: thirty keys over the partitions reach both members.
    expect(memberA.deliveries.length).toBeGreaterThan(0);
    expect(memberB.deliveries.length).toBeGreaterThan(0);
  });

  it("reports the group's lag: events published and not yet handled, 0 once all are", async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const held = gate();
    const seen = recorder(() => held.promise);
    const subscription = await bus.subscribe({ groupId: unique('lagging'), topics: [topic], handler: seen.handler });
    // One key, so one partition: the first event holds it and the other five wait behind it.
    await bus.publish(
      topic,
      Array.from({ length: 6 }, (_, n) => thing('one-key', n)),
    );
    const total = async (): Promise<number> => (await subscription.lag()).reduce((sum, p) => sum + p.lag, 0);
    await eventually(() => seen.deliveries.length === 1, 'the first event in hand');
    expect(await total()).toBe(6);
    expect(new Set((await subscription.lag()).map((p) => p.topic))).toEqual(new Set([topic]));
    held.open();
    await eventually(async () => (await total()) === 0, 'the lag to drop to 0');
    expect(seen.deliveries.length).toBe(6);
  });

  it('hands each key its events in publish order, across members, async handlers and a retry', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const groupId = unique('g');
    let failedOnce = false;
    const handled: EventDelivery[] = [];
    const handler = async (delivery: EventDelivery): Promise<void> => {
      // Handlers take varying time, so a bus that ran one key's events concurrently would reorder them.
      for (let turns = numberOf(delivery) % 4; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve));
      if (delivery.key === 'k1' && numberOf(delivery) === 4 && !failedOnce) {
        failedOnce = true;
        throw new Error('transient');
      }
      handled.push(delivery);
    };
    await bus.subscribe({ groupId, topics: [topic], handler, backoff: { initialMs: 5, maxMs: 5 } });
    await bus.subscribe({ groupId, topics: [topic], handler, backoff: { initialMs: 5, maxMs: 5 } });
    const keys = ['k1', 'k2', 'k3', 'k4'];
    // Several publish calls, interleaving keys, while the consumers already run.
    for (let round = 0; round < 4; round++) {
      await bus.publish(
        topic,
        keys.flatMap((key) => [thing(key, round * 2), thing(key, round * 2 + 1)]),
      );
    }
    await eventually(() => handled.length === 32, 'all 32 events');
    for (const key of keys) {
      expect(handled.filter((delivery) => delivery.key === key).map(numberOf)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    }
    expect(failedOnce).toBe(true);
  });

  it('moves partitions to the remaining member when one leaves, without losing or repeating events', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const groupId = unique('g');
    const memberA = recorder();
    const memberB = recorder();
    const a = await bus.subscribe({ groupId, topics: [topic], handler: memberA.handler });
    await bus.subscribe({ groupId, topics: [topic], handler: memberB.handler });
    const first = Array.from({ length: 12 }, (_, n) => thing(`key-${n}`, n));
    await bus.publish(topic, first);
    await eventually(() => memberA.deliveries.length + memberB.deliveries.length === 12, 'the first batch');
    await a.stop();
    await a.stop();
    const second = Array.from({ length: 12 }, (_, n) => thing(`key-${n}`, 100 + n));
    await bus.publish(topic, second);
    await eventually(
      () => memberB.deliveries.filter((delivery) => numberOf(delivery) >= 100).length === 12,
      'the second batch on the remaining member',
    );
    expect(memberA.deliveries.filter((delivery) => numberOf(delivery) >= 100)).toHaveLength(0);
    const ids = [...memberA.ids(), ...memberB.ids()];
    expect(new Set(ids).size).toBe(ids.length);
  });
}
