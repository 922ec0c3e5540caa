import { Kafka, logLevel } from 'kafkajs';
import { createKafkaEventBus, DEAD_LETTER_HEADERS, deadLetterTopic, EventBusUnavailableError } from '../../src/events';
import { describeEventBusContract } from './contract';
import { eventually, numberOf, recorder, thing, unique, uniqueTopic } from './helpers';
import { kafkaBrokers, requireKafka, testKafkaBus } from './kafkaSetup';

beforeAll(requireKafka);

describeEventBusContract('kafka', async () => ({ create: () => testKafkaBus(), cleanup: async () => undefined }));

describe('Kafka event bus specifics', () => {
  it('dead-letters a record that is not a valid event at once, and keeps consuming', async () => {
    const bus = testKafkaBus();
    await bus.start();
    try {
      const topic = uniqueTopic();
      const seen = recorder();
      await bus.subscribe({ groupId: unique('g'), topics: [topic], handler: seen.handler, maxAttempts: 5 });
      // A foreign producer writes garbage between two good events.
      const raw = new Kafka({ clientId: unique('raw'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).producer();
      await raw.connect();
      await raw.send({ topic, messages: [{ key: 'k', value: '{"not":"an event"}', headers: { 'x-source': 'raw' } }] });
      await raw.disconnect();
      await bus.publish(topic, [thing('k', 2)]);
      await eventually(() => seen.deliveries.length === 1, 'the good event after the garbage');
      expect(seen.deliveries.map(numberOf)).toEqual([2]);
      // The garbage is not an event, so the dead letter is read with a plain consumer.
      const letters = new Kafka({ clientId: unique('read'), brokers: kafkaBrokers(), logLevel: logLevel.NOTHING }).consumer({
        groupId: unique('peek'),
        maxWaitTimeInMs: 250,
      });
      const received: Array<{ value: string; headers: Record<string, string> }> = [];
      await letters.connect();
      await letters.subscribe({ topics: [deadLetterTopic(topic)], fromBeginning: true });
      await letters.run({
        eachMessage: async ({ message }) => {
          const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([name, value]) => [name, String(value)]));
          received.push({ value: String(message.value), headers });
        },
      });
      await eventually(() => received.length === 1, 'the dead letter');
      await letters.disconnect();
      expect(received[0]?.value).toBe('{"not":"an event"}');
      expect(received[0]?.headers).toMatchObject({
        'x-source': 'raw',
        [DEAD_LETTER_HEADERS.error]: 'EventValidationError',
        [DEAD_LETTER_HEADERS.attempts]: '1',
      });
    } finally {
      await bus.stop();
    }
  });

  it('keeps namespaces apart: same topic and group names, each namespace sees only its own events, under their contract names', async () => {
    const topic = uniqueTopic();
    const groupId = unique('g');
    const blue = testKafkaBus({ namespace: `${unique('blue')}.` });
    const green = testKafkaBus({ namespace: `${unique('green')}.` });
    await Promise.all([blue.start(), green.start()]);
    try {
      const blueSeen = recorder();
      const greenSeen = recorder();
      const blueSub = await blue.subscribe({ groupId, topics: [topic], handler: blueSeen.handler });
      await green.subscribe({ groupId, topics: [topic], handler: greenSeen.handler });
      await blue.publish(topic, [thing('k', 1), thing('k', 2)]);
      await green.publish(topic, [thing('k', 3)]);
      await eventually(() => blueSeen.deliveries.length === 2 && greenSeen.deliveries.length === 1, 'each namespace its own events');
      expect(blueSeen.deliveries.map(numberOf)).toEqual([1, 2]);
      expect(greenSeen.deliveries.map(numberOf)).toEqual([3]);
      expect(new Set([...blueSeen.deliveries, ...greenSeen.deliveries].map((d) => d.topic))).toEqual(new Set([topic]));
      expect(blueSub.topics).toEqual([topic]);
    } finally {
      await Promise.all([blue.stop(), green.stop()]);
    }
  });

  it('refuses a namespace Kafka could not name topics with', () => {
    expect(() => createKafkaEventBus({ brokers: kafkaBrokers(), clientId: 'x', namespace: 'no spaces allowed' })).toThrow(/namespace/);
  });

  it('maps an unreachable cluster to EventBusUnavailableError naming the brokers', async () => {
    const bus = createKafkaEventBus({ brokers: ['127.0.0.1:1'], clientId: unique('nowhere'), retries: 1, connectionTimeoutMs: 500 });
    const failure = await bus.start().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(EventBusUnavailableError);
    expect(String(failure)).toMatch(/127\.0\.0\.1:1/);
    await bus.stop();
  });
});
