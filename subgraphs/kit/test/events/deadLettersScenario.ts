import { listDeadLetters, replayDeadLetters, REPLAYED_FROM_HEADER, type EventBus } from '../../src/events';
import { eventually, numberOf, recorder, thing, unique, uniqueTopic } from './helpers';

/**
 * The dead-letter tooling on one bus: events that failed are listed with why, replayed once the
 * handler is fixed (each once, however often the replay runs), and one can be replayed by offset.
 * `source` is where listing reads (the bus, or an embedded bus's directory).
 */
export async function deadLetterScenario(bus: EventBus, source: EventBus | string = bus): Promise<void> {
  const topic = uniqueTopic();
  const groupId = unique('g');
  let broken = true;
  const seen = recorder((delivery) => {
    if (broken && numberOf(delivery) % 2 === 1) throw new Error(`cannot handle ${numberOf(delivery)}`);
  });
  await bus.subscribe({ groupId, topics: [topic], handler: seen.handler, maxAttempts: 1 });
  await bus.publish(topic, [thing('a', 0), thing('b', 1), thing('c', 2), thing('d', 3)]);

  await eventually(async () => (await listDeadLetters(source, topic)).length === 2, 'two dead letters');
  const letters = await listDeadLetters(source, topic);
  expect(letters.map((dead) => (dead.event.payload as { n: number }).n).sort()).toEqual([1, 3]);
  for (const dead of letters) {
    expect(dead).toMatchObject({
      topic: `${topic}.dlq`,
      originalTopic: topic,
      groupId,
      attempts: 1,
      error: `cannot handle ${(dead.event.payload as { n: number }).n}`,
    });
  }

  broken = false;
  const replayed = await replayDeadLetters(bus, topic);
  expect(replayed.map((dead) => dead.event.id).sort()).toEqual(letters.map((dead) => dead.event.id).sort());
  await eventually(
    () => seen.deliveries.filter((delivery) => delivery.headers[REPLAYED_FROM_HEADER]).length === 2,
    'the replayed events handled',
  );
  // Same ids as the failed events: idempotent handlers recognise them.
  const handledAgain = seen.deliveries.filter((delivery) => delivery.headers[REPLAYED_FROM_HEADER]);
  expect(handledAgain.map((delivery) => delivery.event.id).sort()).toEqual(letters.map((dead) => dead.event.id).sort());
  // Each dead letter is replayed once, however often the replay runs.
  expect(await replayDeadLetters(bus, topic)).toEqual([]);

  // One by offset, again on purpose.
  const [first] = letters;
  const again = await replayDeadLetters(bus, topic, { offset: first?.offset, partition: first?.partition, source });
  expect(again.map((dead) => dead.event.id)).toEqual([first?.event.id]);
  await eventually(
    () => seen.deliveries.filter((delivery) => delivery.headers[REPLAYED_FROM_HEADER]).length === 3,
    'the one replayed by offset',
  );
}
