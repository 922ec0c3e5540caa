/**
 * The tool loop scenario (toolLoopScenario.ts) in distributed mode: every service in its own
 * process on FerretDB, Kafka and Redis (MONGO_URL, KAFKA_BROKERS, REDIS_URL), driven through the
 * router; `file.chunked` reaches ai-gateway's chunk index through Kafka.
 */
import { describeToolLoopScenario } from './toolLoopScenario';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('tool-loop-distributed', { env: { RATE_LIMITS: 'off', DEMO_TOKEN_INTERVAL_MS: '0' } });
}, 240_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

describeToolLoopScenario('distributed', { url: () => running.stack.url, tries: 2400 });
