import { EventValidationError, identityUserV1 } from '@chatgraph/schema';
import { currentTraceparent, DEAD_LETTER_HEADERS, deadLetterTopic, newTraceparent, withTraceparent } from '../../src/events';
import type { ContractContext } from './contract';
import { eventually, numberOf, recorder, thing, unique, uniqueTopic } from './helpers';

/** Publishing, validation, trace context, redelivery and dead letters. */
export function deliveryContract(ctx: ContractContext): void {
  it('delivers each published event once, validated, with its key, headers and trace context', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const events = [thing('a', 1), thing('b', 2), { ...thing('a', 3), headers: { 'x-origin': 'contract' } }];
    await bus.publish(topic, events, { headers: { 'x-batch': 'one' } });
    const seen = recorder();
    await bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler });
    await eventually(() => seen.deliveries.length === 3, 'three deliveries');
    const byId = new Map(seen.deliveries.map((delivery) => [delivery.event.id, delivery]));
    for (const { key, event } of events) {
      const delivery = byId.get(event.id);
      expect(delivery).toMatchObject({ topic, key, event, attempt: 1 });
      expect(delivery?.headers['x-batch']).toBe('one');
      expect(delivery?.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
    expect(byId.get(events[2]?.event.id ?? '')?.headers['x-origin']).toBe('contract');
    // One publish call without a trace context is one trace.
    expect(new Set(seen.deliveries.map((delivery) => delivery.headers.traceparent)).size).toBe(1);
  });

  it('carries the trace context from publish into the handler and on to what the handler publishes', async () => {
    const bus = await ctx.open();
    const [first, second] = [uniqueTopic('first'), uniqueTopic('second')];
    const traceparent = newTraceparent();
    const inHandler: Array<string | undefined> = [];
    await bus.subscribe({
      groupId: unique('g'),
      topics: [first],
      handler: async () => {
        inHandler.push(currentTraceparent());
        await bus.publish(second, [thing('k', 2)]);
      },
    });
    const downstream = recorder();
    await bus.subscribe({ groupId: unique('g'), topics: [second], handler: downstream.handler });
    await withTraceparent(traceparent, () => bus.publish(first, [thing('k', 1)]));
    await eventually(() => downstream.deliveries.length === 1, 'the downstream event');
    expect(inHandler).toEqual([traceparent]);
    expect(downstream.deliveries[0]?.headers.traceparent).toBe(traceparent);
  });

  it('refuses an invalid event, a keyless event or a bad topic name before publishing anything', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const broken = thing('a', 2);
    await expect(bus.publish(topic, [thing('a', 1), { ...broken, event: { ...broken.event, occurredAt: 'now' } }])).rejects.toThrow(
      EventValidationError,
    );
    await expect(bus.publish(topic, [{ ...thing('a', 1), key: '' }])).rejects.toThrow(/no key/);
    await expect(bus.publish('Not A Topic', [thing('a', 1)])).rejects.toThrow(/aggregate/);
    // A registered topic's contract is enforced too.
    const user = identityUserV1.create(
      'user.registered',
      { userId: 'u1' },
      { email: 'ada@example.com', name: 'Ada', role: 'USER', emailVerified: true },
    );
    await expect(
      bus.publish(identityUserV1.topic, [{ key: 'u1', event: { ...user, payload: { ...user.payload, role: 'ROOT' } } }]),
    ).rejects.toThrow(/payload\.role/);
    const marker = thing('a', 99);
    await bus.publish(topic, [marker]);
    const seen = recorder();
    await bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler });
    await eventually(() => seen.deliveries.length >= 1, 'the marker');
    expect(seen.ids()).toEqual([marker.event.id]);
  });

  it('redelivers a failing event with backoff until it succeeds, keeping later events of its key behind it', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    const failuresLeft = new Map([[2, 2]]);
    const seen = recorder((delivery) => {
      const left = failuresLeft.get(numberOf(delivery)) ?? 0;
      if (left > 0) {
        failuresLeft.set(numberOf(delivery), left - 1);
        throw new Error('not yet');
      }
    });
    await bus.subscribe({
      groupId: unique('g'),
      topics: [topic],
      handler: seen.handler,
      maxAttempts: 5,
      backoff: { initialMs: 5, maxMs: 20 },
    });
    await bus.publish(topic, [thing('k', 1), thing('k', 2), thing('k', 3)]);
    await eventually(() => seen.deliveries.some((delivery) => numberOf(delivery) === 3), 'the event after the failing one');
    expect(seen.deliveries.map((delivery) => [numberOf(delivery), delivery.attempt])).toEqual([
      [1, 1],
      [2, 1],
      [2, 2],
      [2, 3],
      [3, 1],
    ]);
    // The same record each time: same id and offset.
    expect(
      new Set(seen.deliveries.filter((delivery) => numberOf(delivery) === 2).map((delivery) => `${delivery.event.id}@${delivery.offset}`))
        .size,
    ).toBe(1);
  });

  it('dead-letters a poison event after maxAttempts with the error and original headers, and keeps going', async () => {
    const bus = await ctx.open();
    const topic = uniqueTopic();
    class PoisonError extends Error {
      override name = 'PoisonError';
    }
    const seen = recorder((delivery) => {
      if (numberOf(delivery) === 2) throw new PoisonError('cannot digest 2');
    });
    const groupId = unique('g');
    await bus.subscribe({ groupId, topics: [topic], handler: seen.handler, maxAttempts: 3, backoff: { initialMs: 5, maxMs: 10 } });
    const dead = recorder();
    await bus.subscribe({ groupId: unique('dlq-reader'), topics: [deadLetterTopic(topic)], handler: dead.handler });
    const poison = { ...thing('k', 2), headers: { 'x-tenant': 't1' } };
    await bus.publish(topic, [thing('k', 1), poison, thing('k', 3)]);
    await eventually(
      () => dead.deliveries.length === 1 && seen.deliveries.some((delivery) => numberOf(delivery) === 3),
      'the dead letter and the next event',
    );
    expect(seen.deliveries.filter((delivery) => numberOf(delivery) === 2).map((delivery) => delivery.attempt)).toEqual([1, 2, 3]);
    const letter = dead.deliveries[0];
    expect(letter?.event).toEqual(poison.event);
    expect(letter?.key).toBe('k');
    expect(letter?.headers).toMatchObject({
      'x-tenant': 't1',
      [DEAD_LETTER_HEADERS.error]: 'PoisonError',
      [DEAD_LETTER_HEADERS.errorMessage]: 'cannot digest 2',
      [DEAD_LETTER_HEADERS.attempts]: '3',
      [DEAD_LETTER_HEADERS.originalTopic]: topic,
      [DEAD_LETTER_HEADERS.groupId]: groupId,
    });
    expect(letter?.headers.traceparent).toBe(seen.deliveries[0]?.headers.traceparent);
  });
}
