/**
 * Assistants' threads end to end on the one-process stack behind `pnpm start` (every subgraph with
 * embedded stores and one shared bus, the router composed from them), through the router as a
 * client would: Ada creates an assistant (assistant subgraph), starts a thread with it
 * (conversation, which learns of the assistant only from `assistant.assistant.v1`), and the
 * local-demo model's answer is stored; the generation request carries the instructions as its
 * SYSTEM message. Bob cannot start a thread with Ada's private assistant until she shares it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { aiGenerationV1, type EventEnvelope } from '@chatgraph/schema';
import { sseWatch } from './httpStreamScenarios';

let stack: EmbeddedStack;
let dataDir: string;
const requests: EventEnvelope[] = [];

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
}

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string, name: string): Promise<{ token: string; id: string }> {
  const res = await gql<{ register: { accessToken: string; user: { id: string } } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email, name, password: 'a perfectly fine passphrase' } },
  );
  if (!res.data) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return { token: res.data.register.accessToken, id: res.data.register.user.id };
}

/** Calls `attempt` until `done` holds, a bounded number of times 25 ms apart (read models catch up asynchronously). */
async function retry<T>(attempt: () => Promise<T>, done: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await attempt();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await attempt();
  }
  return value;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-assistant-threads-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
  await stack.bus.subscribe({
    groupId: 'e2e-assistant-thread-requests',
    topics: [aiGenerationV1.topic],
    handler: async (delivery) => {
      if (delivery.event.type === 'generation.requested') requests.push(delivery.event);
    },
  });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { conversation { id assistant { id name } } assistantMessage { id } streamId }
}`;

interface Sent {
  sendMessage: {
    conversation: { id: string; assistant: { id: string; name: string } | null };
    assistantMessage: { id: string };
    streamId: string;
  };
}

interface Branch {
  conversation: { currentBranch: Array<{ role: string; status: string; content: string; assistantVersion: number | null }> };
}

const BRANCH = 'query($id: ID!) { conversation(id: $id) { currentBranch { role status content assistantVersion } } }';

test("a private assistant's thread: used by its owner, refused to another user until shared", async () => {
  const ada = await register('ada@example.com', 'Ada');
  const bob = await register('bob@example.com', 'Bob');
  const created = await gql<{ createAssistant: { id: string; version: number } }>(
    ada.token,
    'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id version } }',
    { input: { name: 'Pirate', instructions: 'Answer like a pirate.', model: 'local-demo', temperature: 0.4 } },
  );
  const assistant = created.data?.createAssistant;
  if (!assistant) throw new Error(`createAssistant failed: ${JSON.stringify(created.errors)}`);

  // Conversation learns of the assistant from its event: retry while the read model catches up.
  const sent = await retry(
    () => gql<Sent>(ada.token, SEND, { input: { content: 'Hello', assistantId: assistant.id } }),
    (res) => res.data !== null && res.data !== undefined,
  );
  const thread = sent.data?.sendMessage;
  if (!thread) throw new Error(`sendMessage failed: ${JSON.stringify(sent.errors)}`);
  expect(thread.conversation.assistant).toEqual({ id: assistant.id, name: 'Pirate' });
  // The answer streams (graphql-sse through the router) to its final chunk...
  const watched = sseWatch(stack.url, ada.token, thread.streamId);
  expect(await watched.ended).toEqual({});
  const streamedText = watched.chunks.map((c) => c.delta).join('');
  expect(watched.chunks.at(-1)).toMatchObject({ done: true, status: 'COMPLETE' });

  const answered = await retry(
    () => gql<Branch>(ada.token, BRANCH, { id: thread.conversation.id }),
    (res) => res.data?.conversation.currentBranch[1]?.status === 'COMPLETE',
  );
  const [question, answer] = answered.data?.conversation.currentBranch ?? [];
  expect(question).toMatchObject({ role: 'USER', content: 'Hello', assistantVersion: null });
  expect(answer).toMatchObject({ role: 'ASSISTANT', status: 'COMPLETE', assistantVersion: 1 });
  // ...and is stored as streamed.
  expect(answer?.content.length).toBeGreaterThan(0);
  expect(answer?.content).toBe(streamedText);
  const request = requests.find((e) => e.subject.messageId === thread.assistantMessage.id);
  expect(request?.payload).toMatchObject({
    model: 'local-demo',
    temperature: 0.4,
    assistantId: assistant.id,
    assistantVersion: 1,
    messages: [
      { role: 'SYSTEM', content: 'Answer like a pirate.' },
      { role: 'USER', content: 'Hello' },
    ],
  });

  // Bob: refused exactly as for an id that does not exist.
  const refused = await gql(bob.token, SEND, { input: { content: 'Hi', assistantId: assistant.id } });
  expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'assistantId' });
  const unknown = await gql(bob.token, SEND, { input: { content: 'Hi', assistantId: 'no-such-assistant' } });
  expect(unknown.errors?.[0]?.message).toBe(refused.errors?.[0]?.message.replace(assistant.id, 'no-such-assistant'));

  const shared = await gql(
    ada.token,
    'mutation($id: ID!, $users: [ID!]) { shareAssistant(id: $id, visibility: SHARED, userIds: $users) { version } }',
    { id: assistant.id, users: [bob.id] },
  );
  expect(shared.data).toEqual({ shareAssistant: { version: 2 } });
  const bobs = await retry(
    () => gql<Sent>(bob.token, SEND, { input: { content: 'Ahoy', assistantId: assistant.id } }),
    (res) => res.data !== null && res.data !== undefined,
  );
  expect(bobs.errors).toBeUndefined();
  expect(bobs.data?.sendMessage.conversation.assistant).toEqual({ id: assistant.id, name: 'Pirate' });
  const bobRequest = await retry(
    async () => requests.find((e) => e.subject.messageId === bobs.data?.sendMessage.assistantMessage.id),
    (e) => e !== undefined,
  );
  expect(bobRequest?.payload).toMatchObject({ assistantVersion: 2 });
});
