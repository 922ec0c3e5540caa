/**
 * Live chat in distributed mode: identity, conversation, ai-gateway, two streaming instances and
 * two routers, each in its own process, on FerretDB, Kafka and Redis. Router `i` reaches streaming
 * instance `i`, so the multi-router scenario watches one token stream through both routers and
 * both streaming instances, and stops it through the second one.
 */
import { describeLiveChat } from './liveChatScenarios';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('live-chat', { routers: 2, streamings: 2, env: { DEMO_TOKEN_INTERVAL_MS: '25' } });
}, 180_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

jest.setTimeout(60_000);

describeLiveChat('distributed: Kafka + Redis + FerretDB, 2 routers, 2 streaming instances', () => ({
  routerUrls: () => running.stack.routerUrls,
  timeoutMs: 30_000,
}));
