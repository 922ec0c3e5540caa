import { EventBusStateError } from '../../src/events';
import type { ContractContext } from './contract';
import { eventually, gate, numberOf, recorder, thing, unique, uniqueTopic } from './helpers';

/** start/stop, readiness, restart from committed offsets and draining stop. */
export function lifecycleContract(ctx: ContractContext): void {
  it('refuses work before start and after stop, reports readiness, and stops safely twice', async () => {
    const bus = ctx.create();
    const topic = uniqueTopic();
    await expect(bus.publish(topic, [thing('a', 1)])).rejects.toThrow(EventBusStateError);
    await expect(bus.subscribe({ groupId: unique('g'), topics: [topic], handler: async () => undefined })).rejects.toThrow(
      EventBusStateError,
    );
    await bus.start();
    await expect(bus.ping()).resolves.toBeUndefined();
    await bus.stop();
    await bus.stop();
    await expect(bus.ping()).rejects.toThrow();
    await expect(bus.publish(topic, [thing('a', 1)])).rejects.toThrow(EventBusStateError);
  });

  it('resumes a group from its committed offsets after a restart: nothing handled is handled again', async () => {
    const topic = uniqueTopic();
    const groupId = unique('g');
    const before = await ctx.open();
    const first = recorder();
    await before.subscribe({ groupId, topics: [topic], handler: first.handler });
    await before.publish(topic, [thing('a', 1), thing('b', 2), thing('c', 3)]);
    await eventually(() => first.deliveries.length === 3, 'the first three events');
    await before.stop();

    const after = await ctx.open();
    await after.publish(topic, [thing('a', 4), thing('d', 5)]);
    const second = recorder();
    await after.subscribe({ groupId, topics: [topic], handler: second.handler });
    await eventually(() => second.deliveries.length >= 2, 'the two new events');
    // A marker published last proves nothing else was on its way.
    await after.publish(topic, [thing('a', 6)]);
    await eventually(() => second.deliveries.some((delivery) => numberOf(delivery) === 6), 'the marker');
    expect(second.deliveries.map(numberOf).sort()).toEqual([4, 5, 6]);
  });

  it('drains on stop: the handler in flight finishes and its offset is committed before stop resolves', async () => {
    const topic = uniqueTopic();
    const groupId = unique('g');
    const bus = await ctx.open();
    const held = gate();
    const order: string[] = [];
    await bus.subscribe({
      groupId,
      topics: [topic],
      handler: async (delivery) => {
        order.push(`start ${numberOf(delivery)}`);
        await held.promise;
        order.push(`finish ${numberOf(delivery)}`);
      },
    });
    await bus.publish(topic, [thing('a', 1)]);
    await eventually(() => order.length === 1, 'the handler to start');
    const stopped = bus.stop().then(() => order.push('stopped'));
    // Give stop every chance to resolve early; it must not.
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    held.open();
    await stopped;
    expect(order).toEqual(['start 1', 'finish 1', 'stopped']);

    const again = await ctx.open();
    const later = recorder();
    await again.subscribe({ groupId, topics: [topic], handler: later.handler });
    await again.publish(topic, [thing('a', 2)]);
    await eventually(() => later.deliveries.length >= 1, 'the next event');
    await again.publish(topic, [thing('a', 3)]);
    await eventually(() => later.deliveries.some((delivery) => numberOf(delivery) === 3), 'the marker');
    expect(later.deliveries.map(numberOf)).toEqual([2, 3]);
  });
}
