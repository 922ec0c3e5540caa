/**
 * The fairness scenario (fairnessScenario.ts) in distributed mode: identity, conversation,
 * ai-gateway, streaming and the router each in its own process, on FerretDB, Kafka and Redis.
 */
import { describeFairness, FAIRNESS_ENV } from './fairnessScenario';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('fairness', { env: FAIRNESS_ENV });
}, 180_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

jest.setTimeout(120_000);

describeFairness('distributed: Kafka + Redis + FerretDB', () => ({ url: () => running.stack.routerUrls[0] ?? '', timeoutMs: 60_000 }));
