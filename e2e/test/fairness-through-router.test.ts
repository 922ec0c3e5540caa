/**
 * One user must not starve everyone (issue 10), on the one-process stack behind `pnpm start`: user
 * A floods `sendMessage` from many clients at once, across new conversations; beyond
 * MAX_OPEN_GENERATIONS_PER_USER they are refused RATE_LIMITED. User B then sends one message,
 * and ai-gateway (one generation slot here, so generations run strictly one after another) starts
 * B's answer before A's queued ones. B's answer streams to `done` and is stored COMPLETE.
 *
 * Order is what is asserted, not time: the statuses are polled through the router, and when B's
 * answer is first seen started, A's queued answers must all still be PENDING. Before the fix
 * every flooded message was accepted and queued first-come, so B's answer started after all of A's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC } from '@chatgraph/router/src/embedded/config';
import { startEmbedded, type EmbeddedStack } from '@chatgraph/router/src/embedded/launch';
import { expectWellFormed, finalAnswer, gql, register, sendTracked, textOf, watch, wsClient } from './liveChatScenarios';
import type { Client } from 'graphql-ws';

const CAP = 3;
const FLOOD = 24;
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } assistantMessage { id } streamId } }';

let stack: EmbeddedStack;
let dataDir: string;
const clients: Client[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-fair-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', DEMO_TOKEN_INTERVAL_MS: '20',
    MAX_OPEN_GENERATIONS_PER_USER: String(CAP), MAX_CONCURRENT_GENERATIONS: '1', DRAIN_TIMEOUT_MS: '0',
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

interface Turn {
  conversation: { id: string };
  assistantMessage: { id: string };
  streamId: string;
}

/** The status of each answer, read through the router as its owner. */
async function statuses(token: string, turns: Turn[]): Promise<string[]> {
  const fields = turns.map((t, i) => `c${i}: conversation(id: "${t.conversation.id}") { currentBranch { id status } }`).join(' ');
  const res = await gql<Record<string, { currentBranch: Array<{ id: string; status: string }> } | null>>(stack.url, token, `{ ${fields} }`);
  return turns.map((t, i) => res.data?.[`c${i}`]?.currentBranch.find((m) => m.id === t.assistantMessage.id)?.status ?? 'missing');
}

it("starts another user's answer before a flooding user's queued ones, and stores it COMPLETE when its stream is done", async () => {
  const url = stack.url;
  const run = Date.now();
  const ada = await register(url, `flood-${run}@example.com`, 'Ada Flood');
  const bob = await register(url, `bob-${run}@example.com`, 'Bob Patient');

  // A floods: every request at once, each starting a new conversation.
  const flood = await Promise.all(Array.from({ length: FLOOD }, (_, i) => gql<{ sendMessage: Turn }>(url, ada, SEND, { input: { content: `flood ${i}: tell me everything about everything` } })));
  const accepted = flood.flatMap((res) => (res.data?.sendMessage ? [res.data.sendMessage] : []));
  const refused = flood.filter((res) => res.errors?.[0]?.extensions?.code === 'RATE_LIMITED');
  expect(accepted.length).toBe(CAP);
  expect(refused.length).toBe(FLOOD - CAP);
  expect(refused[0]?.errors?.[0]?.extensions).toMatchObject({ reason: 'TOO_MANY_OPEN_GENERATIONS' });

  // One of A's answers holds the only slot; the others wait for it.
  let adaStatuses = await statuses(ada, accepted);
  for (let i = 0; i < 400 && !adaStatuses.includes('STREAMING'); i++) {
    await new Promise((r) => setTimeout(r, 25));
    adaStatuses = await statuses(ada, accepted);
  }
  expect(adaStatuses.filter((s) => s === 'STREAMING').length).toBe(1);
  const queued = accepted.filter((_, i) => adaStatuses[i] === 'PENDING');
  expect(queued.length).toBe(CAP - 1);

  const bobs = await sendTracked(url, bob, { content: 'Just one question, please' });
  const client = wsClient(url, bob);
  clients.push(client);
  const stream = watch(client, bobs.streamId);

  // Poll until B's answer has started; at that moment A's queued answers have not.
  let bobStatus = 'PENDING';
  let queuedWhenBobStarted: string[] = [];
  for (let i = 0; i < 2000 && bobStatus === 'PENDING'; i++) {
    // B first, then A: A's answers read PENDING after B's was seen started were PENDING when it started.
    [bobStatus = 'missing'] = await statuses(bob, [bobs]);
    queuedWhenBobStarted = await statuses(ada, queued);
    if (bobStatus === 'PENDING') await new Promise((r) => setTimeout(r, 20));
  }
  expect(bobStatus).not.toBe('PENDING');
  expect(queuedWhenBobStarted).toEqual(queued.map(() => 'PENDING'));

  // B's stream runs to done, and conversation stores the answer COMPLETE with the streamed text.
  expect((await stream.ended).error).toBeUndefined();
  expectWellFormed(stream.chunks);
  expect(stream.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE' });
  const stored = await finalAnswer(url, bob, bobs.assistantMessage.id, 20_000);
  expect(stored).toMatchObject({ status: 'COMPLETE', content: textOf(stream.chunks) });
});
