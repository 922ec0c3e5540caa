import type { EventBus } from '../../src/events';
import { deadLetterScenario } from './deadLettersScenario';
import { unique } from './helpers';
import { requireKafka, testKafkaBus } from './kafkaSetup';

/** Dead-letter tooling on a real Kafka broker (`bash scripts/infra/kafka.sh up`). */

let bus: EventBus;

beforeAll(requireKafka);

beforeEach(async () => {
  // Its own namespace: the replay group's name is fixed, and other runs share the broker.
  bus = testKafkaBus({ namespace: `${unique('dlq')}.` });
  await bus.start();
});

afterEach(async () => {
  await bus.stop();
});

it('lists and replays dead letters on Kafka', async () => {
  await deadLetterScenario(bus);
}, 120_000);
