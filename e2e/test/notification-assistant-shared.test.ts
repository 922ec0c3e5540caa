/**
 * ASSISTANT_SHARED end to end, through the router of the one-process stack: the owner shares an
 * assistant (`shareAssistant`), assistant publishes `assistant.assistant.v1` through its outbox,
 * and each user newly on the share list gets one notification, listed and pushed on
 * `notificationReceived`, with the assistant hydrated from the assistant subgraph. Never the
 * owner; a later update of the same share tells nobody again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, graphQL, registerUser } from './graphClient';

let stack: EmbeddedStack;
let dataDir: string;
const clients: Client[] = [];

const gql = graphQL(() => stack.url);
const register = (email: string) => registerUser(gql, email);

interface Item {
  id: string;
  kind: string;
  body: string;
  assistant: { id: string; name: string } | null;
}
const ITEM = 'id kind body assistant { id name }';
const mine = async (token: string): Promise<Item[]> =>
  (
    await gql<{ notifications: { edges: Array<{ node: Item }> } }>(token, `{ notifications(first: 20) { edges { node { ${ITEM} } } } }`)
  ).data?.notifications.edges.map((e) => e.node) ?? [];

const SHARE = `mutation($id: ID!, $visibility: Visibility!, $userIds: [ID!]) {
  shareAssistant(id: $id, visibility: $visibility, userIds: $userIds) { id version }
}`;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-assistant-shared-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('ASSISTANT_SHARED through the router', () => {
  it('each user newly on the share list is told once, listed and pushed; never the owner; not again on later updates', async () => {
    const owner = await register('owner@example.com');
    const ada = await register('ada@example.com');
    const bob = await register('bob@example.com');

    const pushed: Item[] = [];
    const errors: unknown[] = [];
    const client = createClient({
      url: stack.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${ada.token}` },
      retryAttempts: 0,
    });
    clients.push(client);
    const open = stack.notification.feeds.size;
    client.subscribe<{ notificationReceived: Item }>(
      { query: `subscription { notificationReceived { ${ITEM} } }` },
      {
        next: (result) => {
          if (result.errors) errors.push(...result.errors);
          if (result.data) pushed.push(result.data.notificationReceived);
        },
        error: (error) => errors.push(error),
        complete: () => undefined,
      },
    );
    await eventually(
      async () => stack.notification.feeds.size,
      (n) => n === open + 1,
    );

    const created = await gql<{ createAssistant: { id: string } }>(
      owner.token,
      'mutation($input: CreateAssistantInput!) { createAssistant(input: $input) { id } }',
      { input: { name: 'Tax helper', model: 'local-demo' } },
    );
    const assistantId = created.data?.createAssistant.id ?? '';
    expect(created.errors).toBeUndefined();
    const shared = await gql(owner.token, SHARE, { id: assistantId, visibility: 'SHARED', userIds: [ada.userId] });
    expect(shared.errors).toBeUndefined();
    const expected = {
      id: expect.any(String),
      kind: 'ASSISTANT_SHARED',
      body: 'Tax helper',
      assistant: { id: assistantId, name: 'Tax helper' },
    };
    expect(
      await eventually(
        () => mine(ada.token),
        (items) => items.length > 0,
      ),
    ).toEqual([expected]);
    await eventually(
      async () => pushed.length,
      (n) => n > 0,
    );
    expect(pushed).toEqual([expected]);

    // A later version keeping ada and adding bob: bob is told, ada not again, the owner never.
    const more = await gql(owner.token, SHARE, { id: assistantId, visibility: 'SHARED', userIds: [ada.userId, bob.userId] });
    expect(more.errors).toBeUndefined();
    const bobs = await eventually(
      () => mine(bob.token),
      (items) => items.length > 0,
    );
    expect(bobs).toEqual([expected]);
    expect(await mine(ada.token)).toHaveLength(1);
    expect(await mine(owner.token)).toEqual([]);
    expect(pushed).toHaveLength(1);
    expect(errors).toEqual([]);
  });
});
