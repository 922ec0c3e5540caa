/**
 * Assistants in distributed mode: every service in its own process on FerretDB, Kafka and Redis
 * (MONGO_URL, KAFKA_BROKERS, REDIS_URL), driven through the router: the scenario of
 * assistants-scenario.ts, with the assistant events read from Kafka in the stack's namespace.
 */
import { createLogger } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { assistantAssistantV1, type EventEnvelope } from '@chatgraph/schema';
import { describeAssistantsScenario } from './assistants-scenario';
import { KAFKA_BROKERS, startTestStack, type TestStack } from './distributedStack';

let running: TestStack;
let consumer: EventBus;
const events: EventEnvelope[] = [];

beforeAll(async () => {
  running = await startTestStack('assistants-distributed', { env: { RATE_LIMITS: 'off' } });
  consumer = createKafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'e2e-assistant-events',
    namespace: running.kafkaNamespace,
    logger: createLogger({ name: 'e2e', level: 'silent' }),
  });
  await consumer.start();
  await consumer.subscribe({
    groupId: 'e2e-assistant-events',
    topics: [assistantAssistantV1.topic],
    handler: async (delivery) => {
      events.push(delivery.event);
    },
  });
}, 240_000);

afterAll(async () => {
  await consumer?.stop();
  await running?.dispose();
}, 60_000);

describeAssistantsScenario('distributed', { url: () => running.stack.url, events: () => events, tries: 2400 });
