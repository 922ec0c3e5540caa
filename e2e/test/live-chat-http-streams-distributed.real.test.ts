/**
 * Live chat over GraphQL over SSE and Apollo's multipart subscriptions in distributed mode:
 * every service in its own process on FerretDB, Kafka and Redis, the router serving the stream
 * from a streaming instance over graphql-ws and to the client over HTTP.
 */
import { describeHttpStreams } from './httpStreamScenarios';
import { startTestStack, type TestStack } from './distributedStack';

let running: TestStack;

beforeAll(async () => {
  running = await startTestStack('http-streams', { env: { DEMO_TOKEN_INTERVAL_MS: '25' } });
}, 180_000);

afterAll(async () => {
  await running?.dispose();
}, 60_000);

jest.setTimeout(60_000);

describeHttpStreams('distributed: Kafka + Redis + FerretDB', () => ({
  routerUrl: () => running.stack.routerUrls[0] as string,
  timeoutMs: 30_000,
}));
