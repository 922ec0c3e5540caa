/**
 * The final stream chunk in distributed mode, as Apollo Client's cache sees it: every service in
 * its own process, Kafka between ai-gateway and conversation, Redis under the token streams and
 * conversation's applied-outcome marker, FerretDB under the documents.
 */
import { describeFinalChunk } from './finalChunkScenarios';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('final-chunk', { env: { DEMO_TOKEN_INTERVAL_MS: '25' } });
}, 180_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

jest.setTimeout(240_000);

describeFinalChunk('distributed: Kafka + Redis + FerretDB', () => ({
  routerUrl: () => running.stack.url,
  streamingUrls: () => running.stack.subgraphUrls.streaming ?? [],
  turns: 20,
  turnsPerConversation: 5,
  timeoutMs: 30_000,
}));
