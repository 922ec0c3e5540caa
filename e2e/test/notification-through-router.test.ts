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
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

let stack: EmbeddedStack;
let dataDir: string;
const clients: Client[] = [];

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
  await Promise.all(clients.map((c) => c.dispose()));
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

  it('notificationReceived: each open tab of the owner gets the new notification once, hydrated; another user none', async () => {
    const grace = await register('grace@example.com', 'Grace Hopper');
    const mallory = await register('mallory@example.com', 'Mallory');
    const query = 'subscription { notificationReceived { id kind message { id status } conversation { id title } } }';
    interface Event {
      id: string;
      kind: string;
      message: { id: string; status: string };
      conversation: { id: string; title: string };
    }
    const tab = (token: string): { events: Event[]; errors: unknown[] } => {
      const client = createClient({
        url: stack.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${token}` },
        retryAttempts: 0,
      });
      clients.push(client);
      const seen: { events: Event[]; errors: unknown[] } = { events: [], errors: [] };
      client.subscribe<{ notificationReceived: Event }>(
        { query },
        {
          next: (result) => {
            if (result.errors) seen.errors.push(...result.errors);
            if (result.data) seen.events.push(result.data.notificationReceived);
          },
          error: (error) => seen.errors.push(error),
          complete: () => undefined,
        },
      );
      return seen;
    };
    const open = stack.notification.feeds.size;
    const [tabA, tabB, theirs] = [tab(grace), tab(grace), tab(mallory)];
    // The router shares one upstream subscription between grace's identical ones (same principal):
    // notification holds two, and the router fans grace's out to both tabs.
    await eventually(
      async () => stack.notification.feeds.size,
      (n) => n === open + 2,
    );
    expect(stack.notification.feeds.size).toBe(open + 2);

    const sent = await gql<{ sendMessage: { conversation: { id: string }; assistantMessage: { id: string } } }>(
      grace,
      'mutation { sendMessage(input: { content: "Compile this" }) { conversation { id } assistantMessage { id } } }',
    );
    expect(sent.errors).toBeUndefined();
    // mallory's own answer, sent after grace's: once her tab has it, grace's was announced too.
    const own = await gql(mallory, 'mutation { sendMessage(input: { content: "Mine" }) { streamId } }');
    expect(own.errors).toBeUndefined();
    await eventually(
      async () => tabA.events.length + tabB.events.length + theirs.events.length,
      (n) => n >= 3,
    );
    const expected = {
      id: expect.any(String),
      kind: 'ANSWER_COMPLETED',
      message: { id: sent.data?.sendMessage.assistantMessage.id, status: expect.any(String) },
      conversation: { id: sent.data?.sendMessage.conversation.id, title: 'Compile this' },
    };
    expect(tabA.events).toEqual([expected]);
    expect(tabB.events).toEqual([expected]);
    expect(theirs.events).toHaveLength(1);
    expect(theirs.events[0]?.message.id).not.toBe(sent.data?.sendMessage.assistantMessage.id);
    expect([tabA.errors, tabB.errors, theirs.errors]).toEqual([[], [], []]);
  });
});
