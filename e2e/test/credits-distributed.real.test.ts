/**
 * Credits and usage (creditsScenarios.ts) in distributed mode: every service its own process on
 * FerretDB, Kafka and Redis, two routers; the test replays ai-gateway's `generation.completed` on
 * Kafka itself to show a redelivery debits nothing more.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { creditsEnv, describeCredits, writePricedCatalog } from './creditsScenarios';
import { KAFKA_BROKERS, startTestStack, type TestStack } from './distributedStack';

let running: TestStack;
let bus: EventBus;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'chatgraph-credits-real-'));
  running = await startTestStack('credits-distributed', { env: creditsEnv(writePricedCatalog(dir)) });
  bus = createKafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'e2e-credits',
    namespace: running.kafkaNamespace,
    logger: createLogger({ name: 'e2e', level: 'silent' }),
  });
  await bus.start();
}, 180_000);

afterAll(async () => {
  await bus?.stop();
  await running?.dispose();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describeCredits('distributed: Kafka, FerretDB, Redis', () => ({ routerUrl: () => running.stack.url, bus: () => bus, tries: 300 }));
