import type { EventBus } from '../../src/events';
import { deadLetterScenario } from './deadLettersScenario';
import { requireKafka, testKafkaBus } from './kafkaSetup';

/** Dead-letter tooling on a real Kafka broker (`bash scripts/infra/kafka.sh up`). */

let bus: EventBus;

beforeAll(requireKafka);

beforeEach(async () => {
  bus = testKafkaBus();
  await bus.start();
});

afterEach(async () => {
  await bus.stop();
});

it('lists and replays dead letters on Kafka', async () => {
  await deadLetterScenario(bus);
}, 120_000);
