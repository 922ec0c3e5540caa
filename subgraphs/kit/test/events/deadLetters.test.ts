import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEmbeddedEventBus, type EventBus } from '../../src/events';
import { deadLetterScenario } from './deadLettersScenario';

/** Dead-letter tooling on the embedded bus (Kafka: deadLetters.real.test.ts). */

let dataDir = '';
let bus: EventBus;

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-dlq-'));
  bus = createEmbeddedEventBus({ dataDir });
  await bus.start();
});

afterEach(async () => {
  await bus.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('lists and replays dead letters through the bus', async () => {
  await deadLetterScenario(bus);
});

it('lists dead letters from the directory while the bus runs', async () => {
  await deadLetterScenario(bus, dataDir);
});
