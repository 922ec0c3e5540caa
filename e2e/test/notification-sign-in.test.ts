/**
 * NEW_SIGN_IN end to end, through the router of the one-process stack: signing in with the
 * password from a second device makes identity publish `identity.session.v1` `session.started`
 * through the new session's outbox, and notification turns it into one NEW_SIGN_IN, listed in
 * `notifications` and pushed on `notificationReceived`. A redelivered event creates no second one;
 * with NEW_SIGN_IN off in-app a sign-in creates none. Registering (the first session) is no sign-in.
 * The body names the device (the client's User-Agent) and the network (the /24 of the address the
 * router saw); an `x-chatgraph-client` header the client sends itself changes nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import type { Subscription } from '@chatgraph/kit/events';
import { identitySessionV1, type EventEnvelope } from '@chatgraph/schema';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { eventually, graphQL, registerUser, TEST_PASSWORD } from './graphClient';

let stack: EmbeddedStack;
let dataDir: string;
let tap: Subscription;
/** Every `session.started` identity published, as a test consumer group received it. */
const published: EventEnvelope[] = [];
const clients: Client[] = [];

const gql = graphQL(() => stack.url);
const register = (email: string) => registerUser(gql, email);

/** Signs in with the password, as a second device would (sending `headers`, e.g. its User-Agent). */
async function login(email: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await gql<{ login: { accessToken: string } }>(
    undefined,
    'mutation($input: LoginInput!) { login(input: $input) { accessToken } }',
    { input: { email, password: TEST_PASSWORD } },
    headers,
  );
  const token = res.data?.login.accessToken;
  if (!token) throw new Error(`login failed: ${JSON.stringify(res.errors)}`);
  return token;
}

interface Item {
  id: string;
  kind: string;
  title: string;
  body: string;
}
const MINE = '{ notifications(first: 20) { edges { node { id kind title body } } } }';
const mine = async (token: string): Promise<Item[]> =>
  (await gql<{ notifications: { edges: Array<{ node: Item }> } }>(token, MINE)).data?.notifications.edges.map((e) => e.node) ?? [];
const UPDATE = `mutation($input: UpdateNotificationPreferencesInput!) { updateNotificationPreferences(input: $input) { kind } }`;

/** The `session.started` events of `userId` the tap has seen. */
const startedOf = (userId: string): EventEnvelope[] => published.filter((event) => event.subject.userId === userId);

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-sign-in-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  stack = await startEmbedded(config, { ARGON2_MEMORY_KIB: '4096', ARGON2_TIME_COST: '1', LOG_LEVEL: 'silent', RATE_LIMITS: 'off' });
  tap = await stack.bus.subscribe({
    groupId: 'e2e.sign-in-tap',
    topics: [identitySessionV1.topic],
    handler: async (delivery) => {
      published.push(delivery.event);
    },
  });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  await tap.stop();
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('NEW_SIGN_IN through the router', () => {
  it('a sign-in from a second device is listed and pushed once; registering is none; a redelivery adds none', async () => {
    const ada = await register('ada@example.com');
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
      { query: 'subscription { notificationReceived { id kind title body } }' },
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

    await login('ada@example.com');
    const listed = await eventually(
      () => mine(ada.token),
      (items) => items.length > 0,
    );
    expect(listed).toEqual([
      { id: expect.any(String), kind: 'NEW_SIGN_IN', title: 'New sign-in to your account', body: expect.any(String) },
    ]);
    expect(listed[0]?.body).toMatch(/^Signed in with a password at \d{4}-/);
    await eventually(
      async () => pushed.length,
      (n) => n > 0,
    );
    expect(pushed).toEqual(listed);

    // The register of the first session published nothing: only the sign-in did.
    await eventually(
      async () => startedOf(ada.userId).length,
      (n) => n > 0,
    );
    const [event] = startedOf(ada.userId);
    expect(startedOf(ada.userId)).toHaveLength(1);
    expect(event).toMatchObject({ type: 'session.started', payload: { method: 'password' } });

    // Redelivered (as after a crash of the relay before it marked it sent), then a later sign-in
    // on the same partition: once that one is listed, the redelivery was handled.
    await stack.bus.publish(identitySessionV1.topic, [{ key: ada.userId, event: event as EventEnvelope }]);
    await login('ada@example.com');
    const after = await eventually(
      () => mine(ada.token),
      (items) => items.length >= 2,
    );
    expect(after.map((item) => item.kind)).toEqual(['NEW_SIGN_IN', 'NEW_SIGN_IN']);
    await eventually(
      async () => pushed.length,
      (n) => n >= 2,
    );
    expect(pushed).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('with NEW_SIGN_IN off in-app, a sign-in creates none', async () => {
    const bob = await register('bob@example.com');
    const off = await gql(bob.token, UPDATE, { input: { preferences: [{ kind: 'NEW_SIGN_IN', inApp: false }] } });
    expect(off.errors).toBeUndefined();
    await login('bob@example.com');
    await eventually(
      async () => startedOf(bob.userId).length,
      (n) => n > 0,
    );
    // Back on, then a sign-in on the same partition: once it is listed, the first was handled.
    const on = await gql(bob.token, UPDATE, { input: { preferences: [{ kind: 'NEW_SIGN_IN', inApp: true }] } });
    expect(on.errors).toBeUndefined();
    await login('bob@example.com');
    const listed = await eventually(
      () => mine(bob.token),
      (items) => items.length > 0,
    );
    await eventually(
      async () => startedOf(bob.userId).length,
      (n) => n >= 2,
    );
    expect(startedOf(bob.userId)).toHaveLength(2);
    expect(listed.map((item) => item.kind)).toEqual(['NEW_SIGN_IN']);
  });

  it("names the device and the network the router saw; a client's own x-chatgraph-client is ignored", async () => {
    const carol = await register('carol@example.com');
    const agent = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const forged = Buffer.from(JSON.stringify({ userAgent: 'Forged/1.0', address: '198.51.100.9' })).toString('base64url');
    await login('carol@example.com', { 'user-agent': agent, 'x-chatgraph-client': forged });
    const listed = await eventually(
      () => mine(carol.token),
      (items) => items.length > 0,
    );
    expect(listed.map((item) => item.kind)).toEqual(['NEW_SIGN_IN']);
    expect(listed[0]?.body).toContain(`from ${agent}, network 127.0.0.0/24.`);
    expect(listed[0]?.body).not.toMatch(/Forged|198\.51\.100/);
    await eventually(
      async () => startedOf(carol.userId).length,
      (n) => n > 0,
    );
    expect(startedOf(carol.userId)[0]?.payload).toEqual({ method: 'password', userAgent: agent, ipPrefix: '127.0.0.0/24' });
  });
});
