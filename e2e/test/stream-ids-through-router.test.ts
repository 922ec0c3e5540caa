/**
 * `messageStream` for unknown, finished, expired and foreign stream ids, through the router with
 * the real `graphql-ws` client, on the one-process stack. STREAM_START_WAIT_MS is set far beyond
 * the test timeout: an id the old code waited for (every unknown or expired one, 30 s by default)
 * would fail its test, so each answer here comes without any wait for a `start`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC } from '@chatgraph/router/src/embedded/config';
import { startEmbedded, type EmbeddedStack } from '@chatgraph/router/src/embedded/launch';
import { tokenStreamKey, tokenStreamMetaKey } from '../../schema/events';
import { codeOf, finalAnswer, register, sendTracked, textOf, watch, wsClient, type Watch } from './liveChatScenarios';

let stack: EmbeddedStack;
let dataDir: string;
let ada: string;
let bob: string;
const clients: Array<ReturnType<typeof wsClient>> = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-streamids-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', DEMO_TOKEN_INTERVAL_MS: '5', STREAM_START_WAIT_MS: '600000' });
  ada = await register(stack.url, 'ada@streamids.test', 'Ada');
  bob = await register(stack.url, 'bob@streamids.test', 'Bob');
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const subscribe = (token: string, streamId: string, after?: number): Watch => {
  const client = wsClient(stack.url, token);
  clients.push(client);
  return watch(client, streamId, after);
};

const extensionsOf = (error: unknown): Record<string, unknown> | undefined => (error as Array<{ extensions?: Record<string, unknown> }> | undefined)?.[0]?.extensions;

/** A turn streamed to its end (the generation is finished and its stream retained). */
async function finishedTurn(token: string) {
  const sent = await sendTracked(stack.url, token, { content: 'Tell me something short' });
  const live = subscribe(token, sent.streamId);
  expect((await live.ended).error).toBeUndefined();
  expect(live.chunks.at(-1)?.done).toBe(true);
  return { sent, live };
}

it('answers NOT_FOUND (UNKNOWN_STREAM) for an id nothing names, without waiting', async () => {
  const ended = await subscribe(ada, 'no-such-stream-anywhere').ended;
  expect(codeOf(ended.error)).toBe('NOT_FOUND');
  expect(extensionsOf(ended.error)?.reason).toBe('UNKNOWN_STREAM');
});

it('replays a finished generation from the start and completes', async () => {
  const { sent, live } = await finishedTurn(ada);
  const replay = subscribe(ada, sent.streamId);
  expect((await replay.ended).error).toBeUndefined();
  expect(replay.chunks.map((c) => c.seq)).toEqual(live.chunks.map((c) => c.seq));
  expect(textOf(replay.chunks)).toBe(textOf(live.chunks));
  expect(replay.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE', message: { id: sent.assistantMessage.id, status: 'COMPLETE' } });
});

it('ends a generation whose stream expired with NOT_FOUND (STREAM_ENDED) and the message id to read instead', async () => {
  const { sent, live } = await finishedTurn(ada);
  // What STREAM_RETENTION_MS does when it passes: stream and meta are gone.
  await stack.kv.del(tokenStreamKey(sent.streamId));
  await stack.kv.del(tokenStreamMetaKey(sent.streamId));
  const late = await subscribe(ada, sent.streamId).ended;
  expect(codeOf(late.error)).toBe('NOT_FOUND');
  expect(extensionsOf(late.error)).toMatchObject({ reason: 'STREAM_ENDED', messageId: sent.assistantMessage.id });
  // The client reads the message instead: the whole answer is there.
  expect(await finalAnswer(stack.url, ada, sent.assistantMessage.id, 10_000)).toMatchObject({ status: 'COMPLETE', content: textOf(live.chunks) });
});

it("refuses another user's stream id with FORBIDDEN, finished or expired", async () => {
  const { sent } = await finishedTurn(ada);
  expect(codeOf((await subscribe(bob, sent.streamId).ended).error)).toBe('FORBIDDEN');
  await stack.kv.del(tokenStreamKey(sent.streamId));
  await stack.kv.del(tokenStreamMetaKey(sent.streamId));
  expect(codeOf((await subscribe(bob, sent.streamId).ended).error)).toBe('FORBIDDEN');
});
