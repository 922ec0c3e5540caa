/**
 * A session that ends ends its subscriptions over HTTP too, as it closes its sockets: on the
 * one-process stack (re-check every 100 ms), `logoutEverywhere` ends a graphql-sse stream and an
 * Apollo multipart stream opened before it, mid-answer, with UNAUTHENTICATED; and the router holds
 * nothing for them afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { apolloClient, apolloWatch, sseWatch } from './httpStreamScenarios';
import { codeOf, gql, register, sendTracked } from './liveChatScenarios';

let stack: EmbeddedStack;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-sessions-http-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  // Paced so the answer is still streaming when the session ends.
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    PRINCIPAL_CACHE_MS: '50',
    PRINCIPAL_RECHECK_MS: '100',
    DEMO_TOKEN_INTERVAL_MS: '100',
    LOG_LEVEL: 'silent',
  });
});

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it('logoutEverywhere ends open SSE and multipart streams with UNAUTHENTICATED, mid-answer, and frees them', async () => {
  const token = await register(stack.url, `streams-${Date.now()}@example.com`, 'Streamer');
  const sent = await sendTracked(stack.url, token, { content: 'Please write a very long essay about the engines' });
  const sse = sseWatch(stack.url, token, sent.streamId);
  const multipart = apolloWatch(apolloClient(stack.url, token), sent.streamId);
  await Promise.all([sse.atLeast(2), multipart.atLeast(2)]);
  expect((await gql<{ logoutEverywhere: boolean }>(stack.url, token, 'mutation { logoutEverywhere }')).errors).toBeUndefined();

  const [sseEnd, multipartEnd] = await Promise.all([sse.ended, multipart.ended]);
  expect(codeOf(sseEnd.error)).toBe('UNAUTHENTICATED');
  expect((multipartEnd.error as { errors?: Array<{ extensions?: { code?: string } }> }).errors?.[0]?.extensions?.code).toBe(
    'UNAUTHENTICATED',
  );
  // Cut off mid-answer: neither saw the done chunk.
  expect([sse.chunks.at(-1)?.done, multipart.chunks.at(-1)?.done]).toEqual([false, false]);
  expect(stack.router.subscriptions.subscriptions).toBe(0);
});
