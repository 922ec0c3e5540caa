/**
 * Notification end to end: the one-process stack behind `pnpm start`, driven over HTTP through
 * the router. An answer the local demo model finishes becomes a notification of its owner, whose
 * message the router hydrates from conversation; another user can neither read nor mark it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';

let stack: EmbeddedStack;
let dataDir: string;

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

async function register(email: string, name: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken } }',
    { input: { email, name, password: 'a perfectly fine passphrase' } },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

interface Notifications {
  notifications: {
    edges: Array<{
      node: { id: string; kind: string; read: boolean; conversation: { id: string }; message: { id: string; status: string } };
    }>;
    totalCount: number;
  };
  unreadNotificationCount: number;
}

const MINE = `{
  notifications(first: 10) { edges { node { id kind read conversation { id } message { id status } } } totalCount }
  unreadNotificationCount
}`;

/** The first error's code. */
function codeOf(res: Response<unknown>): unknown {
  return res.errors?.[0]?.extensions?.code;
}

/** Reads until `done` holds, a bounded number of times (the answer and its events are asynchronous). */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, tries = 400): Promise<T> {
  let value = await read();
  for (let i = 1; i < tries && !done(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, 25));
    value = await read();
  }
  return value;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-notification-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('notification through the router', () => {
  it('a finished answer notifies its owner once; another user can neither read nor mark it', async () => {
    const ada = await register('ada@example.com', 'Ada Lovelace');
    const sent = await gql<{ sendMessage: { conversation: { id: string }; assistantMessage: { id: string } } }>(
      ada,
      'mutation { sendMessage(input: { content: "Tell me about engines" }) { conversation { id } assistantMessage { id } } }',
    );
    expect(sent.errors).toBeUndefined();
    const conversationId = sent.data?.sendMessage.conversation.id;
    const messageId = sent.data?.sendMessage.assistantMessage.id;

    const mine = await eventually(
      () => gql<Notifications>(ada, MINE),
      // conversation consumes the same `generation.completed` on its own: wait for both.
      (res) => res.data?.notifications.edges[0]?.node.message.status === 'COMPLETE',
    );
    expect(mine.errors).toBeUndefined();
    const edges = mine.data?.notifications.edges ?? [];
    // The message is hydrated from conversation through federation: the answer is complete.
    expect(edges.map((e) => e.node)).toEqual([
      {
        id: expect.any(String),
        kind: 'ANSWER_COMPLETED',
        read: false,
        conversation: { id: conversationId },
        message: { id: messageId, status: 'COMPLETE' },
      },
    ]);
    expect(mine.data?.unreadNotificationCount).toBe(1);
    const notificationId = edges[0]?.node.id;

    const eve = await register('eve@example.com', 'Eve');
    const theirs = await gql<Notifications>(eve, MINE);
    expect(theirs.data).toEqual({ notifications: { edges: [], totalCount: 0 }, unreadNotificationCount: 0 });
    const steal = await gql(eve, 'mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }', { ids: [notificationId] });
    expect(codeOf(steal)).toBe('NOT_FOUND');
    expect(await gql(eve, 'mutation { markAllNotificationsRead }')).toEqual({ data: { markAllNotificationsRead: 0 } });
    expect((await gql<Notifications>(ada, MINE)).data?.unreadNotificationCount).toBe(1);
    expect(codeOf(await gql(undefined, MINE))).toBe('UNAUTHENTICATED');

    const marked = await gql(ada, 'mutation($ids: [ID!]!) { markNotificationsRead(ids: $ids) }', { ids: [notificationId] });
    expect(marked).toEqual({ data: { markNotificationsRead: 1 } });
    const after = await gql<Notifications>(ada, MINE);
    expect(after.data?.unreadNotificationCount).toBe(0);
    expect(after.data?.notifications.edges.map((e) => e.node.read)).toEqual([true]);
  });
});
